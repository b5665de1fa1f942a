// The guard decisions and cookie handling of @authkit/auth/sveltekit, as this
// site uses them (no database needed).
import type { SessionCookie, SessionInfo } from '@authkit/auth';
import {
  applySessionCookie,
  decideAccess,
  loginPath,
  requestInfo,
  type CookieJar,
  type GuardSettings,
} from '@authkit/auth/sveltekit';
import { authenticatedTestUser } from '@authkit/auth/testing';
import { describe, expect, it } from 'vitest';

const user = authenticatedTestUser;

const session = { id: 's1', amr: ['password'] } as SessionInfo;
const anonymous = { user: null, session: null };
const url = new URL('http://localhost/account?tab=sessions');
/** The auth package's defaults: verified email not required, MFA for admins required. */
const defaults: GuardSettings = { requireVerifiedEmail: false, requireMfaForAdmins: true };
const strict: GuardSettings = { requireVerifiedEmail: true, requireMfaForAdmins: true };
const lax: GuardSettings = { requireVerifiedEmail: false, requireMfaForAdmins: false };
/** An administrator with a second factor, signed in with it. */
const admin = {
  user: user({ role: 'admin', mfaEnabled: true }),
  session: { ...session, amr: ['password', 'totp'] } as SessionInfo,
};

describe('decideAccess', () => {
  it('lets everyone see public pages', () => {
    expect(decideAccess(anonymous, 'public', url, strict)).toEqual({ action: 'allow' });
  });

  it('sends anonymous visitors of protected pages to log in with path and query', () => {
    for (const access of ['signed-in', 'verified', 'admin'] as const) {
      expect(decideAccess(anonymous, access, url, defaults)).toEqual({
        action: 'login',
        next: '/account?tab=sessions',
      });
    }
  });

  it('never lets a user without a session, nor a session without a user, in', () => {
    for (const locals of [
      { user: user(), session: null },
      { user: null, session },
    ]) {
      expect(decideAccess(locals, 'signed-in', url, defaults).action).toBe('login');
    }
  });

  it('refuses non-admins on admin pages and inactive users everywhere protected', () => {
    expect(decideAccess({ user: user(), session }, 'signed-in', url, defaults)).toEqual({
      action: 'allow',
    });
    expect(decideAccess({ user: user(), session }, 'admin', url, defaults)).toEqual({
      action: 'forbidden',
    });
    expect(decideAccess(admin, 'admin', url, defaults)).toEqual({ action: 'allow' });
    for (const access of ['signed-in', 'verified', 'admin'] as const) {
      const inactive = {
        user: user({ isActive: false, role: 'admin', mfaEnabled: true }),
        session,
      };
      expect(decideAccess(inactive, access, url, lax)).toEqual({ action: 'forbidden' });
    }
  });

  it('sends signed-in users away from guest-only pages', () => {
    expect(decideAccess({ user: user(), session }, 'guest-only', url, defaults)).toEqual({
      action: 'signed-in',
    });
    expect(decideAccess(anonymous, 'guest-only', url, defaults)).toEqual({ action: 'allow' });
  });

  it('sends an unverified user to verify the address first, where required and where the route asks', () => {
    const unverified = { user: user({ emailVerified: false }), session };
    expect(decideAccess(unverified, 'verified', url, strict)).toEqual({ action: 'verify-email' });
    expect(decideAccess(unverified, 'signed-in', url, strict)).toEqual({ action: 'allow' });
    expect(decideAccess(unverified, 'verified', url, defaults)).toEqual({ action: 'allow' });
    expect(decideAccess({ user: user(), session }, 'verified', url, strict)).toEqual({
      action: 'allow',
    });
    // Admin pages need a confirmed address too.
    const unverifiedAdmin = { ...admin, user: { ...admin.user, emailVerified: false } };
    expect(decideAccess(unverifiedAdmin, 'admin', url, strict)).toEqual({ action: 'verify-email' });
    // A member is refused the admin pages whatever the address.
    expect(decideAccess(unverified, 'admin', url, strict)).toEqual({ action: 'forbidden' });
  });

  it('sends an administrator without a second factor to set one up, where MFA is required', () => {
    const noSecondFactor = { user: user({ role: 'admin' }), session };
    expect(decideAccess(noSecondFactor, 'admin', url, defaults)).toEqual({
      action: 'enrol-second-factor',
    });
    expect(decideAccess(noSecondFactor, 'admin', url, lax)).toEqual({ action: 'allow' });
    // Only the admin pages ask for it.
    expect(decideAccess(noSecondFactor, 'verified', url, defaults)).toEqual({ action: 'allow' });
  });

  it('sends an administrator whose session has not passed the second factor to confirm with it, and back', () => {
    const adminPage = new URL('http://localhost/admin?page=2');
    for (const amr of [['password'], ['oauth']] as const) {
      const firstFactorOnly = { user: admin.user, session: { ...session, amr: [...amr] } };
      expect(decideAccess(firstFactorOnly, 'admin', adminPage, defaults)).toEqual({
        action: 'reauthenticate',
        next: '/admin?page=2',
      });
      expect(decideAccess(firstFactorOnly, 'admin', adminPage, lax)).toEqual({ action: 'allow' });
    }
    for (const amr of [['password', 'totp'], ['password', 'recovery_code'], ['passkey']] as const) {
      const passed = { user: admin.user, session: { ...session, amr: [...amr] } };
      expect(decideAccess(passed, 'admin', adminPage, defaults)).toEqual({ action: 'allow' });
    }
  });
});

describe('helpers', () => {
  it('builds the login path with an encoded next', () => {
    expect(loginPath('/admin?page=2')).toBe('/login?next=%2Fadmin%3Fpage%3D2');
  });

  it('writes the auth package cookie through the cookie jar', () => {
    const calls: unknown[][] = [];
    const jar: CookieJar = {
      get: () => undefined,
      set: (...args) => void calls.push(args),
      delete: () => {},
    };
    const expires = new Date(Date.now() + 86_400_000);
    const cookie: SessionCookie = {
      name: 'authkit_session',
      value: 'token',
      attributes: { httpOnly: true, sameSite: 'lax', secure: false, path: '/', expires },
      serialize: () => '',
    };
    applySessionCookie(jar, cookie);
    expect(calls).toEqual([
      [
        'authkit_session',
        'token',
        { path: '/', httpOnly: true, sameSite: 'lax', secure: false, expires },
      ],
    ]);
  });

  it('reads the client address and user agent', () => {
    const request = new Request('http://localhost/', { headers: { 'user-agent': 'Test/1.0' } });
    expect(requestInfo({ request, getClientAddress: () => '203.0.113.9' })).toEqual({
      ip: '203.0.113.9',
      userAgent: 'Test/1.0',
    });
    expect(
      requestInfo({
        request: new Request('http://localhost/'),
        getClientAddress: () => {
          throw new Error('unknown');
        },
      }),
    ).toEqual({ ip: null, userAgent: null });
    // The device cookie a past sign-in left (checked later, by the throttle).
    const withDevice = new Request('http://localhost/', {
      headers: { cookie: 'a=1; authkit_device=d.1.x' },
    });
    expect(
      requestInfo({ request: withDevice, getClientAddress: () => '203.0.113.9' }).deviceToken,
    ).toBe('d.1.x');
  });

  it('marks requests to an https URL, so the session cookie is Secure without SECURE_COOKIES', () => {
    const request = new Request('https://example.com/');
    const getClientAddress = () => '203.0.113.9';
    expect(
      requestInfo({ request, url: new URL('https://example.com/login'), getClientAddress }).https,
    ).toBe(true);
    expect(
      requestInfo({ request, url: new URL('http://127.0.0.1/login'), getClientAddress }).https,
    ).toBeUndefined();
  });
});
