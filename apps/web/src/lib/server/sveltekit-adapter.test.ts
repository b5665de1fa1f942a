// The guard decisions and cookie handling of @authkit/auth/sveltekit, as this
// site uses them (no database needed).
import type { SessionCookie, SessionInfo } from '@authkit/auth';
import {
  applySessionCookie,
  decideAccess,
  loginPath,
  requestInfo,
  type CookieJar,
} from '@authkit/auth/sveltekit';
import { authenticatedTestUser } from '@authkit/auth/testing';
import { describe, expect, it } from 'vitest';

const user = authenticatedTestUser;

const session = { id: 's1' } as SessionInfo;
const anonymous = { user: null, session: null };
const url = new URL('http://localhost/account?tab=sessions');

describe('decideAccess', () => {
  it('lets everyone see public pages', () => {
    expect(decideAccess(anonymous, 'public', url)).toEqual({ action: 'allow' });
  });

  it('sends anonymous visitors of protected pages to log in with path and query', () => {
    expect(decideAccess(anonymous, 'signed-in', url)).toEqual({
      action: 'login',
      next: '/account?tab=sessions',
    });
    expect(decideAccess(anonymous, 'admin', url)).toEqual({
      action: 'login',
      next: '/account?tab=sessions',
    });
  });

  it('refuses non-admins on admin pages and inactive users everywhere protected', () => {
    expect(decideAccess({ user: user(), session }, 'signed-in', url)).toEqual({ action: 'allow' });
    expect(decideAccess({ user: user(), session }, 'admin', url)).toEqual({ action: 'forbidden' });
    expect(decideAccess({ user: user({ role: 'admin' }), session }, 'admin', url)).toEqual({
      action: 'allow',
    });
    expect(decideAccess({ user: user({ isActive: false }), session }, 'signed-in', url)).toEqual({
      action: 'forbidden',
    });
  });

  it('sends signed-in users away from guest-only pages', () => {
    expect(decideAccess({ user: user(), session }, 'guest-only', url)).toEqual({
      action: 'signed-in',
    });
    expect(decideAccess(anonymous, 'guest-only', url)).toEqual({ action: 'allow' });
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
