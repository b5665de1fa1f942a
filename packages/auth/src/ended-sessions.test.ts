// Why a session ended: each path that ends sessions for a reason notes it by
// session id, and loadUser tells the device that comes back with the old
// cookie (once per request, for a day); the token itself is never kept.
import { describe, expect, it } from 'vitest';
import { ENDED_SESSION_RETENTION_MS } from '@authkit/db';
import { createAuth } from './auth.ts';
import { useTestAuth } from './test-harness.ts';
import { createSignedInUser, expireSession, testRequest } from './testing.ts';
import type { Auth } from './types.ts';

const { auth, clock, database } = useTestAuth({ protection: 'off', sessionCacheMs: 0 });

async function reasonFor(instance: Auth, token: string) {
  const loaded = await instance.loadUser(token, testRequest);
  expect(loaded.user.isAuthenticated).toBe(false);
  return loaded.session === null ? loaded.endedReason : undefined;
}

describe('the reason a session ended', () => {
  it('is "signed out elsewhere" for a revoked session, and the event names the device', async () => {
    const me = await createSignedInUser(auth);
    const phoneRequest = { ...testRequest, userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)' };
    const phone = await auth.loginUser(me.user, { remember: false }, phoneRequest);
    await auth.revokeSession(me.session, phone.session.id, testRequest);
    expect(await reasonFor(auth, phone.token)).toBe('signed_out_elsewhere');
    const [event] = await auth.listEvents(me.user.id, 1);
    expect(event?.type).toBe('session_revoked');
    expect(event?.details).toEqual({ current: false, device: phoneRequest.userAgent });
    // Kept by the session's id (the token's hash), never by the token.
    const stored = JSON.stringify(await database.current.endedSessions.find().toArray());
    expect(stored).toContain(phone.session.id);
    expect(stored).not.toContain(phone.token);
  });

  it('is "signed out elsewhere" for "sign out other devices"', async () => {
    const me = await createSignedInUser(auth);
    const other = await auth.loginUser(me.user, { remember: true }, testRequest);
    await auth.revokeOtherSessions(me.session, testRequest);
    expect(await reasonFor(auth, other.token)).toBe('signed_out_elsewhere');
  });

  it('is "signed out by an administrator" for an admin\'s sign-out and second-factor reset', async () => {
    const admin = await createSignedInUser(auth, { role: 'admin' });
    const me = await createSignedInUser(auth);
    await auth.endUserSessions(admin.user, me.user.id, testRequest);
    expect(await reasonFor(auth, me.token)).toBe('signed_out_by_admin');

    const again = await auth.loginUser(me.user, { remember: false }, testRequest);
    await auth.resetSecondFactor(admin.user, me.user.id, testRequest);
    expect(await reasonFor(auth, again.token)).toBe('signed_out_by_admin');
  });

  it('is noted once for parallel revocations of one session, which fail only as NOT_FOUND', async () => {
    const me = await createSignedInUser(auth);
    const other = await auth.loginUser(me.user, { remember: false }, testRequest);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => auth.revokeSession(me.session, other.session.id, testRequest)),
    );
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'NOT_FOUND' });
    }
    expect(results.filter((result) => result.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    expect(await reasonFor(auth, other.token)).toBe('signed_out_elsewhere');
  });

  it('is "password changed" for the other devices of a password change', async () => {
    const me = await createSignedInUser(auth);
    const other = await auth.loginUser(me.user, { remember: false }, testRequest);
    const kept = await auth.changePassword(me.session, { currentPassword: me.password, newPassword: `${me.password}-new` }, testRequest);
    expect(await reasonFor(auth, other.token)).toBe('password_changed');
    expect((await auth.loadUser(kept.token, testRequest)).user.isAuthenticated).toBe(true);
  });

  it('is "deactivated" when an admin deactivates the account', async () => {
    const admin = await createSignedInUser(auth, { role: 'admin' });
    const member = await createSignedInUser(auth);
    await auth.setActive(admin.user, member.user.id, false, testRequest);
    expect(await reasonFor(auth, member.token)).toBe('deactivated');
  });

  it('is "expired" for a session found expired, and "session limit" for one the cap ended', async () => {
    const me = await createSignedInUser(auth);
    await expireSession(auth, me.session.id);
    expect(await reasonFor(auth, me.token)).toBe('expired');

    const limited = await createSignedInUser(auth);
    for (let i = 0; i < auth.settings.maxSessionsPerUser; i++) {
      clock.advance(1_000);
      await auth.loginUser(limited.user, { remember: false }, testRequest);
    }
    expect(await reasonFor(auth, limited.token)).toBe('session_limit');
  });

  it('is "session protection" when strong protection ends a session', async () => {
    const strong = useStrongAuth();
    const me = await createSignedInUser(strong);
    const moved = { ...testRequest, userAgent: 'Mozilla/5.0 (Windows NT 10.0) Another/1.0' };
    expect((await strong.loadUser(me.token, moved)).user.isAuthenticated).toBe(false);
    expect(await reasonFor(strong, me.token)).toBe('session_protection');
    await strong.close();
  });

  it('is nothing for a sign-out of its own, a token never issued, or after a day', async () => {
    const me = await createSignedInUser(auth);
    await auth.logoutUser(me.token, testRequest);
    expect(await reasonFor(auth, me.token)).toBeNull();
    expect(await reasonFor(auth, 'a'.repeat(40))).toBeNull();

    const other = await createSignedInUser(auth);
    const second = await auth.loginUser(other.user, { remember: false }, testRequest);
    await auth.revokeSession(other.session, second.session.id, testRequest);
    clock.advance(ENDED_SESSION_RETENTION_MS + 1_000);
    expect(await reasonFor(auth, second.token)).toBeNull();
    // The sweep drops it where the server has no TTL index.
    await auth.deleteExpiredSessions();
    expect(await database.current.endedSessions.countDocuments({ _id: second.session.id })).toBe(0);
  });
});

function useStrongAuth(): Auth {
  return createAuth({ database: database.current, now: clock.now, protection: 'strong', sessionCacheMs: 0 });
}
