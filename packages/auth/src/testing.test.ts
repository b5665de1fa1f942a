// The testing entry point other apps use.
import { describe, expect, it } from 'vitest';
import { useTestAuth } from './test-harness.ts';
import { createSignedInUser, createTestClock, expireSession, makeSessionStale, testRequest } from './testing.ts';

const { auth } = useTestAuth();

describe('@authkit/auth/testing', () => {
  it('createSignedInUser gives a user and a working session in one call', async () => {
    const signedIn = await createSignedInUser(auth, { username: 'tester', role: 'admin', remember: true });
    expect(signedIn.user).toMatchObject({ username: 'tester', email: 'tester@example.test', role: 'admin', active: true });
    expect(signedIn.cookie).toBe(`authkit_session=${signedIn.token}`);
    expect(signedIn.authorization).toBe(`Bearer ${signedIn.token}`);
    expect(signedIn.setCookie.attributes.expires).toBeInstanceOf(Date);
    expect(signedIn.session.remember).toBe(true);
    const { token } = auth.tokenFromHeaders({ cookie: signedIn.cookie });
    expect((await auth.loadUser(token, testRequest)).user.id).toBe(signedIn.user.id);
    expect((await auth.authenticate('tester', signedIn.password, testRequest)).id).toBe(signedIn.user.id);
  });

  it('can create an inactive user, whose session is then refused', async () => {
    const signedIn = await createSignedInUser(auth, { active: false });
    expect(signedIn.user.active).toBe(false);
    expect((await auth.loadUser(signedIn.token, testRequest)).user.isAuthenticated).toBe(false);
  });

  it('ages sessions without sleeping', async () => {
    const signedIn = await createSignedInUser(auth);
    await makeSessionStale(auth, signedIn.session.id);
    const loaded = await auth.loadUser(signedIn.token, testRequest);
    expect(auth.isFresh(loaded.session!)).toBe(false);
    await expireSession(auth, signedIn.session.id);
    expect((await auth.loadUser(signedIn.token, testRequest)).user.isAuthenticated).toBe(false);
  });

  it('createTestClock moves only when told', () => {
    const testClock = createTestClock(new Date('2030-01-01T00:00:00Z'));
    expect(testClock.now().toISOString()).toBe('2030-01-01T00:00:00.000Z');
    testClock.advance(90_000);
    expect(testClock.now().toISOString()).toBe('2030-01-01T00:01:30.000Z');
  });
});
