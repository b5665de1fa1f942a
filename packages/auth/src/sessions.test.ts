// Sessions: cookies, hashing at rest, expiry, sliding renewal, absolute lifetime,
// inactive users, logout, revocation and the request loader.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestDatabase } from '@authkit/db/testing';
import { createAuth } from './auth.ts';
import { isAuthError } from './errors.ts';
import { cacheModes } from './test-harness.ts';
import { createSignedInUser, createTestClock, testRequest } from './testing.ts';
import { sha256hex } from './tokens.ts';
import type { Auth } from './types.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const database = useTestDatabase();
const clock = createTestClock();


describe.each(cacheModes)('$mode', ({ sessionCacheMs }) => {
  let auth: Auth;
  beforeAll(() => {
    auth = createAuth({ database: database.current, now: clock.now, protection: 'off', sessionCacheMs });
  });
  afterAll(() => auth.close());

  describe('loginUser', () => {
    it('gives a browser-session cookie and a short idle expiry without remember', async () => {
      const { token, setCookie, session } = await createSignedInUser(auth);
      expect(setCookie.name).toBe('authkit_session');
      expect(setCookie.value).toBe(token);
      expect(setCookie.attributes).toEqual({ httpOnly: true, sameSite: 'lax', secure: false, path: '/' });
      const header = setCookie.serialize();
      expect(header).toMatch(/^authkit_session=[a-z2-7]{40}; /);
      expect(header).toContain('HttpOnly');
      expect(header).toContain('SameSite=Lax');
      expect(header).toContain('Path=/');
      expect(header).not.toMatch(/Expires|Max-Age|Secure/);
      expect(session.remember).toBe(false);
      expect(session.expiresAt.getTime()).toBe(clock.now().getTime() + 2 * HOUR);
    });

    it('gives a persistent cookie and a long expiry with remember', async () => {
      const { setCookie, session } = await createSignedInUser(auth, { remember: true });
      const expires = new Date(clock.now().getTime() + 30 * DAY);
      expect(session.remember).toBe(true);
      expect(session.expiresAt).toEqual(expires);
      expect(setCookie.attributes.expires).toEqual(expires);
      expect(setCookie.attributes.maxAge).toBe(30 * 24 * 3600);
      expect(setCookie.serialize()).toContain(`Max-Age=${30 * 24 * 3600}`);
      expect(setCookie.serialize()).toContain(`Expires=${expires.toUTCString()}`);
    });

    it('marks the cookie Secure when configured or when the request came over https', async () => {
      const { user } = await createSignedInUser(auth);
      const https = await auth.loginUser(user, {}, { ...testRequest, https: true });
      expect(https.cookie.attributes.secure).toBe(true);
      expect(https.cookie.serialize()).toContain('Secure');
      // Clearing the cookie follows the request the same way.
      expect(auth.blankCookie({ ...testRequest, https: true }).attributes.secure).toBe(true);
      expect(auth.blankCookie(testRequest).attributes.secure).toBe(false);

      const secureAuth = createAuth({ database: database.current, now: clock.now, sessionCacheMs, secureCookies: true });
      const login = await secureAuth.loginUser(user, {}, testRequest);
      expect(login.cookie.serialize()).toContain('Secure');
      expect(secureAuth.blankCookie().serialize()).toContain('Secure');
    });

    it('can start a session that is not fresh', async () => {
      const { user } = await createSignedInUser(auth);
      const login = await auth.loginUser(user, { fresh: false }, testRequest);
      expect(login.session.fresh).toBe(false);
      expect(auth.isFresh(login.session)).toBe(false);
    });
  });

  describe('tokens at rest', () => {
    it('stores only the SHA-256 of a random 200-bit token', async () => {
      const { token, session } = await createSignedInUser(auth);
      expect(token).toMatch(/^[a-z2-7]{40}$/); // 40 base32 characters = 200 bits
      expect(session.id).toBe(await sha256hex(token));
      const stored = await database.current.sessions.findOne({ _id: session.id });
      expect(stored).not.toBeNull();
      expect(JSON.stringify(await database.current.sessions.find().toArray())).not.toContain(token);
    });

    it('a database dump of the sessions collection cannot be replayed as a token', async () => {
      await createSignedInUser(auth);
      const ids = (await database.current.sessions.find({}, { projection: { _id: 1 } }).toArray()).map((doc) => doc._id);
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) {
        expect((await auth.loadUser(id, testRequest)).user.isAuthenticated).toBe(false);
        const viaCookie = auth.tokenFromHeaders({ cookie: `authkit_session=${id}` });
        expect((await auth.loadUser(viaCookie.token, testRequest)).user.isAuthenticated).toBe(false);
        const viaBearer = auth.tokenFromHeaders({ authorization: `Bearer ${id}` });
        expect((await auth.loadUser(viaBearer.token, testRequest)).user.isAuthenticated).toBe(false);
      }
    });

    it('answers anonymous for unknown and malformed tokens, and clears the cookie', async () => {
      const none = await auth.loadUser(null, testRequest);
      expect(none.user).toEqual(auth.anonymousUser());
      expect(none.cookie).toBeNull();
      for (const token of ['nonsense', 'a'.repeat(40), '"; DROP', 'x'.repeat(10_000)]) {
        const result = await auth.loadUser(token, testRequest);
        expect(result.user.isAnonymous).toBe(true);
        expect(result.session).toBeNull();
        expect(result.cookie?.serialize()).toMatch(/^authkit_session=; .*Max-Age=0/);
      }
    });
  });

  describe('loadUser', () => {
    it('loads the user and session behind a token', async () => {
      const { user, token, session } = await createSignedInUser(auth);
      const result = await auth.loadUser(token, testRequest);
      expect(result.user).toEqual({ ...user, isAuthenticated: true, isActive: true, isAnonymous: false });
      expect(result.session?.id).toBe(session.id);
      expect(result.session?.userAgent).toBe(testRequest.userAgent);
      expect(result.session?.ip).toBe(testRequest.ip);
      expect(result.cookie).toBeNull();
      expect(result.user).not.toHaveProperty('password_hash');
    });

    it('expires an idle browser session after the idle window', async () => {
      const { token, session } = await createSignedInUser(auth);
      clock.advance(2 * HOUR + 1_000);
      const result = await auth.loadUser(token, testRequest);
      expect(result.user.isAuthenticated).toBe(false);
      expect(result.cookie?.attributes.maxAge).toBe(0);
      expect(await database.current.sessions.findOne({ _id: session.id })).toBeNull();
    });

    it('expires an idle remembered session after 30 days', async () => {
      const { token } = await createSignedInUser(auth, { remember: true });
      clock.advance(29 * DAY);
      expect((await auth.loadUser(token, testRequest)).user.isAuthenticated).toBe(true);
      clock.advance(30 * DAY + 1_000);
      expect((await auth.loadUser(token, testRequest)).user.isAuthenticated).toBe(false);
    });

    it('slides the expiry of an active session, writing only now and then', async () => {
      const { token, session } = await createSignedInUser(auth);
      const start = clock.now().getTime();

      // A minute later: no write yet (within the first tenth of the window).
      clock.advance(MINUTE);
      const early = await auth.loadUser(token, testRequest);
      expect(early.session?.expiresAt.getTime()).toBe(start + 2 * HOUR);
      expect(early.cookie).toBeNull();

      // An hour later: extended to now + idle; a browser-session cookie need not be re-sent.
      clock.advance(HOUR);
      const later = await auth.loadUser(token, testRequest);
      expect(later.session?.expiresAt.getTime()).toBe(clock.now().getTime() + 2 * HOUR);
      expect(later.session?.lastSeenAt).toEqual(clock.now());
      expect(later.cookie).toBeNull();
      // With the cache the write goes behind, batched within the bound; without, at once.
      const storedExpiry = async () => (await database.current.sessions.findOne({ _id: session.id }))?.expires_at.getTime();
      if (sessionCacheMs > 0) await vi.waitFor(async () => expect(await storedExpiry()).toBe(clock.now().getTime() + 2 * HOUR));
      else expect(await storedExpiry()).toBe(clock.now().getTime() + 2 * HOUR);

      // Past the original expiry, still signed in thanks to the renewal.
      clock.advance(HOUR + 30 * MINUTE);
      expect((await auth.loadUser(token, testRequest)).user.isAuthenticated).toBe(true);
    });

    it('re-sends a remembered cookie with the new expiry when it slides', async () => {
      const { token } = await createSignedInUser(auth, { remember: true });
      clock.advance(5 * DAY);
      const result = await auth.loadUser(token, testRequest);
      const expires = new Date(clock.now().getTime() + 30 * DAY);
      expect(result.session?.expiresAt).toEqual(expires);
      expect(result.cookie?.value).toBe(token);
      expect(result.cookie?.attributes.expires).toEqual(expires);
      expect(result.cookie?.attributes.maxAge).toBe(30 * 24 * 3600);
    });

    it('ends every session at the absolute lifetime, however active', async () => {
      const shortLived = createAuth({
        database: database.current,
        now: clock.now,
        protection: 'off',
        sessionCacheMs,
        absoluteLifetimeMs: 10 * DAY,
      });
      const { token, session } = await createSignedInUser(shortLived, { remember: true });
      const created = clock.now().getTime();
      expect(session.expiresAt.getTime()).toBe(created + 10 * DAY); // capped at login
      for (let day = 2; day <= 8; day += 2) {
        clock.advance(2 * DAY);
        const result = await shortLived.loadUser(token, testRequest);
        expect(result.user.isAuthenticated).toBe(true);
        expect(result.session?.expiresAt.getTime()).toBeLessThanOrEqual(created + 10 * DAY);
      }
      clock.advance(2 * DAY);
      expect((await shortLived.loadUser(token, testRequest)).user.isAuthenticated).toBe(false);
    });

    it('refuses the session of a user deactivated mid-session', async () => {
      const { user, token } = await createSignedInUser(auth);
      expect((await auth.loadUser(token, testRequest)).user.isAuthenticated).toBe(true);
      // Even when the flag is flipped behind the package's back (no session cleanup),
      // as long as the writer keeps the sessions' copy of the user and tells the feed:
      await database.current.users.updateOne({ _id: user.id }, { $set: { active: false } });
      await database.current.sessions.updateMany({ user_id: user.id }, { $set: { 'user.active': false } });
      await auth.invalidateSessions({ userId: user.id });
      const result = await auth.loadUser(token, testRequest);
      expect(result.user.isAuthenticated).toBe(false);
      expect(result.cookie?.attributes.maxAge).toBe(0);
    });

    it('reads the user itself for a session without a copy of it (made before the copy)', async () => {
      const { user, token, session } = await createSignedInUser(auth);
      await database.current.sessions.updateOne({ _id: session.id }, { $unset: { user: '' } });
      await auth.invalidateSessions({ sessionId: session.id });
      expect((await auth.loadUser(token, testRequest)).user).toMatchObject({ id: user.id, username: user.username });
      await database.current.users.updateOne({ _id: user.id }, { $set: { active: false } });
      await auth.invalidateSessions({ userId: user.id });
      expect((await auth.loadUser(token, testRequest)).user.isAuthenticated).toBe(false);
    });

    it('refuses a revoked session on the very next request', async () => {
      const first = await createSignedInUser(auth);
      const second = await auth.loginUser(first.user, {}, testRequest);
      expect((await auth.loadUser(second.token, testRequest)).user.isAuthenticated).toBe(true);
      await auth.revokeSession(first.session, second.session.id, testRequest);
      expect((await auth.loadUser(second.token, testRequest)).user.isAuthenticated).toBe(false);
      expect((await auth.loadUser(first.token, testRequest)).user.isAuthenticated).toBe(true);
    });
  });

  describe('logoutUser', () => {
    it('ends the session in the database and returns a blank cookie', async () => {
      const { token, session } = await createSignedInUser(auth);
      const { cookie } = await auth.logoutUser(token, testRequest);
      expect(cookie.value).toBe('');
      expect(cookie.attributes.maxAge).toBe(0);
      expect(cookie.serialize()).toMatch(/^authkit_session=; /);
      expect(await database.current.sessions.findOne({ _id: session.id })).toBeNull();
      expect((await auth.loadUser(token, testRequest)).user.isAuthenticated).toBe(false);
    });

    it('answers a blank cookie for no token or an unknown one', async () => {
      expect((await auth.logoutUser(null, testRequest)).cookie.attributes.maxAge).toBe(0);
      expect((await auth.logoutUser('b'.repeat(40), testRequest)).cookie.attributes.maxAge).toBe(0);
    });
  });

  describe('tokenFromHeaders (request loader)', () => {
    it('reads the session cookie among others', () => {
      expect(auth.tokenFromHeaders({ cookie: 'theme=dark; authkit_session=abc;other=1' })).toEqual({
        token: 'abc',
        via: 'cookie',
      });
      expect(auth.tokenFromHeaders({ cookie: 'theme=dark' })).toEqual({ token: null, via: null });
      expect(auth.tokenFromHeaders({ cookie: 'authkit_session=' })).toEqual({ token: null, via: null });
      expect(auth.tokenFromHeaders({})).toEqual({ token: null, via: null });
    });

    it('reads a bearer token, which wins over a cookie', () => {
      expect(auth.tokenFromHeaders({ authorization: 'Bearer tok123' })).toEqual({ token: 'tok123', via: 'bearer' });
      expect(auth.tokenFromHeaders({ authorization: 'bearer tok123' })).toEqual({ token: 'tok123', via: 'bearer' });
      expect(auth.tokenFromHeaders({ authorization: 'Bearer tok123', cookie: 'authkit_session=abc' }).via).toBe('bearer');
      expect(auth.tokenFromHeaders({ authorization: 'Basic dXNlcjpwYXNz', cookie: 'authkit_session=abc' })).toEqual({
        token: 'abc',
        via: 'cookie',
      });
      expect(auth.tokenFromHeaders({ authorization: 'Bearer' })).toEqual({ token: null, via: null });
    });

    it('never throws on malformed headers', () => {
      expect(() => auth.tokenFromHeaders({ cookie: 'authkit_session=%E0%A4%A; =; ;;' })).not.toThrow();
      expect(() => auth.tokenFromHeaders({ authorization: 'Bearer a b c' })).not.toThrow();
    });

    it('resolves a bearer token to the same user as the cookie', async () => {
      const { user, cookie, authorization } = await createSignedInUser(auth);
      const viaCookie = auth.tokenFromHeaders({ cookie });
      const viaBearer = auth.tokenFromHeaders({ authorization });
      expect(viaCookie.token).toBe(viaBearer.token);
      expect((await auth.loadUser(viaBearer.token, testRequest)).user.id).toBe(user.id);
    });
  });

  describe('deleteExpiredSessions', () => {
    it('sweeps expired sessions and keeps live ones', async () => {
      const sweeper = createAuth({ database: database.current, now: clock.now, sessionCacheMs });
      await sweeper.deleteExpiredSessions();
      const stale = await createSignedInUser(sweeper);
      clock.advance(3 * HOUR);
      const live = await createSignedInUser(sweeper);
      expect(await sweeper.deleteExpiredSessions()).toBeGreaterThanOrEqual(1);
      expect(await database.current.sessions.findOne({ _id: stale.session.id })).toBeNull();
      expect(await database.current.sessions.findOne({ _id: live.session.id })).not.toBeNull();
    });
  });

  describe('loginUser and inactive users', () => {
    it('refuses an inactive user unless forced', async () => {
      const { user } = await createSignedInUser(auth);
      await database.current.users.updateOne({ _id: user.id }, { $set: { active: false } });
      await expect(auth.loginUser(user, {}, testRequest)).rejects.toSatisfy((error) => isAuthError(error, 'INACTIVE'));
      const forced = await auth.loginUser(user, { force: true }, testRequest);
      expect(forced.token).toMatch(/^[a-z2-7]{40}$/);
    });
  });
});
