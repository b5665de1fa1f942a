// The session cache between real API processes (main.ts) on one database: a
// session revoked through one is refused by that one on the very next request
// and by the other within SESSION_CACHE_MS (plus a margin); with the database
// stopped, cached sessions are refused once the bound passes (503, failing
// closed), and after the restart everything recovers and nothing is lost.
import type { ChildProcess } from 'node:child_process';
import { connectDatabase } from '@authkit/db';
import { freePort } from '@authkit/db/embedded';
import { testDatabaseUrl } from '@authkit/db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bearerLogin,
  eventually,
  mutate,
  query,
  spawnApiProcess,
  strongPassword,
  uniqueName,
  useEmbeddedServers,
} from '../test-helpers/index.ts';

const BOUND_MS = 1_000;
/** Slack for a loaded machine: a database read and scheduling delays. */
const MARGIN_MS = 1_500;

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});
const embedded = useEmbeddedServers();

async function startApi(mongodbUrl: string): Promise<{ url: string }> {
  const api = await spawnApiProcess({ MONGODB_URL: mongodbUrl, SESSION_CACHE_MS: String(BOUND_MS), LOG_LEVEL: 'silent' });
  children.push(api.child);
  await api.ready();
  return { url: api.url };
}

async function signUpAndIn(api: { url: string }) {
  const username = uniqueName('cache');
  const password = strongPassword();
  const registered = await mutate(api, 'auth.register', { username, email: `${username}@example.com`, password });
  expect(registered.status).toBe(200);
  return { username, password };
}

const meStatus = async (api: { url: string }, headers: Record<string, string>) =>
  (await query(api, 'auth.me', undefined, headers)).status;

/** How long until `check` held; fails past the bound plus the margin. */
async function withinBound(check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > BOUND_MS + MARGIN_MS) throw new Error(`still not so after ${BOUND_MS + MARGIN_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('two API processes on one database', () => {
  it('a session revoked through one is refused there at once and by the other within the bound', async () => {
    const databaseUrl = testDatabaseUrl();
    const [one, two] = await Promise.all([startApi(databaseUrl), startApi(databaseUrl)]);
    const account = await signUpAndIn(one);
    const keep = await bearerLogin(one, account);
    const revoked = await bearerLogin(one, account);
    const signedOut = await bearerLogin(one, account);
    for (const api of [one, two]) {
      for (const session of [keep, revoked, signedOut]) expect(await meStatus(api, session.bearer)).toBe(200);
    }

    // The other process does serve from its cache: a session deleted behind
    // the package's back (no feed entry) is still accepted there meanwhile.
    const database = connectDatabase(databaseUrl);
    try {
      const sessionId = (await query(two, 'auth.me', undefined, keep.bearer)).body.result.data.session.id;
      await eventually(async () => (await meStatus(two, keep.bearer)) === 200, 2_000, 50);
      const stored = await database.sessions.findOne({ _id: sessionId });
      await database.sessions.deleteOne({ _id: sessionId });
      const served = [];
      for (let i = 0; i < 5; i++) served.push(await meStatus(two, keep.bearer));
      expect(served).toContain(200);
      await database.sessions.insertOne(stored!);
    } finally {
      await database.close();
    }

    // Revoked through `one` (auth.sessions.revoke): refused by `one` on the very next request.
    const revokedId = (await query(one, 'auth.me', undefined, revoked.bearer)).body.result.data.session.id;
    const revoke = await mutate(one, 'auth.sessions.revoke', { sessionId: revokedId }, keep.bearer);
    expect(revoke.status).toBe(200);
    expect(await meStatus(one, revoked.bearer)).toBe(401);
    await withinBound(async () => (await meStatus(two, revoked.bearer)) === 401);

    // Signed out through `one` (auth.logout).
    expect((await mutate(one, 'auth.logout', undefined, signedOut.bearer)).status).toBe(200);
    expect(await meStatus(one, signedOut.bearer)).toBe(401);
    await withinBound(async () => (await meStatus(two, signedOut.bearer)) === 401);

    // The untouched session still works in both.
    expect(await meStatus(one, keep.bearer)).toBe(200);
    expect(await meStatus(two, keep.bearer)).toBe(200);
  }, 120_000);
});

describe('the database stopped under an API process with the cache on', () => {
  it('refuses cached sessions once the bound passes (503), and recovers with nothing lost', async () => {
    const dataDir = embedded.tempDir();
    const dbPort = await freePort();
    const db = await embedded.start(dataDir, dbPort);
    const api = await startApi(`${db.uri}/cache_fault`);
    const account = await signUpAndIn(api);
    const session = await bearerLogin(api, account);
    for (let i = 0; i < 3; i++) expect(await meStatus(api, session.bearer)).toBe(200);

    await db.stop();
    // Fails closed: within the bound (and the margin) every cached session is refused with 503.
    await withinBound(async () => (await meStatus(api, session.bearer)) === 503);
    for (let i = 0; i < 3; i++) expect(await meStatus(api, session.bearer)).toBe(503);

    await embedded.start(dataDir, dbPort);
    await eventually(async () => (await meStatus(api, session.bearer)) === 200, 30_000);
    // Nothing lost: the account signs in again, and the session is still there.
    const again = await bearerLogin(api, account);
    expect(await meStatus(api, again.bearer)).toBe(200);
    expect(await meStatus(api, session.bearer)).toBe(200);
  }, 120_000);
});
