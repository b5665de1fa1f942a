// Admin services: listing users, deactivation (ends every session at once), roles.
import { beforeAll, describe, expect, it } from 'vitest';
import { authFailure, useTestAuth } from './test-support.ts';
import { createSignedInUser, testRequest, type SignedInUser } from './testing.ts';

const { database, clock, auth } = useTestAuth();
let admin: SignedInUser;

beforeAll(async () => {
  admin = await createSignedInUser(auth, { username: 'root', role: 'admin' });
});

describe('listUsers', () => {
  it('pages through users without password hashes', async () => {
    for (let i = 0; i < 3; i++) {
      clock.advance(1_000);
      await createSignedInUser(auth, { username: `member${i}` });
    }
    const first = await auth.listUsers(admin.user, { page: 1, pageSize: 2 });
    expect(first.total).toBe(4);
    expect(first.users.map((user) => user.username)).toEqual(['root', 'member0']);
    const second = await auth.listUsers(admin.user, { page: 2, pageSize: 2 });
    expect(second.users.map((user) => user.username)).toEqual(['member1', 'member2']);
    expect(JSON.stringify(first)).not.toMatch(/password|argon2/);
    expect(Object.keys(first.users[0]!).sort()).toEqual(['active', 'createdAt', 'email', 'id', 'role', 'username']);
  });

  it('is for active admins only, checked against the database', async () => {
    const member = await createSignedInUser(auth);
    expect((await authFailure(auth.listUsers(member.user, { page: 1, pageSize: 10 }))).code).toBe('FORBIDDEN');
    // A forged "admin" copy of a plain user does not help.
    const forged = { ...member.user, role: 'admin' as const };
    expect((await authFailure(auth.listUsers(forged, { page: 1, pageSize: 10 }))).code).toBe('FORBIDDEN');
  });
});

describe('setActive', () => {
  it('deactivation ends all the user’s sessions at once and blocks sign-in', async () => {
    const target = await createSignedInUser(auth, { remember: true });
    const second = await auth.loginUser(target.user, {}, testRequest);
    const updated = await auth.setActive(admin.user, target.user.id, false, testRequest);
    expect(updated.active).toBe(false);
    expect(await database.current.sessions.countDocuments({ user_id: target.user.id })).toBe(0);
    expect((await auth.loadUser(target.token, testRequest)).user.isAuthenticated).toBe(false);
    expect((await auth.loadUser(second.token, testRequest)).user.isAuthenticated).toBe(false);
    expect((await authFailure(auth.authenticate(target.user.username, target.password, testRequest))).code).toBe('INACTIVE');
    expect((await authFailure(auth.loginUser(target.user, {}, testRequest))).code).toBe('INACTIVE');

    await auth.setActive(admin.user, target.user.id, true, testRequest);
    expect((await auth.authenticate(target.user.username, target.password, testRequest)).active).toBe(true);
    const types = (await auth.listEvents(target.user.id)).map((event) => event.type);
    expect(types).toContain('user_deactivated');
    expect(types).toContain('user_activated');
  });

  it('an admin cannot deactivate themselves; others cannot deactivate anyone', async () => {
    const error = await authFailure(auth.setActive(admin.user, admin.user.id, false, testRequest));
    expect(error.code).toBe('FORBIDDEN');
    const member = await createSignedInUser(auth);
    expect((await authFailure(auth.setActive(member.user, admin.user.id, false, testRequest))).code).toBe('FORBIDDEN');
    expect((await authFailure(auth.setActive(admin.user, 'no-such-user', false, testRequest))).code).toBe('NOT_FOUND');
  });
});

describe('setRole', () => {
  it('promotes and demotes, but an admin cannot demote themselves', async () => {
    const member = await createSignedInUser(auth);
    expect((await auth.setRole(admin.user, member.user.id, 'admin', testRequest)).role).toBe('admin');
    // The new admin can act at once.
    expect((await auth.listUsers({ ...member.user, role: 'admin' }, { page: 1, pageSize: 1 })).users).toHaveLength(1);
    expect((await auth.setRole(admin.user, member.user.id, 'user', testRequest)).role).toBe('user');
    expect((await authFailure(auth.setRole(admin.user, admin.user.id, 'user', testRequest))).code).toBe('FORBIDDEN');
    expect((await authFailure(auth.setRole(member.user, member.user.id, 'admin', testRequest))).code).toBe('FORBIDDEN');
    const bad = await authFailure(auth.setRole(admin.user, member.user.id, 'root' as never, testRequest));
    expect(bad.code).toBe('VALIDATION');
    expect((await auth.listEvents(member.user.id))[0]).toMatchObject({
      type: 'role_changed',
      details: { by: admin.user.id, role: 'user' },
    });
  });
});
