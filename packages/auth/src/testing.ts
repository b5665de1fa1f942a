// @authkit/auth/testing: helpers for other apps' tests, like Flask-Login's test
// client: a user and a signed-in session in one call, a controllable clock, and
// ways to age a session without sleeping. They write to the database directly
// (and invalidate cached copies through the feed), so use them only against a
// test database.
import { randomBytes } from 'node:crypto';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import { generateHOTP } from '@oslojs/otp';
import type { Role } from '@authkit/db';
import type { Auth, AuthenticatedUser, LoginResult, PublicUser, RequestInfo, SessionCookie, SessionInfo } from './types.ts';

/** A plausible browser request. */
export const testRequest: RequestInfo = {
  ip: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AuthkitTest/1.0',
};

export interface SignedInUser {
  user: PublicUser;
  /** The plain password, to sign in again or re-authenticate. */
  password: string;
  /** The session token (cookie value, or bearer token). */
  token: string;
  /** A ready `Cookie` request header value, e.g. `authkit_session=...`. */
  cookie: string;
  /** A ready `Authorization` request header value: `Bearer <token>`. */
  authorization: string;
  /** The cookie as the server would set it. */
  setCookie: SessionCookie;
  session: SessionInfo;
}

/** A password that passes the strength check; different on every call. */
export function strongTestPassword(): string {
  return `quiet-harbor-${randomBytes(6).toString('hex')}-lantern`;
}

/**
 * Registers a user (role and active state as asked) and signs them in, in one call.
 * Inactive users are signed in with `force`, so tests can see them refused later.
 */
export async function createSignedInUser(
  auth: Auth,
  options: {
    username?: string;
    email?: string;
    password?: string;
    role?: Role;
    remember?: boolean;
    active?: boolean;
    request?: RequestInfo;
  } = {},
): Promise<SignedInUser> {
  const suffix = randomBytes(4).toString('hex');
  const username = options.username ?? `user_${suffix}`;
  const password = options.password ?? strongTestPassword();
  const request = options.request ?? testRequest;
  const user = await auth.registerUser(
    { username, email: options.email ?? `${username}@example.test`, password },
    request,
    { role: options.role ?? 'user', active: options.active ?? true },
  );
  const login: LoginResult = await auth.loginUser(
    user,
    { remember: options.remember ?? false, force: options.active === false },
    request,
  );
  return {
    user,
    password,
    token: login.token,
    cookie: `${login.cookie.name}=${login.token}`,
    authorization: `Bearer ${login.token}`,
    setCookie: login.cookie,
    session: login.session,
  };
}

/** Pushes a session's last password entry back past the fresh window (as if signed in long ago). */
export async function makeSessionStale(auth: Auth, sessionId: string): Promise<void> {
  const authenticatedAt = new Date(auth.now().getTime() - auth.settings.freshWindowMs - 1_000);
  await auth.database.sessions.updateOne({ _id: sessionId }, { $set: { authenticated_at: authenticatedAt } });
  // Written behind the package's back: cached copies (this process and others) must go.
  await auth.invalidateSessions({ sessionId });
}

/** Makes a session expired now (the next loadUser answers anonymous). */
export async function expireSession(auth: Auth, sessionId: string): Promise<void> {
  await auth.database.sessions.updateOne({ _id: sessionId }, { $set: { expires_at: new Date(auth.now().getTime() - 1) } });
  await auth.invalidateSessions({ sessionId });
}

export interface TestClock {
  now: () => Date;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
  set(date: Date): void;
}

/**
 * A clock for `createAuth({ now: clock.now })`. Starts at the real time and only
 * moves when told, so time-based behaviour is tested without sleeping.
 */
export function createTestClock(start: Date = new Date()): TestClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
    },
    set(date) {
      current = date.getTime();
    },
  };
}

/** The TOTP code an authenticator app shows for a base32 secret at `at` (RFC 6238: 30 s, 6 digits, SHA-1). */
export function totpCode(secret: string, at: Date): string {
  return generateHOTP(decodeBase32IgnorePadding(secret), BigInt(Math.floor(at.getTime() / 30_000)), 6);
}

export { createSoftAuthenticator, type SoftAuthenticator } from './soft-authenticator.ts';

/** A signed-in user as `loadUser` gives it, for unit tests of guards and pages (no database). */
export function authenticatedTestUser(overrides: Partial<AuthenticatedUser> = {}): AuthenticatedUser {
  return {
    id: 'u1',
    username: 'ada',
    email: 'ada@example.test',
    emailVerified: true,
    role: 'user',
    active: true,
    createdAt: new Date(),
    mfaEnabled: false,
    hasPassword: true,
    isAuthenticated: true,
    isActive: true,
    isAnonymous: false,
    ...overrides,
  };
}
