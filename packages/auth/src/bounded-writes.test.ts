// What a signed-in user can make the server write by repeating a call: a
// revocation with nothing to revoke writes nothing, and refused stale calls
// leave at most one `needs_refresh` event a minute per session.
import type { AuthEventType } from '@authkit/db';
import { describe, expect, it } from 'vitest';
import { createAuthContext, requireFresh } from './adapters/trpc.ts';
import { authErrorOf, useTestAuth } from './test-harness.ts';
import { createSignedInUser, makeSessionStale, testRequest, type SignedInUser } from './testing.ts';

const { database, clock, auth } = useTestAuth();

const feedEntries = (userId: string) => database.current.sessionInvalidations.countDocuments({ user_id: userId });
const events = (userId: string, type: AuthEventType) => database.current.authEvents.countDocuments({ user_id: userId, type });

describe('revoking with nothing to revoke', () => {
  it('writes no feed entry and no event; revoking something still does', async () => {
    const member = await createSignedInUser(auth);
    const feedBefore = await feedEntries(member.user.id);
    const eventsBefore = await events(member.user.id, 'session_revoked');
    for (let i = 0; i < 20; i++) expect(await auth.revokeOtherSessions(member.session, testRequest)).toBe(0);
    expect(await feedEntries(member.user.id)).toBe(feedBefore);
    expect(await events(member.user.id, 'session_revoked')).toBe(eventsBefore);

    const other = await auth.loginUser(member.user, {}, testRequest);
    expect(await auth.revokeOtherSessions(member.session, testRequest)).toBe(1);
    expect(await feedEntries(member.user.id)).toBe(feedBefore + 1);
    expect(await events(member.user.id, 'session_revoked')).toBe(eventsBefore + 1);
    expect((await auth.loadUser(other.token, testRequest)).user.isAuthenticated).toBe(false);
  });
});

describe('needs_refresh', () => {
  async function staleMember(): Promise<SignedInUser> {
    const member = await createSignedInUser(auth);
    await makeSessionStale(auth, member.session.id);
    return member;
  }

  it('is recorded at most once a minute per session, by the package’s fresh checks', async () => {
    const member = await staleMember();
    for (let i = 0; i < 10; i++) {
      expect((await authErrorOf(auth.beginTotpEnrolment(member.session, testRequest))).code).toBe('NEEDS_REFRESH');
      expect((await authErrorOf(auth.requestEmailChange(member.session, 'new@example.test', testRequest))).code).toBe(
        'NEEDS_REFRESH',
      );
    }
    expect(await events(member.user.id, 'needs_refresh')).toBe(1);
    // Another session of the same user has its own minute.
    const second = await auth.loginUser(member.user, {}, testRequest);
    await makeSessionStale(auth, second.session.id);
    await authErrorOf(auth.beginTotpEnrolment(second.session, testRequest));
    expect(await events(member.user.id, 'needs_refresh')).toBe(2);
    clock.advance(61_000);
    await authErrorOf(auth.beginTotpEnrolment(member.session, testRequest));
    expect(await events(member.user.id, 'needs_refresh')).toBe(3);
  });

  it('is recorded at most once a minute per session by the tRPC guard (requireFresh)', async () => {
    const member = await staleMember();
    const ctx = await createAuthContext(auth, { token: member.token, via: 'bearer' }, testRequest);
    for (let i = 0; i < 10; i++) {
      expect((await authErrorOf(requireFresh(ctx, 'auth.changePassword'))).code).toBe('NEEDS_REFRESH');
    }
    expect(await events(member.user.id, 'needs_refresh')).toBe(1);
    clock.advance(61_000);
    await authErrorOf(requireFresh(ctx, 'auth.changePassword'));
    expect(await events(member.user.id, 'needs_refresh')).toBe(2);
  });
});
