// loginUser's checks after creating a session: an account deactivated
// meanwhile keeps no session, and each user keeps at most maxSessionsPerUser.
import { beforeAll, describe, expect, it } from 'vitest';
import { createAuth } from './auth.ts';
import { authErrorOf, useTestAuth } from './test-harness.ts';
import { createSignedInUser, testRequest, type SignedInUser } from './testing.ts';

const { database, clock, auth } = useTestAuth({ maxSessionsPerUser: 3 });
let admin: SignedInUser;

beforeAll(async () => {
  admin = await createSignedInUser(auth, { username: 'root', role: 'admin' });
});

describe('a sign-in racing a deactivation', () => {
  it('leaves no session when the deactivation lands between the check and the new session', async () => {
    const member = await createSignedInUser(auth);
    const sessions = database.current.sessions;
    const insertOne = sessions.insertOne.bind(sessions);
    // Fault injection on the real collection: the admin acts just before the
    // session document is written, after loginUser has seen an active account.
    sessions.insertOne = (async (...args: Parameters<typeof insertOne>) => {
      sessions.insertOne = insertOne;
      await auth.setActive(admin.user, member.user.id, false, testRequest);
      return insertOne(...args);
    }) as typeof insertOne;
    try {
      expect((await authErrorOf(auth.loginUser(member.user, {}, testRequest))).code).toBe('INACTIVE');
    } finally {
      sessions.insertOne = insertOne;
    }
    await auth.setActive(admin.user, member.user.id, true, testRequest);
    expect(await database.current.sessions.countDocuments({ user_id: member.user.id })).toBe(0);
  });

  it('keeps no session in parallel rounds, whichever comes first', async () => {
    const member = await createSignedInUser(auth);
    for (let round = 0; round < 20; round++) {
      const [login] = await Promise.allSettled([
        auth.loginUser(member.user, {}, testRequest),
        auth.setActive(admin.user, member.user.id, false, testRequest),
      ]);
      await auth.setActive(admin.user, member.user.id, true, testRequest);
      expect(await database.current.sessions.countDocuments({ user_id: member.user.id })).toBe(0);
      if (login.status === 'fulfilled') {
        expect((await auth.loadUser(login.value.token, testRequest)).user.isAuthenticated).toBe(false);
      } else {
        expect(login.reason).toMatchObject({ code: 'INACTIVE' });
      }
    }
  });
});

describe('sessions per user', () => {
  it('ends the least recently used sessions past the cap, with an event', async () => {
    const member = await createSignedInUser(auth);
    const logins = [];
    for (let i = 0; i < 2; i++) {
      clock.advance(1_000);
      logins.push(await auth.loginUser(member.user, {}, testRequest));
    }
    // The first session is used again, so the second is now the least recently used.
    clock.advance(60 * 60_000);
    expect((await auth.loadUser(member.token, testRequest)).user.isAuthenticated).toBe(true);
    // With the session cache on, "last seen" is written behind: wait for it.
    const usedAt = clock.now().getTime();
    await expect
      .poll(async () => (await database.current.sessions.findOne({ _id: member.session.id }))?.last_seen_at.getTime())
      .toBe(usedAt);
    clock.advance(1_000);
    const fourth = await auth.loginUser(member.user, {}, testRequest);

    expect(await database.current.sessions.countDocuments({ user_id: member.user.id })).toBe(3);
    expect((await auth.loadUser(logins[0]!.token, testRequest)).user.isAuthenticated).toBe(false);
    for (const token of [member.token, logins[1]!.token, fourth.token]) {
      expect((await auth.loadUser(token, testRequest)).user.isAuthenticated).toBe(true);
    }
    const [latest] = await auth.listEvents(member.user.id, 1);
    expect(latest).toMatchObject({ type: 'session_revoked', details: { reason: 'session_limit', count: 1 } });
  });

  it('is validated when configured', () => {
    expect(() => createAuth({ database: database.current, maxSessionsPerUser: 0 })).toThrow(/maxSessionsPerUser/);
  });
});
