// Admin services: listing users, deactivation (ends every session at once), roles.
import { beforeAll, describe, expect, it } from 'vitest';
import { authErrorOf, useTestAuth } from './test-harness.ts';
import { createSignedInUser, testRequest, type SignedInUser } from './testing.ts';
import type { UserListQuery } from './types.ts';

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
    // Whether there is a password is shown (signInMethods.password); never the hash.
    expect(JSON.stringify(first)).not.toMatch(/password_?hash|passwordHash|argon2/i);
    expect(Object.keys(first.users[0]!).sort()).toEqual([
      'active',
      'createdAt',
      'email',
      'emailVerified',
      'hasPassword',
      'id',
      'mfaEnabled',
      'role',
      'secondFactors',
      'signInMethods',
      'username',
    ]);
    expect(first.users[0]!.secondFactors).toEqual({ totp: false, passkeys: 0 });
    expect(first.users[0]!.signInMethods).toEqual({
      password: true,
      passkeys: 0,
      totp: false,
      providers: [],
    });
  });

  it('is for active admins only, checked against the database', async () => {
    const member = await createSignedInUser(auth);
    expect((await authErrorOf(auth.listUsers(member.user, { page: 1, pageSize: 10 }))).code).toBe(
      'FORBIDDEN',
    );
    // A forged "admin" copy of a plain user does not help.
    const forged = { ...member.user, role: 'admin' as const };
    expect((await authErrorOf(auth.listUsers(forged, { page: 1, pageSize: 10 }))).code).toBe(
      'FORBIDDEN',
    );
  });
});

describe('listUsers: search and filters', () => {
  // Names of this block only (other tests add users to the same database).
  const tag = `s${Date.now().toString(36).slice(-5)}`;
  let plain: SignedInUser;
  let boss: SignedInUser;
  let gone: SignedInUser;
  let secure: SignedInUser;

  beforeAll(async () => {
    plain = await createSignedInUser(auth, {
      username: `${tag}_Plain`,
      email: `${tag}.a+b@example.test`,
    });
    boss = await createSignedInUser(auth, {
      username: `${tag}_boss`,
      email: `${tag}.aab@example.test`,
      role: 'admin',
    });
    gone = await createSignedInUser(auth, { username: `${tag}_gone`, active: false });
    secure = await createSignedInUser(auth, { username: `${tag}_secure` });
    await database.current.users.updateOne(
      { _id: secure.user.id },
      { $set: { mfa_enabled: true } },
    );
  });

  const names = async (query: Partial<UserListQuery>) =>
    (await auth.listUsers(admin.user, { page: 1, pageSize: 100, ...query })).users
      .map((user) => user.username)
      .sort();

  it('finds a substring of the username or the email, whatever its case', async () => {
    expect(await names({ search: `${tag}_PL` })).toEqual([`${tag}_Plain`]);
    expect(await names({ search: `  ${tag}_plain ` })).toEqual([`${tag}_Plain`]);
    expect(await names({ search: `${tag}.aab@` })).toEqual([`${tag}_boss`]);
    expect(await names({ search: tag })).toEqual([
      `${tag}_Plain`,
      `${tag}_boss`,
      `${tag}_gone`,
      `${tag}_secure`,
    ]);
    const page = await auth.listUsers(admin.user, { page: 1, pageSize: 2, search: tag });
    expect(page.total).toBe(4);
    expect(page.users).toHaveLength(2);
  });

  it('takes regular expression characters literally', async () => {
    // As a pattern, "a+b@" would match "aab@" (the admin's address), not "a+b@".
    expect(await names({ search: `${tag}.a+b@` })).toEqual([`${tag}_Plain`]);
    expect(await names({ search: 'a+b@' })).toEqual([`${tag}_Plain`]);
    // "." is a dot, not any character; ".*" and a lone "(" match nothing (and do not fail).
    expect(await names({ search: `${tag}.` })).toEqual([`${tag}_Plain`, `${tag}_boss`]);
    for (const search of ['.*', '(', '[a-z]+', '^', '\\', '$where']) {
      expect(await names({ search })).toEqual([]);
    }
  });

  it('filters admins, deactivated accounts and accounts without two-step verification, together with a search', async () => {
    expect(await names({ search: tag, filters: { admins: true } })).toEqual([`${tag}_boss`]);
    expect(await names({ search: tag, filters: { deactivated: true } })).toEqual([`${tag}_gone`]);
    expect(await names({ search: tag, filters: { withoutTwoStep: true } })).toEqual([
      `${tag}_Plain`,
      `${tag}_boss`,
      `${tag}_gone`,
    ]);
    expect(await names({ search: tag, filters: { admins: true, withoutTwoStep: true } })).toEqual([
      `${tag}_boss`,
    ]);
    expect(await names({ search: tag, filters: { admins: true, deactivated: true } })).toEqual([]);
    // Without a search, the filter alone: every admin of the database, and the count matches.
    const admins = await auth.listUsers(admin.user, {
      page: 1,
      pageSize: 100,
      filters: { admins: true },
    });
    expect(admins.users.every((user) => user.role === 'admin')).toBe(true);
    expect(admins.total).toBe(await database.current.users.countDocuments({ role: 'admin' }));
    expect(admins.users.map((user) => user.id)).toContain(boss.user.id);
    void plain;
    void gone;
  });

  it('refuses a search over 100 characters, or one that is not text (VALIDATION)', async () => {
    expect(await names({ search: 'x'.repeat(100) })).toEqual([]);
    const long = await authErrorOf(
      auth.listUsers(admin.user, { page: 1, pageSize: 10, search: 'x'.repeat(101) }),
    );
    expect(long.code).toBe('VALIDATION');
    expect(long.status).toBe(400);
    expect(long.fieldErrors.search?.[0]).toMatch(/100 characters/);
    const operator = await authErrorOf(
      auth.listUsers(admin.user, {
        page: 1,
        pageSize: 10,
        search: { $ne: '' } as unknown as string,
      }),
    );
    expect(operator.code).toBe('VALIDATION');
    // No name or address holds a control character; a NUL would also break the pattern (not a 500).
    for (const search of ['\u0000', 'a\u0000b', 'tab\there']) {
      const control = await authErrorOf(
        auth.listUsers(admin.user, { page: 1, pageSize: 10, search }),
      );
      expect(control.code).toBe('VALIDATION');
    }
  });
});

describe('getUserForAdmin', () => {
  it('names one user for an admin (what an action is about to change); others get 403, unknown ids 404', async () => {
    const member = await createSignedInUser(auth, { username: 'named_member' });
    const found = await auth.getUserForAdmin(admin.user, member.user.id);
    expect(found).toMatchObject({
      id: member.user.id,
      username: 'named_member',
      role: 'user',
      active: true,
    });
    expect(found).not.toHaveProperty('password_hash');
    expect((await authErrorOf(auth.getUserForAdmin(member.user, admin.user.id))).code).toBe(
      'FORBIDDEN',
    );
    expect((await authErrorOf(auth.getUserForAdmin(admin.user, 'no-such-user'))).code).toBe(
      'NOT_FOUND',
    );
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
    expect(
      (await authErrorOf(auth.authenticate(target.user.username, target.password, testRequest)))
        .code,
    ).toBe('INACTIVE');
    expect((await authErrorOf(auth.loginUser(target.user, {}, testRequest))).code).toBe('INACTIVE');

    await auth.setActive(admin.user, target.user.id, true, testRequest);
    expect(
      (await auth.authenticate(target.user.username, target.password, testRequest)).active,
    ).toBe(true);
    const types = (await auth.listEvents(target.user.id)).map((event) => event.type);
    expect(types).toContain('user_deactivated');
    expect(types).toContain('user_activated');
  });

  it('others cannot deactivate anyone; unknown users are not found', async () => {
    const member = await createSignedInUser(auth);
    expect(
      (await authErrorOf(auth.setActive(member.user, admin.user.id, false, testRequest))).code,
    ).toBe('FORBIDDEN');
    expect(
      (await authErrorOf(auth.setActive(admin.user, 'no-such-user', false, testRequest))).code,
    ).toBe('NOT_FOUND');
  });
});

describe('setRole', () => {
  it('promotes and demotes', async () => {
    const member = await createSignedInUser(auth);
    expect((await auth.setRole(admin.user, member.user.id, 'admin', testRequest)).role).toBe(
      'admin',
    );
    // The new admin can act at once.
    expect(
      (await auth.listUsers({ ...member.user, role: 'admin' }, { page: 1, pageSize: 1 })).users,
    ).toHaveLength(1);
    expect((await auth.setRole(admin.user, member.user.id, 'user', testRequest)).role).toBe('user');
    expect(
      (await authErrorOf(auth.setRole(member.user, member.user.id, 'admin', testRequest))).code,
    ).toBe('FORBIDDEN');
    const bad = await authErrorOf(
      auth.setRole(admin.user, member.user.id, 'root' as never, testRequest),
    );
    expect(bad.code).toBe('VALIDATION');
    expect((await auth.listEvents(member.user.id))[0]).toMatchObject({
      type: 'role_changed',
      details: { by: admin.user.id, role: 'user' },
    });
  });
});

describe('at least one active admin remains', () => {
  // Each test starts from exactly one active admin: `root`.
  async function onlyRootIsAdmin() {
    await database.current.users.updateMany(
      { _id: { $ne: admin.user.id } },
      { $set: { role: 'user' } },
    );
    await database.current.users.updateOne(
      { _id: admin.user.id },
      { $set: { role: 'admin', active: true } },
    );
  }

  it('the last admin can neither step down nor deactivate their own account (409)', async () => {
    await onlyRootIsAdmin();
    const demote = await authErrorOf(auth.setRole(admin.user, admin.user.id, 'user', testRequest));
    expect(demote.code).toBe('CONFLICT');
    expect(demote.status).toBe(409);
    expect(demote.message).toMatch(/last active administrator/);
    expect(
      (await authErrorOf(auth.setActive(admin.user, admin.user.id, false, testRequest))).code,
    ).toBe('CONFLICT');
    expect(await database.current.users.countDocuments({ role: 'admin', active: true })).toBe(1);
  });

  it('an admin may step down while another active admin remains', async () => {
    await onlyRootIsAdmin();
    const other = await createSignedInUser(auth, { role: 'admin' });
    expect((await auth.setRole(other.user, other.user.id, 'user', testRequest)).role).toBe('user');
    expect(await database.current.users.countDocuments({ role: 'admin', active: true })).toBe(1);
  });

  it.each([
    [
      'demote',
      (actor: SignedInUser, target: SignedInUser) =>
        auth.setRole(actor.user, target.user.id, 'user', testRequest),
    ],
    [
      'deactivate',
      (actor: SignedInUser, target: SignedInUser) =>
        auth.setActive(actor.user, target.user.id, false, testRequest),
    ],
  ] as const)(
    'two admins who %s each other at the same moment leave one admin',
    async (_name, act) => {
      await onlyRootIsAdmin();
      for (let round = 0; round < 3; round++) {
        const first = await createSignedInUser(auth, { role: 'admin' });
        const second = await createSignedInUser(auth, { role: 'admin' });
        // Only these two may act: root steps aside for the round.
        await database.current.users.updateOne({ _id: admin.user.id }, { $set: { role: 'user' } });
        const results = await Promise.allSettled([act(first, second), act(second, first)]);
        const succeeded = results.filter((result) => result.status === 'fulfilled');
        expect(succeeded).toHaveLength(1);
        const refused = results.find((result) => result.status === 'rejected');
        expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: 'FORBIDDEN' });
        expect(await database.current.users.countDocuments({ role: 'admin', active: true })).toBe(
          1,
        );
        await onlyRootIsAdmin();
      }
    },
  );
});
