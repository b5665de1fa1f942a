// The check every signed-in load and action makes for itself (no database needed).
import type { SessionInfo } from '@authkit/auth';
import { isHttpError, isRedirect } from '@sveltejs/kit';
import { authenticatedTestUser } from '@authkit/auth/testing';
import { describe, expect, it } from 'vitest';
import { mustVerifyFirst, requireAdmin, requireSignedIn } from './guard.ts';
import { useSignedCookies } from './signed-cookie.ts';

// The flash cookie is signed: a key, as the site has once started.
useSignedCookies({ key: new Uint8Array(32).fill(7), secureCookies: false });

const user = authenticatedTestUser;

const session = { id: 's1' } as SessionInfo;

function event(locals: App.Locals) {
  const set: string[] = [];
  return {
    locals,
    url: new URL('http://localhost/%61ccount?tab=1'),
    cookies: { get: () => undefined, set: (name: string) => void set.push(name), delete: () => {} },
    set,
  };
}

/** What `run` threw. */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (caught) {
    return caught;
  }
  throw new Error('nothing was thrown');
}

describe('requireSignedIn', () => {
  it('returns the user and session of a signed-in, active user', () => {
    const signedIn = { user: user(), session };
    expect(requireSignedIn(event(signedIn))).toEqual(signedIn);
  });

  it('sends an anonymous visitor to the login page, back to the path as requested', () => {
    const anonymous = event({ user: null, session: null });
    const caught = thrown(() => requireSignedIn(anonymous));
    expect(isRedirect(caught) && caught.status === 303 && caught.location).toBe(
      '/login?next=%2F%2561ccount%3Ftab%3D1',
    );
    expect(anonymous.set).toHaveLength(1); // the "please sign in" flash
  });

  it('never passes a user without a session, nor a session without a user', () => {
    for (const locals of [
      { user: user(), session: null },
      { user: null, session },
    ]) {
      expect(isRedirect(thrown(() => requireSignedIn(event(locals))))).toBe(true);
    }
  });

  it('refuses a deactivated user with 403', () => {
    const caught = thrown(() =>
      requireSignedIn(event({ user: user({ isActive: false }), session })),
    );
    expect(isHttpError(caught, 403)).toBe(true);
  });
});

describe('requireAdmin', () => {
  it('refuses a member with 403 and lets an admin through', () => {
    expect(
      isHttpError(
        thrown(() => requireAdmin(event({ user: user(), session }))),
        403,
      ),
    ).toBe(true);
    const admin = { user: user({ role: 'admin' }), session };
    expect(requireAdmin(event(admin))).toEqual(admin);
  });
});

describe('mustVerifyFirst (REQUIRE_VERIFIED_EMAIL)', () => {
  const unverified = user({ emailVerified: false });
  it('keeps an unverified user from the dashboard and admin pages only when required', () => {
    expect(mustVerifyFirst(unverified, '/dashboard', true)).toBe(true);
    expect(mustVerifyFirst(unverified, '/admin', true)).toBe(true);
    expect(mustVerifyFirst(unverified, '/dashboard', false)).toBe(false);
    expect(mustVerifyFirst(user(), '/dashboard', true)).toBe(false);
    expect(mustVerifyFirst(null, '/dashboard', true)).toBe(false);
  });

  it('leaves the account, verification, sign-out and public pages open', () => {
    for (const route of [
      '/account',
      '/account/reauth',
      '/verify-email',
      '/verify-email/[token]',
      '/logout',
      '/',
      '/forgot',
    ]) {
      expect(mustVerifyFirst(unverified, route, true)).toBe(false);
    }
  });
});
