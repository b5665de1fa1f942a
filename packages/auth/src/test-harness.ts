// Setup shared by this package's own tests. Not an export of the package: it
// needs vitest and the test run's database, whereas @authkit/auth/testing stays
// free of both (Playwright tests import it too).
import type { ConnectOptions } from '@authkit/db';
import { useTestDatabase } from '@authkit/db/testing';
import { afterAll } from 'vitest';
import { createAuth } from './auth.ts';
import { AuthError } from './errors.ts';
import { createTestClock, strongTestPassword, testRequest } from './testing.ts';
import type { Auth, AuthOptions, RequestInfo } from './types.ts';

/**
 * For one test file: a fresh database (dropped at the end), a clock that moves
 * only when told, and an Auth over both with the given options.
 */
export function useTestAuth(
  options: Omit<AuthOptions, 'database' | 'now'> = {},
  connect: Omit<ConnectOptions, 'dbName'> = {},
) {
  const database = useTestDatabase(connect);
  const clock = createTestClock();
  // Tests register many users from one address: the registration quota is set high unless a test sets it.
  const throttle = { registrationsPerHour: 1_000, ...options.throttle };
  // Admins in tests not about second factors work without one, unless a test asks for the rule.
  const requireMfaForAdmins = options.requireMfaForAdmins ?? false;
  const auth = createAuth({ ...options, requireMfaForAdmins, throttle, database: database.current, now: clock.now });
  afterAll(() => auth.close());
  return { database, clock, auth };
}

/**
 * The session cache on (the default bound) and off (strict: every request
 * reads the database), for `describe.each`: revocation must hold in both.
 */
export const cacheModes = [
  { mode: 'session cache on', sessionCacheMs: 1_000 },
  { mode: 'session cache off', sessionCacheMs: 0 },
] as const;

/** The AuthError a promise rejects with (fails the test if it resolves or throws anything else). */
export async function authErrorOf(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error('expected an AuthError');
}

/**
 * Requests from addresses of `prefix` (e.g. '203.0.113'), a new one per call,
 * so that the address counters of tests do not mix.
 */
export function addressesFrom(prefix: string): (extra?: Partial<RequestInfo>) => RequestInfo {
  let counter = 0;
  return (extra = {}) => {
    counter += 1;
    return { ...testRequest, ip: `${prefix}.${counter}`, ...extra };
  };
}

/** A registered user (no session) and its password; registered from no address (no quota). */
export async function registeredUser(auth: Auth, name: string) {
  const password = strongTestPassword();
  const user = await auth.registerUser(
    { username: name, email: `${name}@example.test`, password },
    { ...testRequest, ip: null },
  );
  return { user, password };
}
