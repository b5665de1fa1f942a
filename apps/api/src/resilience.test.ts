// The database goes away and comes back: the API answers 503 quickly meanwhile
// and recovers by itself, losing nothing. Also the real process (main.ts):
// started while the database is down, then SIGTERM.
import type { ChildProcess } from 'node:child_process';
import { createAuth } from '@authkit/auth';
import { connectDatabase, type Database } from '@authkit/db';
import { freePort } from '@authkit/db/embedded';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiServer } from './server.ts';
import {
  eventually,
  mutate,
  query,
  send,
  spawnApiProcess,
  strongPassword,
  uniqueName,
  useEmbeddedServers,
  WEB_ORIGIN,
} from './test-helpers/index.ts';

const embedded = useEmbeddedServers();

describe('database restart', () => {
  let database: Database;

  it('answers 503 quickly while the database is down and recovers without losing data', async () => {
    const dataDir = embedded.tempDir();
    const port = await freePort();
    let db = await embedded.start(dataDir, port);
    database = connectDatabase(`${db.uri}/resilience`);
    const auth = createAuth({ database });
    await auth.ensureReady();
    const api = createApiServer({
      auth,
      config: { host: '127.0.0.1', port: 0, webOrigin: WEB_ORIGIN, trustProxy: false },
      logger: pino({ level: 'silent' }),
    });
    const { url } = await api.listen();
    const client = { url };

    try {
      const username = uniqueName();
      const password = strongPassword();
      await mutate(client, 'auth.register', {
        username,
        email: `${username}@example.com`,
        password,
      });
      const login = await mutate(client, 'auth.login', { username, password, bearer: true });
      const bearer = { authorization: `Bearer ${login.body.result.data.token}` };
      expect((await query(client, 'auth.me', undefined, bearer)).status).toBe(200);

      await db.stop();

      // Fast 503s, from /health, from a procedure that loads the user and from sign-in.
      for (const call of [
        () => send(`${url}/health`, {}),
        () => query(client, 'health'),
        () => query(client, 'auth.me', undefined, bearer),
        () => mutate(client, 'auth.login', { username, password }),
      ]) {
        const started = Date.now();
        const result = await call();
        expect(result.status).toBe(503);
        expect(Date.now() - started).toBeLessThan(4_000);
      }
      const down = await query(client, 'auth.me', undefined, bearer);
      expect(down.body.error.data.code).toBe('SERVICE_UNAVAILABLE');
      expect((await send(`${url}/health`, {})).body).toEqual({ ok: false, db: 'down' });

      db = await embedded.start(dataDir, port);
      await eventually(async () => (await send(`${url}/health`, {})).status === 200, 30_000);

      // Same session, same user: nothing lost.
      const me = await query(client, 'auth.me', undefined, bearer);
      expect(me.status).toBe(200);
      expect(me.body.result.data.user.username).toBe(username);
      expect((await mutate(client, 'auth.login', { username, password })).status).toBe(200);

      // Graceful close: a sign-in in flight (Argon2 takes a while) is still answered.
      const inFlight = mutate(client, 'auth.login', { username, password });
      await new Promise((resolve) => setTimeout(resolve, 30));
      const closed = api.close();
      expect((await inFlight).status).toBe(200);
      await closed;
      await expect(send(`${url}/health`, {})).rejects.toThrow();
    } finally {
      await api.close();
      await database.close();
    }
  }, 120_000);
});

describe('the API process (main.ts)', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('starts while the database is down, serves 503, becomes ready, and stops on SIGTERM', async () => {
    const dbPort = await freePort();
    const api = await spawnApiProcess({ MONGODB_URL: `mongodb://127.0.0.1:${dbPort}/main_test` });
    const { url, child: proc, exited } = api;
    child = proc;
    await eventually(async () => api.output().includes('api listening'), 20_000);
    const down = await send(`${url}/health`, {});
    expect(down.status).toBe(503);
    const early = await query({ url }, 'health');
    expect(early.status).toBe(503);
    expect(JSON.stringify(early.body)).not.toContain('stack');

    await embedded.start(embedded.tempDir(), dbPort);
    await eventually(async () => (await send(`${url}/health`, {})).status === 200, 30_000);
    const username = uniqueName();
    const registered = await mutate({ url }, 'auth.register', {
      username,
      email: `${username}@example.com`,
      password: strongPassword(),
    });
    expect(registered.status).toBe(200);
    const login = await mutate({ url }, 'auth.login', {
      username,
      password: 'wrong-password-here',
    });
    expect(login.status).toBe(401);

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(api.output()).toContain('"msg":"stopped"');
    child = undefined;
  }, 120_000);
});
