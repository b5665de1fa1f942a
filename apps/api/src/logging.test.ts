// One structured line per request, and never a secret in the log.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { mutate, query, send, sessionIdOf, signUp, useTestApi } from './test-helpers.ts';

const api = useTestApi();

describe('request log', () => {
  it('writes one line per request with id, method, route, status and duration', async () => {
    const before = api.logs.length;
    const result = await send(`${api.url}/trpc/auth.me?input=${encodeURIComponent('{}')}`, {
      headers: { 'x-request-id': 'trace-abc-123' },
    });
    expect(result.status).toBe(401);
    expect(result.headers.get('x-request-id')).toBe('trace-abc-123');
    // The line is written when the response closes, just after the client has it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = api.logs.slice(before).filter((line) => line.msg === 'request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      reqId: 'trace-abc-123',
      method: 'GET',
      route: '/trpc/auth.me',
      status: 401,
      durationMs: expect.any(Number),
    });
  });

  it('never contains a token, a cookie, a password or an Authorization header', async () => {
    const user = await signUp(api);
    const sessionId = await sessionIdOf(api, user.bearer);
    await mutate(api, 'auth.sessions.revoke', { sessionId: 'not-a-session' }, user.bearer);
    await query(api, 'auth.me', undefined, user.bearer);
    await query(api, 'auth.me', undefined, { cookie: user.cookie });
    await mutate(api, 'auth.reauthenticate', { password: user.password }, user.bearer);
    await mutate(api, 'auth.login', { username: user.username, password: 'wrong-secret-987' });
    await mutate(
      api,
      'auth.changePassword',
      { currentPassword: user.password, newPassword: 'N3w-secret-Otter-55' },
      user.bearer,
    );
    await query(api, 'auth.events', { limit: 3 }, { authorization: `Bearer ${user.token}` });
    await new Promise((resolve) => setTimeout(resolve, 50));

    const text = api.logText();
    expect(text).toContain('"route":"/trpc/auth.login"');
    for (const secret of [
      user.token,
      user.password,
      'wrong-secret-987',
      'N3w-secret-Otter-55',
      user.cookie,
      sessionId,
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text.toLowerCase()).not.toContain('bearer');
    expect(text).not.toContain('?input=');
  });
});

describe('createLogger', () => {
  it('redacts secrets should an object carrying them be logged', () => {
    const lines: string[] = [];
    const logger = createLogger(
      { logLevel: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    logger.info(
      {
        token: 'tok-1',
        password: 'pw-1',
        sessionId: 'sid-1',
        input: { currentPassword: 'pw-2', newPassword: 'pw-3', sessionId: 'sid-2' },
        headers: { cookie: 'auth_session=tok-2', authorization: 'Bearer tok-3' },
        req: { headers: { cookie: 'auth_session=tok-4', authorization: 'Bearer tok-5' } },
      },
      'careless',
    );
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toContain('"msg":"careless"');
    expect(line).toContain('[redacted]');
    for (const secret of ['tok-', 'pw-', 'sid-']) expect(line).not.toContain(secret);
  });
});
