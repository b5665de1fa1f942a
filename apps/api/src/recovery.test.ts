// Account recovery and email addresses over HTTP, with mail delivered by a
// real SMTP server (Mailpit): forgot and reset password, email verification
// and change, the admin's reset link and sign-out everywhere, and
// REQUIRE_VERIFIED_EMAIL.
import { createSoftAuthenticator, makeSessionStale } from '@authkit/auth/testing';
import { linkIn, startMailpit, type InboxMessage } from '@authkit/auth/mailpit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cookiePair,
  mutate,
  query,
  sessionIdOf,
  signUp,
  startTestApi,
  strongPassword,
  uniqueName,
  useTestApi,
  type CallHeaders,
  type TestApi,
} from './test-helpers/index.ts';

const SITE = 'https://site.example';
const mailpit = await startMailpit();
afterAll(() => mailpit.stop());

const api = useTestApi({ smtpUrl: mailpit.smtpUrl, siteUrl: SITE });

const seen = new Set<string>();
/** The next mail to `address` whose subject starts with `subject`, not returned before. */
async function nextMail(address: string, subject: string): Promise<InboxMessage> {
  const mail = await mailpit.waitForMessage(address, {
    match: (message) => message.subject.startsWith(subject) && !seen.has(message.id),
  });
  seen.add(mail.id);
  return mail;
}
const tokenIn = (mail: InboxMessage, path: string) => {
  const link = linkIn(mail, `${SITE}${path}`);
  return link.slice(link.lastIndexOf('/') + 1);
};

async function me(target: { url: string }, headers: CallHeaders) {
  return query(target, 'auth.me', undefined, headers);
}

async function eventsOf(target: TestApi, userId: string) {
  return target.auth.listEvents(userId, 100);
}

describe('forgot password', () => {
  it('lists the passkeys on the reset link and removes those named with the reset, no others', async () => {
    const member = await signUp(api);
    const authenticator = createSoftAuthenticator({ origin: SITE });
    const options = await mutate(
      api,
      'auth.passkeys.registrationOptions',
      undefined,
      member.bearer,
    );
    const response = authenticator.register(options.body.result.data);
    const registered = await mutate(
      api,
      'auth.passkeys.register',
      { response, name: 'Planted' },
      member.bearer,
    );
    expect(registered.status).toBe(200);
    const passkeyId: string = registered.body.result.data.passkey.id;

    await mutate(api, 'auth.requestPasswordReset', { login: member.email });
    const token = tokenIn(await nextMail(member.email, 'Reset your password'), '/reset/');
    const check = await query(api, 'auth.checkPasswordResetToken', { token });
    expect(check.body.result.data.passkeys).toEqual([
      {
        id: passkeyId,
        name: 'Planted',
        createdAt: expect.any(String),
        lastUsedAt: null,
        recent: true,
      },
    ]);

    // Bad input: 400, and the link still works.
    const bad = await mutate(api, 'auth.resetPassword', {
      token,
      newPassword: strongPassword(),
      removePasskeys: [7],
    });
    expect(bad.status).toBe(400);
    expect(
      (await query(api, 'auth.checkPasswordResetToken', { token })).body.result.data.valid,
    ).toBe(true);

    const reset = await mutate(api, 'auth.resetPassword', {
      token,
      newPassword: strongPassword(),
      removePasskeys: [passkeyId],
    });
    expect(reset.status).toBe(200);
    expect(await api.auth.database.passkeys.countDocuments({ user_id: member.id })).toBe(0);
    const notice = await nextMail(member.email, 'Your password was reset');
    expect(notice.text).toContain('Removed with the reset, as asked: “Planted”');
  });

  it('mails a link; the reset ends every session and only the new password works', async () => {
    const member = await signUp(api, { via: 'both' });
    const asked = await mutate(api, 'auth.requestPasswordReset', { login: member.email });
    expect(asked.status).toBe(200);
    expect(asked.body.result.data).toEqual({ ok: true });

    const token = tokenIn(await nextMail(member.email, 'Reset your password'), '/reset/');
    const check = await query(api, 'auth.checkPasswordResetToken', { token });
    expect(check.body.result.data).toEqual({
      valid: true,
      username: member.username,
      passkeys: [],
    });

    // A weak password is refused by field, and the link still works after it.
    const weak = await mutate(api, 'auth.resetPassword', { token, newPassword: 'password1' });
    expect(weak.status).toBe(400);
    expect(weak.body.error.data.fieldErrors.newPassword).toBeDefined();

    const newPassword = strongPassword();
    const reset = await mutate(api, 'auth.resetPassword', { token, newPassword });
    expect(reset.status).toBe(200);
    expect(reset.body.result.data).toEqual({ ok: true });

    // Signed out everywhere: the bearer session and the browser's cookie session.
    expect((await me(api, member.bearer)).status).toBe(401);
    expect((await me(api, member.browser)).status).toBe(401);
    const old = await mutate(api, 'auth.login', {
      username: member.username,
      password: member.password,
    });
    expect(old.status).toBe(401);
    const fresh = await mutate(api, 'auth.login', {
      username: member.username,
      password: newPassword,
      bearer: true,
    });
    expect(fresh.status).toBe(200);

    // Single use.
    const again = await query(api, 'auth.checkPasswordResetToken', { token });
    expect(again.body.result.data).toEqual({ valid: false });
    const reused = await mutate(api, 'auth.resetPassword', {
      token,
      newPassword: strongPassword(),
    });
    expect(reused.status).toBe(400);
    expect(reused.body.error.data.fieldErrors.token).toBeDefined();

    const notice = await nextMail(member.email, 'Your password was reset');
    expect(notice.text).not.toContain(newPassword);
  });

  it('answers an unknown account the same, and mails nothing', async () => {
    const member = await signUp(api);
    const nobody = `${uniqueName('nobody')}@example.com`;
    const outboxTo = (to: string) => api.database.mailOutbox.countDocuments({ to });
    const [knownBefore, unknownBefore] = [await outboxTo(member.email), await outboxTo(nobody)];

    const known = await mutate(api, 'auth.requestPasswordReset', { login: member.email });
    const unknown = await mutate(api, 'auth.requestPasswordReset', { login: nobody });
    expect(unknown.status).toBe(known.status);
    expect(unknown.body).toEqual(known.body);
    // The outbox is written before the answer: the known account got a mail, the other none.
    expect(await outboxTo(member.email)).toBe(knownBefore + 1);
    expect(await outboxTo(nobody)).toBe(unknownBefore);
    await nextMail(member.email, 'Reset your password');
    expect(await mailpit.messagesTo(nobody)).toEqual([]);
  });

  it('lets the owner’s device token past a name that strangers throttled', async () => {
    const member = await signUp(api);
    const login = await mutate(api, 'auth.login', {
      username: member.username,
      password: member.password,
      bearer: true,
    });
    const deviceToken: string = login.body.result.data.deviceToken;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push(
        (await mutate(api, 'auth.requestPasswordReset', { login: member.username })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const resets = () =>
      api.database.mailOutbox.countDocuments({ to: member.email, kind: 'password_reset' });
    const before = await resets();
    const owners = await mutate(
      api,
      'auth.requestPasswordReset',
      { login: member.username },
      { 'x-device-token': deviceToken },
    );
    expect(owners.status).toBe(200);
    expect(await resets()).toBe(before + 1);
  });

  it('refuses a bad link by field', async () => {
    const check = await query(api, 'auth.checkPasswordResetToken', { token: 'a'.repeat(40) });
    expect(check.body.result.data).toEqual({ valid: false });
    const reset = await mutate(api, 'auth.resetPassword', {
      token: 'a'.repeat(40),
      newPassword: strongPassword(),
    });
    expect(reset.status).toBe(400);
    expect(Object.keys(reset.body.error.data.fieldErrors)).toEqual(['token']);
  });

  it('is throttled per account name: 429 with Retry-After', async () => {
    const login = uniqueName('flood');
    let refused;
    for (let i = 0; i < 10 && !refused; i++) {
      const result = await mutate(api, 'auth.requestPasswordReset', { login });
      if (result.status !== 200) refused = result;
    }
    expect(refused?.status).toBe(429);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused?.body.error.data.reason).toBe('throttled');
  });
});

describe('email verification', () => {
  it('verifies through the mailed link without a session, once', async () => {
    const member = await signUp(api);
    expect((await me(api, member.bearer)).body.result.data.user.emailVerified).toBe(false);
    const token = tokenIn(await nextMail(member.email, 'Confirm your email'), '/verify-email/');

    // Opened in another browser: no cookie, no token.
    const verified = await mutate(api, 'auth.verifyEmail', { token });
    expect(verified.status).toBe(200);
    expect(verified.body.result.data).toEqual({ ok: true, email: member.email, changed: false });
    expect((await me(api, member.bearer)).body.result.data.user.emailVerified).toBe(true);

    const reused = await mutate(api, 'auth.verifyEmail', { token });
    expect(reused.status).toBe(400);
    expect(reused.body.error.data.fieldErrors.token).toBeDefined();
    const resend = await mutate(api, 'auth.resendVerification', undefined, member.bearer);
    expect(resend.body.result.data).toEqual({ alreadyVerified: true });
  });

  it('resends a link on request, which supersedes the first', async () => {
    const member = await signUp(api);
    const first = tokenIn(await nextMail(member.email, 'Confirm your email'), '/verify-email/');
    expect((await mutate(api, 'auth.resendVerification', undefined, {})).status).toBe(401);
    const resend = await mutate(api, 'auth.resendVerification', undefined, member.bearer);
    expect(resend.body.result.data).toEqual({ alreadyVerified: false });
    const second = tokenIn(await nextMail(member.email, 'Confirm your email'), '/verify-email/');
    expect(second).not.toBe(first);
    expect((await mutate(api, 'auth.verifyEmail', { token: first })).status).toBe(400);
    expect((await mutate(api, 'auth.verifyEmail', { token: second })).status).toBe(200);
  });
});

describe('email change', () => {
  it('needs a fresh session, then takes effect when the new address confirms', async () => {
    const member = await signUp(api, { via: 'cookie' });
    const newEmail = `${uniqueName('moved')}@example.com`;
    await makeSessionStale(api.auth, await sessionIdOf(api, member.browser));

    const stale = await mutate(api, 'auth.requestEmailChange', { email: newEmail }, member.browser);
    expect(stale.status).toBe(403);
    expect(stale.body.error.data.reason).toBe('needs_refresh');
    expect(await api.database.singleUseTokens.countDocuments({ kind: 'email_change' })).toBe(0);

    const reauth = await mutate(
      api,
      'auth.reauthenticate',
      { password: member.password },
      member.browser,
    );
    expect(reauth.status).toBe(200);
    // A new session token comes with the re-authentication.
    member.browser = { ...member.browser, cookie: cookiePair(reauth.headers) };
    const invalid = await mutate(api, 'auth.requestEmailChange', { email: 'nope' }, member.browser);
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.data.fieldErrors.email).toBeDefined();
    const asked = await mutate(api, 'auth.requestEmailChange', { email: newEmail }, member.browser);
    expect(asked.status).toBe(200);
    await nextMail(member.email, 'Your email address is about to change');
    // Nothing changes until the new address confirms.
    expect((await me(api, member.browser)).body.result.data.user.email).toBe(member.email);

    const token = tokenIn(await nextMail(newEmail, 'Confirm your new'), '/verify-email/');
    // Confirmed in another browser: the change ends every session (the security stamp),
    // this one's too; the new address signs in.
    const verified = await mutate(api, 'auth.verifyEmail', { token });
    expect(verified.body.result.data).toEqual({ ok: true, email: newEmail, changed: true });
    expect((await me(api, member.browser)).status).toBe(401);
    const again = await mutate(api, 'auth.login', { username: newEmail, password: member.password, bearer: true });
    const user = (await me(api, { authorization: `Bearer ${again.body.result.data.token}` })).body.result.data.user;
    expect(user).toMatchObject({ email: newEmail, emailVerified: true });
    await nextMail(member.email, 'Your email address was changed');
    const types = (await eventsOf(api, member.id)).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['needs_refresh', 'email_changed']));
  });
});

describe('a pending email change', () => {
  it('is listed, mailed again and cancelled by its owner only; the cancelled link is refused', async () => {
    const member = await signUp(api, { via: 'cookie' });
    const other = await signUp(api);
    const newEmail = `${uniqueName('pending')}@example.com`;
    expect((await mutate(api, 'auth.requestEmailChange', { email: newEmail }, member.browser)).status).toBe(200);
    const first = tokenIn(await nextMail(newEmail, 'Confirm your new'), '/verify-email/');

    const pending = await query(api, 'auth.pendingEmailChange', undefined, member.browser);
    expect(pending.body.result.data).toMatchObject({ email: newEmail });
    // Anonymous: 401. Another account: its own (none), nothing of this one's.
    expect((await query(api, 'auth.pendingEmailChange')).status).toBe(401);
    expect((await mutate(api, 'auth.cancelEmailChange')).status).toBe(401);
    expect((await mutate(api, 'auth.resendEmailChange')).status).toBe(401);
    expect((await query(api, 'auth.pendingEmailChange', undefined, other.bearer)).body.result.data).toBeNull();
    expect((await mutate(api, 'auth.resendEmailChange', undefined, other.bearer)).status).toBe(404);
    expect((await mutate(api, 'auth.cancelEmailChange', undefined, other.bearer)).body.result.data).toEqual({
      ok: true,
      cancelled: false,
    });
    // Resend takes no address: one given is bad input.
    expect((await mutate(api, 'auth.resendEmailChange', { email: 'elsewhere@example.com' }, member.browser)).status).toBe(400);

    const resent = await mutate(api, 'auth.resendEmailChange', undefined, member.browser);
    expect(resent.body.result.data).toEqual({ ok: true, email: newEmail });
    const second = tokenIn(await nextMail(newEmail, 'Confirm your new'), '/verify-email/');
    expect(second).not.toBe(first);
    expect((await mutate(api, 'auth.verifyEmail', { token: first })).status).toBe(400);

    const cancelled = await mutate(api, 'auth.cancelEmailChange', undefined, member.browser);
    expect(cancelled.body.result.data).toEqual({ ok: true, cancelled: true });
    expect((await mutate(api, 'auth.verifyEmail', { token: second })).status).toBe(400);
    expect((await query(api, 'auth.pendingEmailChange', undefined, member.browser)).body.result.data).toBeNull();
    expect((await me(api, member.browser)).body.result.data.user.email).toBe(member.email);
  });
});

describe('email change to a taken address', () => {
  it('answers like a free address, and mails the owner a notice', async () => {
    const owner = await signUp(api);
    const member = await signUp(api, { via: 'cookie' });
    const freeEmail = `${uniqueName('free')}@example.com`;
    const free = await mutate(api, 'auth.requestEmailChange', { email: freeEmail }, member.browser);
    const taken = await mutate(
      api,
      'auth.requestEmailChange',
      { email: owner.email.toUpperCase() },
      member.browser,
    );
    expect(free.status).toBe(200);
    expect(taken.status).toBe(free.status);
    expect(taken.body).toEqual(free.body);
    const notice = await nextMail(owner.email, 'Somebody tried to use your email address');
    expect(notice.text).not.toContain(member.username);
    const links = await api.database.mailOutbox.countDocuments({
      kind: 'email_change',
      to: { $in: [owner.email, owner.email.toUpperCase()] },
    });
    expect(links).toBe(0);
    expect((await me(api, owner.bearer)).body.result.data.user.email).toBe(owner.email);
  });
});

describe('admin recovery tools', () => {
  it('are refused to members (403) and change nothing', async () => {
    const member = await signUp(api);
    const victim = await signUp(api);
    const outboxBefore = await api.database.mailOutbox.countDocuments({ to: victim.email });
    for (const path of ['admin.users.sendPasswordResetLink', 'admin.users.endSessions']) {
      const result = await mutate(api, path, { userId: victim.id }, member.bearer);
      expect(result.status, path).toBe(403);
      expect(result.body.error.data.reason, path).toBe('forbidden');
      expect((await mutate(api, path, { userId: victim.id })).status, path).toBe(401);
    }
    expect((await me(api, victim.bearer)).status).toBe(200);
    expect(await api.database.mailOutbox.countDocuments({ to: victim.email })).toBe(outboxBefore);
  });

  it('mail a reset link and sign a user out everywhere, audited with the admin', async () => {
    const admin = await signUp(api, { role: 'admin' });
    const member = await signUp(api, { via: 'both' });

    const sent = await mutate(
      api,
      'admin.users.sendPasswordResetLink',
      { userId: member.id },
      admin.bearer,
    );
    expect(sent.status).toBe(200);
    const token = tokenIn(await nextMail(member.email, 'Reset your password'), '/reset/');
    const check = await query(api, 'auth.checkPasswordResetToken', { token });
    expect(check.body.result.data).toEqual({
      valid: true,
      username: member.username,
      passkeys: [],
    });

    const ended = await mutate(api, 'admin.users.endSessions', { userId: member.id }, admin.bearer);
    expect(ended.status).toBe(200);
    expect(ended.body.result.data).toEqual({ ended: 2 });
    expect((await me(api, member.bearer)).status).toBe(401);
    expect((await me(api, member.browser)).status).toBe(401);
    expect((await me(api, admin.bearer)).status).toBe(200);

    const events = await eventsOf(api, member.id);
    const byAdmin = (type: string) =>
      events.find((event) => event.type === type && event.details?.by === admin.id);
    expect(byAdmin('password_reset_requested')).toBeDefined();
    expect(byAdmin('session_revoked')).toMatchObject({ details: { all: true, count: 2 } });

    for (const path of ['admin.users.sendPasswordResetLink', 'admin.users.endSessions']) {
      const missing = await mutate(api, path, { userId: 'nosuchuser000000' }, admin.bearer);
      expect(missing.status, path).toBe(404);
    }
  });
});

describe('REQUIRE_VERIFIED_EMAIL', () => {
  let strict: TestApi;
  beforeAll(async () => {
    strict = await startTestApi({
      smtpUrl: mailpit.smtpUrl,
      siteUrl: SITE,
      requireVerifiedEmail: true,
    });
  });
  afterAll(() => strict?.close());

  it('refuses an unverified user (reason email_unverified) but for the way out, and lets them in once verified', async () => {
    const member = await signUp(strict, { via: 'cookie' });
    const refused = [
      await query(strict, 'auth.sessions.list', undefined, member.browser),
      await query(strict, 'auth.events', undefined, member.browser),
      await mutate(
        strict,
        'auth.changePassword',
        { currentPassword: member.password, newPassword: strongPassword() },
        member.browser,
      ),
    ];
    for (const result of refused) {
      expect(result.status).toBe(403);
      expect(result.body.error.data.reason).toBe('email_unverified');
    }

    // The way out: who am I, another link, a fix of a wrong address.
    const who = await me(strict, member.browser);
    expect(who.status).toBe(200);
    expect(who.body.result.data.user.emailVerified).toBe(false);
    const resend = await mutate(strict, 'auth.resendVerification', undefined, member.browser);
    expect(resend.body.result.data).toEqual({ alreadyVerified: false });
    const moved = `${uniqueName('fixed')}@example.com`;
    const change = await mutate(
      strict,
      'auth.requestEmailChange',
      { email: moved },
      member.browser,
    );
    expect(change.status).toBe(200);
    // Its pending change is theirs to see (and to resend or cancel).
    const pending = await query(strict, 'auth.pendingEmailChange', undefined, member.browser);
    expect(pending.body.result.data).toMatchObject({ email: moved });

    const token = tokenIn(await nextMail(moved, 'Confirm your new'), '/verify-email/');
    // Opened in the browser that asked: its session stays (every other one ends with the change).
    expect((await mutate(strict, 'auth.verifyEmail', { token }, member.browser)).status).toBe(200);
    const allowed = await query(strict, 'auth.sessions.list', undefined, member.browser);
    expect(allowed.status).toBe(200);

    const logout = await mutate(strict, 'auth.logout', undefined, member.browser);
    expect(logout.status).toBe(200);
  });

  it('tells an unverified admin to verify, and a member that it is forbidden', async () => {
    const admin = await signUp(strict, { role: 'admin' });
    const member = await signUp(strict);
    const asAdmin = await query(strict, 'admin.users.list', undefined, admin.bearer);
    expect(asAdmin.status).toBe(403);
    expect(asAdmin.body.error.data.reason).toBe('email_unverified');
    const asMember = await query(strict, 'admin.users.list', undefined, member.bearer);
    expect(asMember.body.error.data.reason).toBe('forbidden');

    const token = tokenIn(await nextMail(admin.email, 'Confirm your email'), '/verify-email/');
    await mutate(strict, 'auth.verifyEmail', { token });
    expect((await query(strict, 'admin.users.list', undefined, admin.bearer)).status).toBe(200);
  });

  it('answers a sign-up with a taken address like a new one, and tells the owner (issue 14.5)', async () => {
    const owner = await signUp(strict);
    const fresh = await mutate(strict, 'auth.register', {
      username: uniqueName('new'),
      email: `${uniqueName('new')}@example.com`,
      password: strongPassword(),
    });
    const taken = await mutate(strict, 'auth.register', {
      username: uniqueName('other'),
      email: owner.email.toUpperCase(),
      password: strongPassword(),
    });
    expect(fresh.status).toBe(200);
    expect(taken.status).toBe(200);
    expect(taken.body).toEqual(fresh.body);
    expect(fresh.body.result.data).toEqual({ user: null, verificationRequired: true });
    const notice = await nextMail(owner.email, 'Somebody tried to sign up');
    expect(notice.text).toContain(`${SITE}/reset/`);
  });

  it('is off by default: an unverified user reaches every signed-in procedure', async () => {
    const member = await signUp(api);
    expect((await query(api, 'auth.sessions.list', undefined, member.bearer)).status).toBe(200);
  });
});
