// One account lifecycle (DESIGN.md): the security stamp voids what was issued
// before a security change (sessions, mailed links, pending second steps), and
// step-up asks for the account's strongest factor. Each test is an attack from
// the security review of 2026-12-05, replayed against a real database.
import { describe, expect, it } from 'vitest';
import { authErrorOf, useTestAuth } from './test-harness.ts';
import {
  createSignedInUser,
  createSoftAuthenticator,
  makeSessionStale,
  strongTestPassword,
  testRequest,
  totpCode,
  type SignedInUser,
} from './testing.ts';
import type { Auth } from './types.ts';

const SITE = 'https://site.example';
const STEP = 30_000;
const { database, clock, auth } = useTestAuth({ siteUrl: SITE });
const otherBrowser = { ...testRequest, userAgent: 'Intruder/1.0' };

/** The token of the newest link of `path` (e.g. '/verify-email/') mailed to `to`, read from the outbox. */
async function linkTokenMailedTo(to: string, path: string): Promise<string> {
  const mails = await database.current.mailOutbox.find({ to }).sort({ created_at: -1 }).toArray();
  for (const mail of mails) {
    const match = new RegExp(`${SITE}${path}([a-z2-7]+)`).exec(mail.text);
    if (match?.[1]) return match[1];
  }
  throw new Error(`no ${path} link mailed to ${to}`);
}

/** A signed-in user with TOTP on; the clock is moved past the step its confirming code used. */
async function withTotp(
  on: Auth = auth,
): Promise<SignedInUser & { secret: string; recoveryCodes: string[] }> {
  const member = await createSignedInUser(on);
  const enrolment = await on.beginTotpEnrolment(member.session, testRequest);
  const recoveryCodes = await on.confirmTotpEnrolment(
    member.session,
    totpCode(enrolment.secret, clock.now()),
    testRequest,
  );
  clock.advance(2 * STEP);
  return { ...member, secret: enrolment.secret, recoveryCodes };
}

describe('an email change an intruder asked for', () => {
  async function intruderAsksForChange() {
    const owner = await createSignedInUser(auth);
    // The intruder holds the password (no TOTP): a fresh session of their own.
    const intruder = await auth.loginUser(
      await auth.authenticate(owner.user.username, owner.password, otherBrowser),
      { remember: true },
      otherBrowser,
    );
    const to = `intruder-${owner.user.id}@evil.test`;
    await auth.requestEmailChange(intruder.session, to, otherBrowser);
    return { owner, intruder, token: await linkTokenMailedTo(to, '/verify-email/') };
  }

  it('dies when the owner changes the password', async () => {
    const { owner, intruder, token } = await intruderAsksForChange();
    await auth.changePassword(
      owner.session,
      { currentPassword: owner.password, newPassword: strongTestPassword() },
      testRequest,
    );
    expect((await auth.loadUser(intruder.token, otherBrowser)).user.isAuthenticated).toBe(false);
    const refused = await authErrorOf(auth.verifyEmail(token, otherBrowser));
    expect(refused.code).toBe('VALIDATION');
    expect((await database.current.users.findOne({ _id: owner.user.id }))?.email).toBe(
      owner.user.email,
    );
  });

  it('dies when the owner resets the password by mail', async () => {
    const { owner, token } = await intruderAsksForChange();
    await auth.requestPasswordReset(owner.user.email, testRequest);
    const reset = await linkTokenMailedTo(owner.user.email, '/reset/');
    await auth.resetPassword(reset, strongTestPassword(), testRequest);
    expect((await authErrorOf(auth.verifyEmail(token, otherBrowser))).code).toBe('VALIDATION');
    expect((await database.current.users.findOne({ _id: owner.user.id }))?.email).toBe(
      owner.user.email,
    );
  });

  it('dies when the owner signs out everywhere else', async () => {
    const { owner, token } = await intruderAsksForChange();
    await auth.revokeOtherSessions(owner.session, testRequest);
    expect((await authErrorOf(auth.verifyEmail(token, otherBrowser))).code).toBe('VALIDATION');
    // The owner's own session was carried over to the new stamp.
    expect((await auth.loadUser(owner.token, testRequest)).user.isAuthenticated).toBe(true);
  });
});

describe('a provider connection an intruder planted', () => {
  it('is removed by the owner’s password reset, and the mail says so; older ones stay', async () => {
    const owner = await createSignedInUser(auth);
    const link = (id: string, provider: string, createdAt: Date) => ({
      _id: id,
      user_id: owner.user.id,
      provider,
      issuer: `https://${provider}.example`,
      subject: `${id}-subject`,
      email: null,
      display_name: null,
      created_at: createdAt,
      last_used_at: null,
    });
    // Written as the connect flow writes it (identity-providers/flows.ts): the owner's
    // own, a month old, and one connected a minute ago by whoever held a fresh session.
    await database.current.users.updateOne(
      { _id: owner.user.id },
      { $set: { created_at: new Date(clock.now().getTime() - 60 * 86_400_000) } },
    );
    await database.current.oauthAccounts.insertOne(
      link(`own-${owner.user.id}`, 'github', new Date(clock.now().getTime() - 30 * 86_400_000)),
    );
    await database.current.oauthAccounts.insertOne(
      link(`planted-${owner.user.id}`, 'oidc', new Date(clock.now().getTime() - 60_000)),
    );

    await auth.requestPasswordReset(owner.user.email, testRequest);
    await auth.resetPassword(
      await linkTokenMailedTo(owner.user.email, '/reset/'),
      strongTestPassword(),
      testRequest,
    );

    const left = await database.current.oauthAccounts.find({ user_id: owner.user.id }).toArray();
    expect(left.map((item) => item._id)).toEqual([`own-${owner.user.id}`]);
    const [notice] = await database.current.mailOutbox
      .find({ to: owner.user.email, kind: 'password_reset_notice' })
      .toArray();
    expect(notice?.text).toContain('were disconnected with the reset (oidc)');
    expect((await auth.listEvents(owner.user.id, 20)).map((event) => event.type)).toContain(
      'oauth_disconnected',
    );
  });
});

describe('an authenticator set-up left unfinished', () => {
  it("is void after the owner's password reset: it cannot be finished with the intruder's app", async () => {
    const owner = await createSignedInUser(auth);
    // The intruder, on a fresh session, adds their own app and stops before "I have saved them".
    const planted = await auth.beginTotpEnrolment(owner.session, testRequest);
    await auth.verifyTotpEnrolment(
      owner.session,
      totpCode(planted.secret, clock.now()),
      testRequest,
    );
    expect(await auth.twoStepStatus(owner.session)).toMatchObject({ state: 'unsaved' });

    await auth.requestPasswordReset(owner.user.email, testRequest);
    const password = strongTestPassword();
    await auth.resetPassword(
      await linkTokenMailedTo(owner.user.email, '/reset/'),
      password,
      testRequest,
    );

    // The owner, signed in again, sees nothing under way and cannot turn the planted app on.
    const again = await auth.signIn({ login: owner.user.username, password }, testRequest);
    if (again.status !== 'signed_in') throw new Error(`not signed in: ${again.status}`);
    expect(await auth.twoStepStatus(again.login.session)).toMatchObject({ state: 'off' });
    expect(
      (await authErrorOf(auth.finishTotpEnrolment(again.login.session, testRequest))).code,
    ).toBe('CONFLICT');
    expect(await auth.secondFactorRequired(owner.user)).toBe(false);
  });
});

describe('the security stamp', () => {
  it('ends every session issued before it changed, in the database and in the cache', async () => {
    const member = await createSignedInUser(auth);
    const other = await auth.loginUser(member.user, { remember: true }, otherBrowser);
    expect((await auth.loadUser(other.token, otherBrowser)).user.isAuthenticated).toBe(true);
    // Written outside every flow that also ends sessions: the stamp alone must hold.
    await database.current.users.updateOne(
      { _id: member.user.id },
      { $set: { security_stamp: 'changed-elsewhere' } },
    );
    await database.current.sessions.updateMany(
      { user_id: member.user.id },
      { $set: { 'user.security_stamp': 'changed-elsewhere' } },
    );
    await auth.invalidateSessions({ userId: member.user.id });
    const loaded = await auth.loadUser(other.token, otherBrowser);
    expect(loaded.user.isAuthenticated).toBe(false);
    expect(await database.current.sessions.countDocuments({ _id: other.session.id })).toBe(0);
  });

  it('voids a reset link mailed before an email change (to the old address)', async () => {
    const member = await createSignedInUser(auth);
    await auth.requestPasswordReset(member.user.email, testRequest);
    const reset = await linkTokenMailedTo(member.user.email, '/reset/');
    const to = `new-${member.user.id}@example.test`;
    await auth.requestEmailChange(member.session, to, testRequest);
    await auth.verifyEmail(await linkTokenMailedTo(to, '/verify-email/'), testRequest, {
      keepSessionId: member.session.id,
    });
    expect(await auth.checkPasswordResetToken(reset)).toBeNull();
    expect(
      (await authErrorOf(auth.resetPassword(reset, strongTestPassword(), otherBrowser))).code,
    ).toBe('VALIDATION');
    // The browser that confirmed stays signed in; nothing else does.
    expect((await auth.loadUser(member.token, testRequest)).user).toMatchObject({ email: to });
  });

  it('voids a verification link after a password change', async () => {
    const member = await createSignedInUser(auth);
    await auth.resendVerification(member.session, testRequest);
    const token = await linkTokenMailedTo(member.user.email, '/verify-email/');
    await auth.changePassword(
      member.session,
      { currentPassword: member.password, newPassword: strongTestPassword() },
      testRequest,
    );
    expect((await authErrorOf(auth.verifyEmail(token, testRequest))).code).toBe('VALIDATION');
  });

  it('voids a second step begun with the old password once the password changes', async () => {
    const member = await withTotp();
    const step = await auth.signIn(
      { login: member.user.username, password: member.password },
      otherBrowser,
    );
    if (step.status !== 'second_factor') throw new Error('expected a second step');
    await auth.changePassword(
      member.session,
      { currentPassword: member.password, newPassword: strongTestPassword() },
      testRequest,
    );
    const late = await authErrorOf(
      auth.completeSecondFactor(
        step.challenge,
        { code: totpCode(member.secret, clock.now()) },
        otherBrowser,
      ),
    );
    expect(late.code).toBe('UNAUTHORIZED');
    expect(
      await database.current.sessions.countDocuments({
        user_id: member.user.id,
        user_agent: 'Intruder/1.0',
      }),
    ).toBe(0);
  });

  it('is checked when the second step completes, even if nothing deleted the pending step', async () => {
    const member = await withTotp();
    const step = await auth.signIn(
      { login: member.user.username, password: member.password },
      otherBrowser,
    );
    if (step.status !== 'second_factor') throw new Error('expected a second step');
    await database.current.users.updateOne(
      { _id: member.user.id },
      { $set: { security_stamp: 'changed-elsewhere' } },
    );
    const late = await authErrorOf(
      auth.completeSecondFactor(
        step.challenge,
        { code: totpCode(member.secret, clock.now()) },
        otherBrowser,
      ),
    );
    expect(late.code).toBe('UNAUTHORIZED');
  });
});

describe('device tokens', () => {
  /** Wrong passwords from a client holding `deviceToken` until one is refused; the refusal. */
  async function guessUntilRefused(username: string, deviceToken: string) {
    const request = { ...testRequest, ip: '203.0.113.77', deviceToken };
    for (let attempt = 1; attempt <= 12; attempt++) {
      const refused = await authErrorOf(auth.authenticate(username, 'not the password', request));
      if (refused.code === 'THROTTLED') return { attempt, scope: refused.scope };
    }
    return { attempt: null, scope: null };
  }

  it('minted before a password change are ignored after it (the account lock applies)', async () => {
    const trusted = await createSignedInUser(auth);
    const before = await auth.signIn(
      { login: trusted.user.username, password: trusted.password },
      testRequest,
    );
    if (before.status !== 'signed_in') throw new Error('expected a session');
    // Still valid: wrong guesses count on the device, past the account's 5.
    expect(await guessUntilRefused(trusted.user.username, before.device.token)).toMatchObject({
      scope: 'device',
    });

    const owner = await createSignedInUser(auth);
    const minted = await auth.signIn(
      { login: owner.user.username, password: owner.password },
      testRequest,
    );
    if (minted.status !== 'signed_in') throw new Error('expected a session');
    await auth.changePassword(
      minted.login.session,
      { currentPassword: owner.password, newPassword: strongTestPassword() },
      testRequest,
    );
    // Void now: the stranger's budget, the account lock after 5.
    expect(await guessUntilRefused(owner.user.username, minted.device.token)).toEqual({
      attempt: 6,
      scope: 'account',
    });
  });
});

describe('sessions record how they authenticated', () => {
  it('password, password and code, passkey', async () => {
    const member = await withTotp();
    const step = await auth.signIn(
      { login: member.user.username, password: member.password },
      testRequest,
    );
    if (step.status !== 'second_factor') throw new Error('expected a second step');
    const done = await auth.completeSecondFactor(
      step.challenge,
      { code: totpCode(member.secret, clock.now()) },
      testRequest,
    );
    expect(done.login.session.amr).toEqual(['password', 'totp']);
    expect((await auth.loadUser(done.login.token, testRequest)).session?.amr).toEqual([
      'password',
      'totp',
    ]);

    const plain = await createSignedInUser(auth);
    const signedIn = await auth.signIn(
      { login: plain.user.username, password: plain.password },
      testRequest,
    );
    if (signedIn.status !== 'signed_in') throw new Error('expected a session');
    expect(signedIn.login.session.amr).toEqual(['password']);
    expect(signedIn.device.token).toMatch(/\./);

    const authenticator = createSoftAuthenticator({ origin: SITE });
    await auth.registerPasskey(
      plain.session,
      authenticator.register(await auth.passkeyRegistrationOptions(plain.session, testRequest)),
      'Key',
      testRequest,
    );
    const options = await auth.passkeyAuthenticationOptions();
    const withPasskey = await auth.signInWithPasskey(
      authenticator.authenticate(options),
      {},
      testRequest,
    );
    expect(withPasskey.login.session.amr).toEqual(['passkey']);
    expect(withPasskey.device.token).toMatch(/\./);
  });
});

describe('step-up on an account with TOTP asks for the second factor', () => {
  it('refuses the password alone, and turns nothing off with codes made by a password-only session', async () => {
    const member = await withTotp();
    // A stolen, stale cookie and the password.
    await makeSessionStale(auth, member.session.id);
    const passwordOnly = await authErrorOf(
      auth.confirmLogin(member.session, member.password, testRequest),
    );
    expect(passwordOnly.code).toBe('VALIDATION');
    expect(passwordOnly.fieldErrors.code).toBeDefined();
    expect(
      (await authErrorOf(auth.regenerateRecoveryCodes(member.session, testRequest))).code,
    ).toBe('NEEDS_REFRESH');
    expect(
      (await authErrorOf(auth.passkeyRegistrationOptions(member.session, testRequest))).code,
    ).toBe('NEEDS_REFRESH');
    // A wrong code does not step up either.
    expect(
      (
        await authErrorOf(
          auth.confirmLogin(member.session, member.password, testRequest, { code: '000000' }),
        )
      ).code,
    ).toBe('VALIDATION');
    expect(await auth.secondFactorRequired(member.user)).toBe(true);
  });

  it('a password sign-in whose session predates TOTP is not fresh enough for sensitive changes', async () => {
    const member = await createSignedInUser(auth);
    const older = await auth.loginUser(member.user, {}, otherBrowser);
    const enrolment = await auth.beginTotpEnrolment(member.session, testRequest);
    await auth.confirmTotpEnrolment(
      member.session,
      totpCode(enrolment.secret, clock.now()),
      testRequest,
    );
    // The enrolling session gave the code; the older one never did.
    expect((await auth.loadUser(member.token, testRequest)).session?.amr).toEqual([
      'password',
      'totp',
    ]);
    const loaded = await auth.loadUser(older.token, otherBrowser);
    expect(loaded.session?.stepUp).toBe('second_factor');
    expect(auth.isFresh(loaded.session!)).toBe(false);
    expect(
      (await authErrorOf(auth.regenerateRecoveryCodes(loaded.session!, otherBrowser))).code,
    ).toBe('NEEDS_REFRESH');
  });

  it('the password and a code (or a passkey) make the session fresh', async () => {
    const member = await withTotp();
    await makeSessionStale(auth, member.session.id);
    const renewed = await auth.confirmLogin(member.session, member.password, testRequest, {
      code: totpCode(member.secret, clock.now()),
    });
    expect(renewed.session.amr).toEqual(['password', 'totp']);
    expect(auth.isFresh(renewed.session)).toBe(true);
    expect(await auth.regenerateRecoveryCodes(renewed.session, testRequest)).toHaveLength(10);
  });
});

describe('admins', () => {
  const strict = useTestAuth({ siteUrl: SITE, requireMfaForAdmins: true });

  it('a session that signed in with the password alone is refused admin rights once the account has TOTP', async () => {
    const root = await createSignedInUser(strict.auth, { role: 'admin' });
    const passwordOnly = await strict.auth.loginUser(root.user, {}, otherBrowser);
    const enrolment = await strict.auth.beginTotpEnrolment(root.session, testRequest);
    await strict.auth.confirmTotpEnrolment(
      root.session,
      totpCode(enrolment.secret, strict.clock.now()),
      testRequest,
    );
    const loaded = await strict.auth.loadUser(passwordOnly.token, otherBrowser);
    expect(loaded.user).toMatchObject({ role: 'admin', mfaEnabled: true });
    expect(() =>
      strict.auth.checkAdminSession(loaded.user as never, loaded.session!, { mutation: false }),
    ).toThrow(expect.objectContaining({ code: 'NEEDS_REFRESH' }));
    // The enrolling session passed the factor: admin reads, and (fresh) changes.
    const mine = await strict.auth.loadUser(root.token, testRequest);
    expect(() =>
      strict.auth.checkAdminSession(mine.user as never, mine.session!, { mutation: true }),
    ).not.toThrow();
    // Stale: reads yes, changes no.
    await makeSessionStale(strict.auth, root.session.id);
    const stale = await strict.auth.loadUser(root.token, testRequest);
    expect(() =>
      strict.auth.checkAdminSession(stale.user as never, stale.session!, { mutation: false }),
    ).not.toThrow();
    expect(() =>
      strict.auth.checkAdminSession(stale.user as never, stale.session!, { mutation: true }),
    ).toThrow(expect.objectContaining({ code: 'NEEDS_REFRESH' }));
  });

  it('an admin cannot reset their own second factor; resetting another ends their sessions', async () => {
    const root = await createSignedInUser(auth, { role: 'admin' });
    const other = await createSignedInUser(auth, { role: 'admin' });
    expect(
      (await authErrorOf(auth.resetSecondFactor(root.user, root.user.id, testRequest))).code,
    ).toBe('FORBIDDEN');
    await auth.resetSecondFactor(root.user, other.user.id, testRequest);
    expect((await auth.loadUser(other.token, testRequest)).user.isAuthenticated).toBe(false);
  });
});
