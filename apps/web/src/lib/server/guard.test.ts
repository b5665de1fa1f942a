// The guard handle and the check every signed-in load and action makes for
// itself, with the site's configuration (no database needed).
import type { SessionInfo } from '@authkit/auth';
import type { GuardDecision } from '@authkit/auth/sveltekit';
import { isHttpError, isRedirect } from '@sveltejs/kit';
import type { Handle } from '@sveltejs/kit/hooks';
import { authenticatedTestUser } from '@authkit/auth/testing';
import { describe, expect, it } from 'vitest';
import { denyAccess, guardRoutes, requireAdmin, requireSignedIn } from './guard.ts';
import { useSignedCookies } from './signed-cookie.ts';

// This file's site requires verified addresses; REQUIRE_MFA_FOR_ADMINS is left
// to its default (on). Read once, at the first decision, like the site's
// configuration (which, as in a build, needs a database URL and a secret key:
// the decision reads only settings, nothing connects).
process.env.REQUIRE_VERIFIED_EMAIL = 'true';
delete process.env.REQUIRE_MFA_FOR_ADMINS;
process.env.MONGODB_URL ??= 'mongodb://127.0.0.1:9/guard-unit-test';
process.env.AUTH_SECRET_KEY ??= '07'.repeat(32);

// The flash cookie is signed: a key, as the site has once started.
useSignedCookies({ key: new Uint8Array(32).fill(7), secureCookies: false });

const user = authenticatedTestUser;

const session = { id: 's1', amr: ['password'] } as SessionInfo;
/** An administrator with a second factor, signed in with it. */
const admin = {
  user: user({ role: 'admin', mfaEnabled: true }),
  session: { ...session, amr: ['password', 'totp'] } as SessionInfo,
};

function event(locals: App.Locals, routeId?: string) {
  const set: string[] = [];
  return {
    locals,
    url: new URL('http://localhost/%61ccount?tab=1'),
    cookies: { get: () => undefined, set: (name: string) => void set.push(name), delete: () => {} },
    ...(routeId === undefined ? {} : { route: { id: routeId } }),
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

/** Where a 303 redirect goes (fails the test for anything else). */
function location(caught: unknown): string {
  if (!isRedirect(caught) || caught.status !== 303) throw new Error(`not a 303: ${String(caught)}`);
  return caught.location;
}

describe('denyAccess', () => {
  it('turns every refusal into its redirect or 403, with a flash message where it helps', () => {
    const cases: [Exclude<GuardDecision, { action: 'allow' }>, string | 403, number][] = [
      [{ action: 'login', next: '/admin?page=2' }, '/login?next=%2Fadmin%3Fpage%3D2', 1],
      [{ action: 'signed-in' }, '/dashboard', 0],
      [{ action: 'verify-email' }, '/verify-email', 0],
      // /account's two-step card explains it: no flash on top.
      [{ action: 'enrol-second-factor' }, '/account#two-step', 0],
      [
        { action: 'reauthenticate', next: '/admin?page=2' },
        '/account/reauth?next=%2Fadmin%3Fpage%3D2',
        1,
      ],
      [{ action: 'forbidden' }, 403, 0],
    ];
    for (const [decision, answer, flashes] of cases) {
      const refused = event({ user: null, session: null });
      const caught = thrown(() => denyAccess(decision, refused));
      if (answer === 403) expect(isHttpError(caught, 403), decision.action).toBe(true);
      else expect(location(caught), decision.action).toBe(answer);
      expect(refused.set, decision.action).toHaveLength(flashes);
    }
  });
});

describe('requireSignedIn', () => {
  it('returns the user and session of a signed-in, active user', () => {
    const signedIn = { user: user(), session };
    expect(requireSignedIn(event(signedIn))).toEqual(signedIn);
  });

  it('sends an anonymous visitor to the login page, back to the path as requested', () => {
    const anonymous = event({ user: null, session: null });
    const caught = thrown(() => requireSignedIn(anonymous));
    expect(location(caught)).toBe('/login?next=%2F%2561ccount%3Ftab%3D1');
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

  it('asks what the route asks: an unverified user is sent to /verify-email from the dashboard only', () => {
    const unverified = { user: user({ emailVerified: false }), session };
    expect(location(thrown(() => requireSignedIn(event(unverified, '/dashboard'))))).toBe(
      '/verify-email',
    );
    for (const route of ['/account', '/account/reauth', '/verify-email']) {
      expect(requireSignedIn(event(unverified, route))).toEqual(unverified);
    }
  });
});

describe('requireAdmin', () => {
  it('refuses a member with 403 and lets an administrator with a second factor through', () => {
    expect(
      isHttpError(
        thrown(() => requireAdmin(event({ user: user(), session }))),
        403,
      ),
    ).toBe(true);
    expect(requireAdmin(event(admin, '/admin'))).toEqual(admin);
  });

  it('sends an administrator without a second factor to set one up (REQUIRE_MFA_FOR_ADMINS)', () => {
    const noSecondFactor = event({ user: user({ role: 'admin' }), session }, '/admin');
    expect(location(thrown(() => requireAdmin(noSecondFactor)))).toBe('/account#two-step');
    expect(noSecondFactor.set).toHaveLength(0);
  });

  it('sends an administrator whose session passed only the password to confirm with the second factor', () => {
    const passwordOnly = event({ user: admin.user, session }, '/admin');
    expect(location(thrown(() => requireAdmin(passwordOnly)))).toBe(
      '/account/reauth?next=%2F%2561ccount%3Ftab%3D1',
    );
  });

  it('sends an unverified administrator to /verify-email (REQUIRE_VERIFIED_EMAIL)', () => {
    const unverified = { ...admin, user: { ...admin.user, emailVerified: false } };
    expect(location(thrown(() => requireAdmin(event(unverified, '/admin'))))).toBe('/verify-email');
  });
});

describe('guardRoutes', () => {
  type HandleEvent = Parameters<Handle>[0]['event'];
  const served = new Response('the route');

  /** Runs the guard handle for a request to `path` served by `routeId`. */
  async function guard(
    locals: App.Locals,
    request: { routeId: string | null; path: string; method?: string; isDataRequest?: boolean },
  ): Promise<Response> {
    const handleEvent = {
      locals,
      url: new URL(`http://localhost${request.path}`),
      route: { id: request.routeId },
      request: new Request(`http://localhost${request.path}`, { method: request.method ?? 'GET' }),
      isDataRequest: request.isDataRequest ?? false,
      cookies: { get: () => undefined, set: () => {}, delete: () => {} },
    } as unknown as HandleEvent;
    return await guardRoutes({ event: handleEvent, resolve: async () => served });
  }

  /** What the guard threw for a request (fails the test if it served the route). */
  async function refusal(...args: Parameters<typeof guard>): Promise<unknown> {
    try {
      await guard(...args);
    } catch (caught) {
      return caught;
    }
    throw new Error('the route was served');
  }

  const anonymous = { user: null, session: null };
  const member = { user: user(), session };

  it('serves what the decision allows, by route id', async () => {
    expect(await guard(anonymous, { routeId: '/', path: '/' })).toBe(served);
    expect(await guard(member, { routeId: '/account', path: '/%61ccount/' })).toBe(served);
    expect(await guard(admin, { routeId: '/admin', path: '/admin' })).toBe(served);
    expect(await guard(anonymous, { routeId: null, path: '/no/such/page' })).toBe(served);
  });

  it('sends an anonymous visitor of a signed-in route to sign in, back to the path as spelt', async () => {
    const caught = await refusal(anonymous, { routeId: '/account', path: '/%61ccount?tab=1' });
    expect(location(caught)).toBe('/login?next=%2F%2561ccount%3Ftab%3D1');
  });

  it('sends a signed-in user from a guest-only page to the dashboard', async () => {
    expect(location(await refusal(member, { routeId: '/login', path: '/login' }))).toBe(
      '/dashboard',
    );
  });

  it("lets a member's look at an admin page through to its layout load, and refuses everything else with 403", async () => {
    // The page view reaches the route, whose layout load throws the same 403 inside the layout.
    expect(await guard(member, { routeId: '/admin', path: '/admin' })).toBe(served);
    expect(await guard(member, { routeId: '/admin', path: '/admin', method: 'HEAD' })).toBe(served);
    for (const request of [
      { routeId: '/admin', path: '/admin', isDataRequest: true },
      { routeId: '/admin', path: '/admin?/setRole', method: 'POST' },
    ]) {
      expect(isHttpError(await refusal(member, request), 403), JSON.stringify(request)).toBe(true);
    }
    // A deactivated account's page view of a signed-in page is refused at once.
    const inactive = { user: user({ isActive: false }), session };
    expect(
      isHttpError(await refusal(inactive, { routeId: '/account', path: '/account' }), 403),
    ).toBe(true);
  });

  it('sends an administrator without a second factor to set one up, also from a page view', async () => {
    const noSecondFactor = { user: user({ role: 'admin' }), session };
    const caught = await refusal(noSecondFactor, { routeId: '/admin', path: '/admin' });
    expect(location(caught)).toBe('/account#two-step');
  });

  it('sends an administrator whose session passed only the password to confirm, and back', async () => {
    const passwordOnly = { user: admin.user, session };
    const caught = await refusal(passwordOnly, { routeId: '/admin', path: '/admin?page=2' });
    expect(location(caught)).toBe('/account/reauth?next=%2Fadmin%3Fpage%3D2');
  });

  it('sends an unverified user to /verify-email from the dashboard, not from the account page', async () => {
    const unverified = { user: user({ emailVerified: false }), session };
    const caught = await refusal(unverified, { routeId: '/dashboard', path: '/dashboard' });
    expect(location(caught)).toBe('/verify-email');
    expect(await guard(unverified, { routeId: '/account', path: '/account' })).toBe(served);
  });
});
