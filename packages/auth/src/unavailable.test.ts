// A database that cannot be reached is a 503 (AuthError UNAVAILABLE), never an
// anonymous answer; and the same Auth recovers by itself when it is back.
import { afterAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '@authkit/db';
import { freePort } from '@authkit/db/embedded';
import { createAuth } from './auth.ts';
import { AuthError } from './errors.ts';
import { testRequest } from './testing.ts';

const port = await freePort();
const database = connectDatabase(`mongodb://127.0.0.1:${port}/nowhere`, { serverSelectionTimeoutMS: 300 });
const auth = createAuth({ database });

afterAll(() => database.close());

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof AuthError ? `${error.code} ${error.status}` : String(error);
  }
}

describe('database unreachable', () => {
  it('loadUser throws UNAVAILABLE for a well-formed token instead of answering anonymous', async () => {
    expect(await code(auth.loadUser('a'.repeat(40), testRequest))).toBe('UNAVAILABLE 503');
    // No token needs no database.
    expect((await auth.loadUser(null, testRequest)).user.isAnonymous).toBe(true);
  });

  it('every other method throws UNAVAILABLE', async () => {
    const session = {
      id: 'x',
      userId: 'u',
      createdAt: new Date(),
      lastSeenAt: new Date(),
      expiresAt: new Date(),
      authenticatedAt: new Date(),
      fresh: true,
      amr: ['password' as const],
      stepUp: 'password' as const,
      remember: false,
      userAgent: '',
      ip: '',
    };
    const user = { id: 'u', username: 'u', email: 'u@example.test', emailVerified: true, role: 'admin' as const, active: true, createdAt: new Date(), mfaEnabled: true, hasPassword: true };
    const calls: Promise<unknown>[] = [
      auth.registerUser({ username: 'someone', email: 'someone@example.test', password: 'violin tundra pebble orbit' }, testRequest),
      auth.authenticate('someone', 'violin tundra pebble orbit', testRequest),
      auth.loginUser(user, {}, testRequest),
      auth.logoutUser('a'.repeat(40), testRequest),
      auth.confirmLogin(session, 'x', testRequest),
      auth.changePassword(session, { currentPassword: 'x', newPassword: 'y' }, testRequest),
      auth.listSessions(session),
      auth.revokeSession(session, 'y', testRequest),
      auth.revokeOtherSessions(session, testRequest),
      auth.listEvents('u'),
      auth.listUsers(user, { page: 1, pageSize: 10 }),
      auth.setActive(user, 'v', false, testRequest),
      auth.setRole(user, 'v', 'user', testRequest),
      auth.deleteExpiredSessions(),
      auth.recordEvent({ type: 'unauthorized', userId: null, ip: null, userAgent: null }),
      auth.ensureReady(),
    ];
    for (const result of await Promise.all(calls.map(code))) expect(result).toBe('UNAVAILABLE 503');
  });
});
