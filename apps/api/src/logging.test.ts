// One structured line per request, and never a secret in the log.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { mutate, query, send, sessionIdOf, signUp, useTestApi } from './test-helpers/index.ts';

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
    const user = await signUp(api, { via: 'both' });
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

/** The production logger, writing its lines into `lines`. */
function capturingLogger(lines: string[]) {
  return createLogger(
    { logLevel: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
}

/** Shaped like the driver's MongoServerError for a duplicate key on a real MongoDB server. */
class MongoServerError extends Error {
  code = 11000;
  codeName = 'DuplicateKey';
  errorLabelSet = new Set<string>();
  keyPattern: Record<string, number>;
  keyValue: Record<string, string>;
  errorResponse: Record<string, unknown>;
  command: Record<string, unknown>;
  constructor(collection: string, key: Record<string, string>, options?: ErrorOptions) {
    const errmsg = `E11000 duplicate key error collection: authkit.${collection} index: _id_ dup key: { _id: "${key._id}" }`;
    super(errmsg, options);
    this.keyPattern = Object.fromEntries(Object.keys(key).map((field) => [field, 1]));
    this.keyValue = key;
    this.errorResponse = {
      ok: 0,
      errmsg,
      code: 11000,
      codeName: 'DuplicateKey',
      keyPattern: this.keyPattern,
      keyValue: key,
    };
    this.command = { insert: collection, documents: [{ ...key, user_id: 'user-secret-555' }] };
  }
  override get name() {
    return 'MongoServerError';
  }
}

describe('createLogger', () => {
  it('logs only the name, message, code and stack of an error, down its cause chain', () => {
    const lines: string[] = [];
    const logger = capturingLogger(lines);
    const inner = new MongoServerError('users', { _id: 'alice-secret-333' });
    const error = new MongoServerError('sessions', { _id: 'session-secret-111' }, { cause: inner });
    // The danger: pino's default serializer would copy these fields into the line.
    expect(JSON.stringify(error)).toContain('session-secret-111');

    logger.error({ reqId: 'r1', err: error }, 'unexpected error');
    // Without a message, pino takes the error's own as the line's `msg`.
    logger.error(error);
    logger.warn({ err: error });
    expect(lines).toHaveLength(3);
    const kept = ['name', 'message', 'code', 'codeName', 'stack', 'cause'];
    for (const line of lines) {
      for (const secret of ['session-secret-111', 'alice-secret-333', 'user-secret-555']) {
        expect(line).not.toContain(secret);
      }
      // No keyValue, keyPattern, errorResponse, command or errorLabelSet, down the chain.
      for (let err = JSON.parse(line).err; err; err = err.cause) {
        for (const key of Object.keys(err)) expect(kept).toContain(key);
      }
    }
    const logged = JSON.parse(lines[0]!).err;
    expect(Object.keys(logged).sort()).toEqual([
      'cause',
      'code',
      'codeName',
      'message',
      'name',
      'stack',
    ]);
    expect(logged).toMatchObject({
      name: 'MongoServerError',
      code: 11000,
      codeName: 'DuplicateKey',
      message: expect.stringContaining('E11000 duplicate key error collection: authkit.sessions'),
      stack: expect.stringContaining('logging.test.ts'),
    });
    expect(logged.message).toContain('dup key: { [redacted] }');
    expect(Object.keys(logged.cause).sort()).toEqual([
      'code',
      'codeName',
      'message',
      'name',
      'stack',
    ]);
    expect(logged.cause).toMatchObject({ name: 'MongoServerError', code: 11000 });
  });

  it('keeps a plain error as it was, and stops at a cause cycle', () => {
    const lines: string[] = [];
    const logger = capturingLogger(lines);
    const error = new Error('boom', { cause: 'root cause' });
    const looped = new Error('looped');
    looped.cause = looped;
    logger.error({ err: error }, 'plain');
    logger.error({ err: looped }, 'cycle');
    const plain = JSON.parse(lines[0]!).err;
    expect(plain).toEqual({
      name: 'Error',
      message: 'boom',
      stack: expect.stringContaining('Error: boom'),
      cause: 'root cause',
    });
    let depth = 0;
    for (let cause = JSON.parse(lines[1]!).err; cause; cause = cause.cause) depth++;
    expect(depth).toBe(6); // the error and five causes
  });

  it('redacts secrets should an object carrying them be logged', () => {
    const lines: string[] = [];
    const logger = capturingLogger(lines);
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
