// The session cache across processes: every cause of revocation is refused by
// the instance that made it on the very next request, and by a second instance
// (its own connection to the same database: another process's view) within
// SESSION_CACHE_MS plus a margin. Real timers for the bound; the test clock
// only for session expiry.
import { afterAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Database, type SessionDoc } from '@authkit/db';
import { useTestDatabase } from '@authkit/db/testing';
import { createAuth } from './auth.ts';
import { generateToken, hashToken } from './tokens.ts';
import {
  createSignedInUser,
  createTestClock,
  expireSession,
  makeSessionStale,
  testRequest,
} from './testing.ts';
import type { Auth, AuthOptions, RequestInfo } from './types.ts';

const BOUND_MS = 1_000;
/** Slack for a loaded machine: one database read and scheduling delays. */
const MARGIN_MS = 1_000;
const MINUTE = 60_000;

const database = useTestDatabase();
const clock = createTestClock();
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

interface Pair {
  /** The process that makes the change. */
  a: Auth;
  /** Another process on the same database. */
  b: Auth;
}

function pair(options: Partial<Omit<AuthOptions, 'database' | 'now'>> = {}): Pair & { bCommands: string[] } {
  const settings = { now: clock.now, sessionCacheMs: BOUND_MS, protection: 'off' as const, requireMfaForAdmins: false, ...options };
  const a = createAuth({ ...settings, database: database.current });
  const bDatabase: Database = connectDatabase(database.url, { monitorCommands: true });
  const bCommands: string[] = [];
  bDatabase.client.on('commandStarted', (event) => bCommands.push(event.commandName));
  const b = createAuth({ ...settings, database: bDatabase });
  closers.push(async () => {
    await a.close();
    await b.close();
    await bDatabase.close();
  });
  return { a, b, bCommands };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Loads until `auth` answers from its cache (no database command); fails if it never does. */
async function warm(auth: Auth, commands: string[], token: string, request: RequestInfo = testRequest): Promise<void> {
  for (let attempt = 0; attempt < 40; attempt++) {
    commands.length = 0;
    const loaded = await auth.loadUser(token, request);
    expect(loaded.user.isAuthenticated).toBe(true);
    if (!commands.some((name) => name === 'find')) return;
    await sleep(100);
  }
  throw new Error('the session was never served from the cache');
}

/** Resolves to how long it took until `check` held; fails past the bound plus the margin. */
async function withinBound(check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > BOUND_MS + MARGIN_MS) throw new Error(`still not so after ${BOUND_MS + MARGIN_MS} ms`);
    await sleep(25);
  }
}

const signedIn = async (auth: Auth, token: string) => (await auth.loadUser(token, testRequest)).user.isAuthenticated;
const refused = (auth: Auth, token: string) => async () => !(await signedIn(auth, token));

describe('revocation with the session cache on', () => {
  const { a, b, bCommands } = pair();

  it('sign-out', async () => {
    const { token } = await createSignedInUser(a);
    await warm(b, bCommands, token);
    await a.logoutUser(token, testRequest);
    expect(await signedIn(a, token)).toBe(false);
    await withinBound(refused(b, token));
  });

  it('revoking one session', async () => {
    const me = await createSignedInUser(a);
    const other = await a.loginUser(me.user, {}, testRequest);
    await signedIn(a, other.token);
    await warm(b, bCommands, other.token);
    await a.revokeSession(me.session, other.session.id, testRequest);
    expect(await signedIn(a, other.token)).toBe(false);
    await withinBound(refused(b, other.token));
  });

  it('signing out the other devices', async () => {
    const me = await createSignedInUser(a);
    const other = await a.loginUser(me.user, {}, testRequest);
    await signedIn(a, other.token);
    await warm(b, bCommands, other.token);
    await a.revokeOtherSessions(me.session, testRequest);
    expect(await signedIn(a, other.token)).toBe(false);
    expect(await signedIn(a, me.token)).toBe(true);
    await withinBound(refused(b, other.token));
    expect(await signedIn(b, me.token)).toBe(true);
  });

  it('a password change (every other session)', async () => {
    const me = await createSignedInUser(a);
    const other = await a.loginUser(me.user, {}, testRequest);
    await signedIn(a, other.token);
    await warm(b, bCommands, other.token);
    await a.changePassword(me.session, { currentPassword: me.password, newPassword: 'granite-willow-ferry-88' }, testRequest);
    expect(await signedIn(a, other.token)).toBe(false);
    await withinBound(refused(b, other.token));
  });

  it('deactivation by an admin', async () => {
    const admin = await createSignedInUser(a, { role: 'admin' });
    const user = await createSignedInUser(a);
    await signedIn(a, user.token);
    await warm(b, bCommands, user.token);
    await a.setActive(admin.user, user.user.id, false, testRequest);
    expect(await signedIn(a, user.token)).toBe(false);
    await withinBound(refused(b, user.token));
  });

  it('a demoted admin loses admin', async () => {
    const admin = await createSignedInUser(a, { role: 'admin' });
    const demoted = await createSignedInUser(a, { role: 'admin' });
    const role = async (auth: Auth) => (await auth.loadUser(demoted.token, testRequest)).user;
    expect(await role(a)).toMatchObject({ role: 'admin' });
    await warm(b, bCommands, demoted.token);
    expect(await role(b)).toMatchObject({ role: 'admin' });
    await a.setRole(admin.user, demoted.user.id, 'user', testRequest);
    expect(await role(a)).toMatchObject({ role: 'user', isAuthenticated: true });
    await withinBound(async () => {
      const user = await role(b);
      return user.isAuthenticated && user.role === 'user';
    });
    // Promoted again: the copy on the session follows the other way too.
    await a.setRole(admin.user, demoted.user.id, 'admin', testRequest);
    expect(await role(a)).toMatchObject({ role: 'admin' });
  });

  it('re-authentication: no process keeps the old freshness', async () => {
    const me = await createSignedInUser(a);
    await makeSessionStale(a, me.session.id);
    await warm(b, bCommands, me.token);
    const fresh = async (auth: Auth, token = me.token) => auth.isFresh((await auth.loadUser(token, testRequest)).session!);
    expect(await fresh(b)).toBe(false);
    const renewed = await a.confirmLogin(me.session, me.password, testRequest);
    expect(await fresh(a, renewed.token)).toBe(true);
    // The old token is gone everywhere (a new one since ASVS 7.2.4); the new one is fresh everywhere.
    await withinBound(async () => (await b.loadUser(me.token, testRequest)).session === null);
    expect(await fresh(b, renewed.token)).toBe(true);
  });

  it('expiry set by the testing helper, and expiry by the clock', async () => {
    const first = await createSignedInUser(a);
    await warm(b, bCommands, first.token);
    await expireSession(a, first.session.id);
    expect(await signedIn(a, first.token)).toBe(false);
    await withinBound(refused(b, first.token));

    // By the clock: a cached entry honours its idle expiry at once, in every process.
    const second = await createSignedInUser(a);
    await warm(b, bCommands, second.token);
    clock.advance(2 * 60 * MINUTE + 1_000);
    expect(await signedIn(b, second.token)).toBe(false);
  });
});

describe('session protection with the session cache on', () => {
  const otherBrowser: RequestInfo = { ip: testRequest.ip, userAgent: 'curl/8.0 (stolen cookie)' };

  it('basic: freshness dropped in one process is dropped in the others', async () => {
    const { a, b, bCommands } = pair({ protection: 'basic' });
    const me = await createSignedInUser(a);
    await warm(b, bCommands, me.token);
    expect((await b.loadUser(me.token, testRequest)).session?.fresh).toBe(true);
    expect((await a.loadUser(me.token, otherBrowser)).session?.fresh).toBe(false);
    expect((await a.loadUser(me.token, testRequest)).session?.fresh).toBe(false);
    await withinBound(async () => (await b.loadUser(me.token, testRequest)).session?.fresh === false);
  });

  it('strong: a session ended in one process is ended in the others', async () => {
    const { a, b, bCommands } = pair({ protection: 'strong' });
    const me = await createSignedInUser(a);
    await warm(b, bCommands, me.token);
    expect(await signedIn(a, me.token)).toBe(true);
    expect((await a.loadUser(me.token, otherBrowser)).user.isAuthenticated).toBe(false);
    expect(await signedIn(a, me.token)).toBe(false);
    await withinBound(refused(b, me.token));
  });
});

describe('the cache’s own bounds', () => {
  it('a cache hit costs no database command, and the entry count stays within its maximum', async () => {
    const { b, bCommands } = pair({ sessionCacheMaxEntries: 1_000 });
    const { user, session } = await createSignedInUser(b);
    const stored = await database.current.sessions.findOne({ _id: session.id });
    // 3 000 more sessions than the cache may hold, written directly (only their number matters).
    const tokens: string[] = [];
    const docs: SessionDoc[] = [];
    for (let i = 0; i < 3_000; i++) {
      const token = generateToken();
      tokens.push(token);
      docs.push({ ...stored!, _id: await hashToken(token) });
    }
    await database.current.sessions.insertMany(docs);
    for (let i = 0; i < tokens.length; i += 50) {
      const loads = tokens.slice(i, i + 50).map((token) => b.loadUser(token, testRequest));
      for (const loaded of await Promise.all(loads)) expect(loaded.user.id).toBe(user.id);
    }
    const stats = b.sessionCacheStats();
    expect(stats.maxEntries).toBe(1_000);
    expect(stats.entries).toBeGreaterThan(0);
    expect(stats.entries).toBeLessThanOrEqual(1_000);
    // The most recent ones are served from the cache.
    await warm(b, bCommands, tokens.at(-1)!);
  });

  it('is off at 0: every load reads the database', async () => {
    const { b, bCommands } = pair({ sessionCacheMs: 0 });
    const { token } = await createSignedInUser(b);
    for (let i = 0; i < 3; i++) {
      bCommands.length = 0;
      expect(await signedIn(b, token)).toBe(true);
      expect(bCommands).toContain('find');
    }
    expect(b.sessionCacheStats()).toEqual({ entries: 0, maxEntries: 0, trusted: false });
  });

  it('close() writes the pending sliding-expiry touches of cache hits', async () => {
    const { a, b, bCommands } = pair();
    const { token, session } = await createSignedInUser(a);
    await warm(b, bCommands, token);
    clock.advance(30 * MINUTE);
    const loaded = await b.loadUser(token, testRequest);
    const expected = loaded.session!.expiresAt.getTime();
    expect(expected).toBe(clock.now().getTime() + 2 * 60 * MINUTE);
    await b.close();
    const stored = await database.current.sessions.findOne({ _id: session.id });
    expect(stored?.expires_at.getTime()).toBe(expected);
  });
});
