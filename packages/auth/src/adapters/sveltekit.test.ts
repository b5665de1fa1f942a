// The SvelteKit adapter's handle against a real database: the user loader
// fills locals from the session cookie, and the guard decides with the Auth's
// own settings (REQUIRE_VERIFIED_EMAIL and REQUIRE_MFA_FOR_ADMINS here).
import { describe, expect, it } from 'vitest';
import { useTestAuth } from '../test-harness.ts';
import { createSignedInUser, strongTestPassword, testRequest, totpCode } from '../testing.ts';
import {
  createAuthHandle,
  type Access,
  type AuthRequestEvent,
  type CookieJar,
  type GuardDecision,
} from './sveltekit.ts';

const { auth, clock } = useTestAuth({ requireVerifiedEmail: true, requireMfaForAdmins: true });

/** A request to `path`, from a browser with `token` in its session cookie. */
function request(path: string, token: string | null) {
  const jar: CookieJar = {
    get: (name) => (name === auth.settings.cookieName && token ? token : undefined),
    set: () => {},
    delete: () => {},
  };
  const url = new URL(`http://localhost${path}`);
  const event: AuthRequestEvent = {
    request: new Request(url, { headers: { 'user-agent': testRequest.userAgent ?? '' } }),
    url,
    route: { id: url.pathname },
    cookies: jar,
    locals: { user: null, session: null },
    getClientAddress: () => testRequest.ip ?? '127.0.0.1',
  };
  return event;
}

/**
 * Runs the handle for a request to a route that needs `access`: the refusal
 * the guard decided (null: none; the test's onDenied lets the request go on)
 * and the user the loader put on locals.
 */
async function decide(path: string, access: Access, token: string | null) {
  let refusal: GuardDecision | null = null;
  const handle = createAuthHandle(() => auth, {
    access: () => access,
    onDenied: (decision) => {
      refusal = decision;
    },
  });
  const event = request(path, token);
  await handle({ event, resolve: () => 'served' });
  return { refusal, user: event.locals.user };
}

describe('createAuthHandle', () => {
  it('sends an anonymous visitor to sign in, with the path to return to', async () => {
    expect((await decide('/account?tab=1', 'signed-in', null)).refusal).toEqual({
      action: 'login',
      next: '/account?tab=1',
    });
  });

  it('loads the user and lets an unverified one in only where no confirmed address is needed', async () => {
    const member = await createSignedInUser(auth);
    const open = await decide('/account', 'signed-in', member.token);
    expect(open).toMatchObject({ refusal: null, user: { id: member.user.id, emailVerified: false } });
    expect((await decide('/dashboard', 'verified', member.token)).refusal).toEqual({
      action: 'verify-email',
    });
    expect((await decide('/admin', 'admin', member.token)).refusal).toEqual({ action: 'forbidden' });
  });

  it('sends an administrator without a second factor to set one up', async () => {
    const user = await auth.registerUser(
      { username: 'guard_admin', email: 'guard_admin@example.test', password: strongTestPassword() },
      testRequest,
      { role: 'admin', emailVerified: true },
    );
    const { token } = await auth.loginUser(user, { remember: false }, testRequest);
    expect((await decide('/dashboard', 'verified', token)).refusal).toBeNull();
    expect((await decide('/admin', 'admin', token)).refusal).toEqual({
      action: 'enrol-second-factor',
    });
  });

  it('sends an administrator whose session passed only the password to confirm with the second factor', async () => {
    const user = await auth.registerUser(
      { username: 'guard_mfa', email: 'guard_mfa@example.test', password: strongTestPassword() },
      testRequest,
      { role: 'admin', emailVerified: true },
    );
    const first = await auth.loginUser(user, { remember: false }, testRequest);
    const enrolment = await auth.beginTotpEnrolment(first.session, testRequest);
    await auth.confirmTotpEnrolment(first.session, totpCode(enrolment.secret, clock.now()), testRequest);
    const passwordOnly = await auth.loginUser(user, { remember: false, amr: ['password'] }, testRequest);
    expect((await decide('/admin?page=2', 'admin', passwordOnly.token)).refusal).toEqual({
      action: 'reauthenticate',
      next: '/admin?page=2',
    });
    const withCode = await auth.loginUser(
      user,
      { remember: false, amr: ['password', 'totp'] },
      testRequest,
    );
    expect((await decide('/admin', 'admin', withCode.token)).refusal).toBeNull();
  });
});
