// Account recovery and email addresses, end to end through a real SMTP server
// (Mailpit): forgot password, reset links (single use, expiring, superseded,
// void after a password change), email verification and email change, the
// notices. The outbox riding out a mail server that is down: mail/outbox.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@authkit/db/testing';
import { createAuth } from './auth.ts';
import { linkIn, startMailpit, type Mailpit } from './mail/mailpit.ts';
import { authErrorOf } from './test-harness.ts';
import { createSignedInUser, createTestClock, makeSessionStale, strongTestPassword, testRequest } from './testing.ts';
import type { Auth } from './types.ts';

const SITE = 'https://site.example';
const database = useTestDatabase();
const clock = createTestClock();
let mailpit: Mailpit;
let auth: Auth;

beforeAll(async () => {
  mailpit = await startMailpit();
  auth = createAuth({
    database: database.current,
    now: clock.now,
    smtpUrl: mailpit.smtpUrl,
    siteUrl: SITE,
    // Admins here are not about second factors.
    requireMfaForAdmins: false,
    // Many sign-ups from one test address.
    throttle: { registrationsPerHour: 1_000 },
  });
});

afterAll(async () => {
  await auth?.close();
  await mailpit?.stop();
});

async function resetLinkFor(email: string): Promise<string> {
  const mail = await mailpit.waitForMessage(email, {
    match: (message) => message.subject.startsWith('Reset your password') && !seen.has(message.id),
  });
  seen.add(mail.id);
  return linkIn(mail, `${SITE}/reset/`);
}
const seen = new Set<string>();
const tokenOf = (link: string) => link.slice(link.lastIndexOf('/') + 1);
/** Mails of one kind in the outbox for `to` (written before the call answers; bodies are emptied once sent). */
const outboxed = (to: string, kind: string) => database.current.mailOutbox.find({ to, kind }).toArray();
/** Once `count` mails to `to` whose subject starts with `subject` have arrived: them, newest first. */
async function delivered(to: string, subject: string, count: number) {
  const matching = async () => (await mailpit.messagesTo(to)).filter((m) => m.subject.startsWith(subject));
  await expect.poll(async () => (await matching()).length, { timeout: 15_000 }).toBe(count);
  return matching();
}
/** A request from a client address of its own. */
const from = (ip: string) => ({ ...testRequest, ip });
/** 'ok' or the error's code. */
const outcome = (call: Promise<unknown>) => call.then(() => 'ok', (error: { code: string }) => error.code);

describe('forgot password', () => {
  it('mails a single-use link that sets a new password and signs the user out everywhere', async () => {
    const member = await createSignedInUser(auth, { email: 'ada@example.test' });
    const other = await auth.loginUser(member.user, { remember: true }, testRequest);
    await auth.requestPasswordReset('ADA@example.test', testRequest);

    const link = await resetLinkFor('ada@example.test');
    const token = tokenOf(link);
    expect(token).toMatch(/^[a-z2-7]{40}$/);
    // Stored only hashed.
    expect(JSON.stringify(await database.current.singleUseTokens.find().toArray())).not.toContain(token);
    expect(await auth.checkPasswordResetToken(token)).toEqual({ username: member.user.username, passkeys: [] });

    const newPassword = strongTestPassword();
    await auth.resetPassword(token, newPassword, testRequest);
    for (const signedIn of [member.token, other.token]) {
      const loaded = await auth.loadUser(signedIn, testRequest);
      expect(loaded.user.isAuthenticated).toBe(false);
      // Each device is told why on its next request.
      expect(loaded.session === null && loaded.endedReason).toBe('password_reset');
    }
    expect((await auth.authenticate('ada@example.test', newPassword, testRequest)).id).toBe(member.user.id);
    expect((await authErrorOf(auth.authenticate('ada@example.test', member.password, testRequest))).code).toBe('INVALID_CREDENTIALS');

    // Single use.
    expect(await auth.checkPasswordResetToken(token)).toBeNull();
    const reused = await authErrorOf(auth.resetPassword(token, strongTestPassword(), testRequest));
    expect(reused.fieldErrors.token?.[0]).toMatch(/invalid or has expired/);

    const notice = await mailpit.waitForMessage('ada@example.test', { match: (m) => m.subject.startsWith('Your password was reset') });
    expect(notice.text).not.toContain(newPassword);
    const types = (await auth.listEvents(member.user.id)).map((event) => event.type);
    expect(types).toContain('password_reset_requested');
    expect(types).toContain('password_reset');
  });

  it('answers the same for unknown and deactivated accounts, and mails nothing', async () => {
    await auth.requestPasswordReset('nobody-here', testRequest);
    await auth.requestPasswordReset('nobody@example.test', testRequest);
    const admin = await createSignedInUser(auth, { role: 'admin' });
    const gone = await createSignedInUser(auth, { email: 'gone@example.test' });
    await auth.setActive(admin.user, gone.user.id, false, testRequest);
    await auth.requestPasswordReset('gone@example.test', testRequest);
    await mailpit.waitForMessage('gone@example.test', { match: (m) => m.subject.startsWith('Your account was deactivated') });
    expect((await mailpit.messagesTo('nobody@example.test')).length).toBe(0);
    expect((await mailpit.messagesTo('gone@example.test')).some((m) => m.subject.startsWith('Reset'))).toBe(false);
  });

  it('expires a link after 30 minutes', async () => {
    const member = await createSignedInUser(auth, { email: 'brook@example.test' });
    await auth.requestPasswordReset(member.user.username, testRequest);
    const token = tokenOf(await resetLinkFor('brook@example.test'));
    clock.advance(31 * 60_000);
    expect(await auth.checkPasswordResetToken(token)).toBeNull();
    expect((await authErrorOf(auth.resetPassword(token, strongTestPassword(), testRequest))).fieldErrors.token).toBeDefined();
  });

  it('voids a link once a newer one is issued or the password changes', async () => {
    const member = await createSignedInUser(auth, { email: 'cyd@example.test' });
    await auth.requestPasswordReset('cyd@example.test', testRequest);
    const first = tokenOf(await resetLinkFor('cyd@example.test'));
    await auth.requestPasswordReset('cyd@example.test', testRequest);
    const second = tokenOf(await resetLinkFor('cyd@example.test'));
    expect(await auth.checkPasswordResetToken(first)).toBeNull();
    expect(await auth.checkPasswordResetToken(second)).not.toBeNull();

    await auth.changePassword(member.session, { currentPassword: member.password, newPassword: strongTestPassword() }, testRequest);
    expect(await auth.checkPasswordResetToken(second)).toBeNull();
    expect((await authErrorOf(auth.resetPassword(second, strongTestPassword(), testRequest))).fieldErrors.token).toBeDefined();
    await mailpit.waitForMessage('cyd@example.test', { match: (m) => m.subject.startsWith('Your password was changed') });
  });

  it('keeps the link usable after a refused new password', async () => {
    const member = await createSignedInUser(auth, { email: 'dee@example.test' });
    await auth.requestPasswordReset('dee@example.test', testRequest);
    const token = tokenOf(await resetLinkFor('dee@example.test'));
    const weak = await authErrorOf(auth.resetPassword(token, 'password1', testRequest));
    expect(weak.fieldErrors.newPassword).toBeDefined();
    await auth.resetPassword(token, strongTestPassword(), testRequest);
    expect((await auth.loadUser(member.token, testRequest)).user.isAuthenticated).toBe(false);
  });

  it('lets exactly one of two parallel resets with one link through', async () => {
    await createSignedInUser(auth, { email: 'eve@example.test' });
    await auth.requestPasswordReset('eve@example.test', testRequest);
    const token = tokenOf(await resetLinkFor('eve@example.test'));
    const results = await Promise.allSettled([
      auth.resetPassword(token, strongTestPassword(), testRequest),
      auth.resetPassword(token, strongTestPassword(), testRequest),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('is throttled per account name and per address', async () => {
    await createSignedInUser(auth, { email: 'flo@example.test' });
    const request = { ...testRequest, ip: '198.51.100.23' };
    let refused: unknown = null;
    for (let i = 0; i < 12 && !refused; i++) {
      await auth.requestPasswordReset('flo@example.test', request).catch((error: unknown) => {
        refused = error;
      });
    }
    expect(refused).toMatchObject({ code: 'THROTTLED' });
    expect((refused as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    // The wait's reason is data (what a page counts down beside), and it is about links, not sign-ins.
    const { waitReason, message } = refused as unknown as { waitReason: string; message: string };
    expect(waitReason).toBe('Several links were sent for this account in the last hour.');
    expect(message).toMatch(/^Several links were sent for this account in the last hour\. Try again in \d+ minutes\.$/);
  });

  it('lets the owner’s trusted device ask for a link when strangers used up the name’s quota', async () => {
    const member = await createSignedInUser(auth, { email: 'gus@example.test' });
    const answers: string[] = [];
    for (let i = 1; i <= 7; i++) answers.push(await outcome(auth.requestPasswordReset(member.user.username, from(`198.51.100.${i}`))));
    expect(answers).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'THROTTLED', 'THROTTLED']);
    expect(await outboxed('gus@example.test', 'password_reset')).toHaveLength(5);

    // A device token of another account is no key to this one.
    const other = await createSignedInUser(auth);
    const othersDevice = await auth.trustDevice(other.user, testRequest);
    const stranger = { ...from('198.51.100.8'), deviceToken: othersDevice.token };
    expect(await outcome(auth.requestPasswordReset(member.user.username, stranger))).toBe('THROTTLED');

    // The owner's own device: a working link, from any network.
    const device = await auth.trustDevice(member.user, testRequest);
    const owners = { ...from('192.0.2.50'), deviceToken: device.token };
    await auth.requestPasswordReset(member.user.username, owners);
    expect(await outboxed('gus@example.test', 'password_reset')).toHaveLength(6);
    const [newest] = await delivered('gus@example.test', 'Reset your password', 6);
    expect(await auth.checkPasswordResetToken(tokenOf(linkIn(newest!, `${SITE}/reset/`)))).toEqual({
      username: member.user.username,
      passkeys: [],
    });
    // Not without bound either: the device has a quota of its own.
    let deviceRefused: unknown = null;
    for (let i = 0; i < 6 && !deviceRefused; i++) {
      await auth.requestPasswordReset('gus@example.test', owners).catch((error: unknown) => (deviceRefused = error));
    }
    expect(deviceRefused).toMatchObject({ code: 'THROTTLED', scope: 'device' });
  });

  it('counts reset mails per account, whichever name was typed, and answers unknown names alike', async () => {
    await createSignedInUser(auth, { username: 'Hedda', email: 'hedda@example.test' });
    const names = (base: string) => [base, base.toUpperCase(), base, base, base, `${base}@example.test`, `${base.toUpperCase()}@Example.test`, `${base}@example.test`];
    const ask = async (list: string[], network: string) => {
      const answers: string[] = [];
      for (const [i, name] of list.entries()) answers.push(await outcome(auth.requestPasswordReset(name, from(`${network}.${i + 1}`))));
      return answers;
    };
    const known = await ask(names('hedda'), '198.51.100');
    expect(known).toEqual(Array(8).fill('ok'));
    // The answers depend only on the names as typed: the same for names without an account.
    expect(await ask(names('nohedda'), '203.0.113')).toEqual(known);
    // Eight requests by two names of one account: five mails, the account's hourly quota.
    expect(await outboxed('hedda@example.test', 'password_reset')).toHaveLength(5);
    expect(await outboxed('nohedda@example.test', 'password_reset')).toHaveLength(0);
  });

  it('gives an operator a working link without mail, and refuses unknown users', async () => {
    const member = await createSignedInUser(auth);
    const link = await auth.createPasswordResetLink(member.user.username);
    expect(link.startsWith(`${SITE}/reset/`)).toBe(true);
    expect(await auth.checkPasswordResetToken(tokenOf(link))).toEqual({ username: member.user.username, passkeys: [] });
    expect((await authErrorOf(auth.createPasswordResetLink('no-such-user'))).code).toBe('NOT_FOUND');
  });
});

describe('email verification', () => {
  it('mails a link at registration that marks the address verified, once', async () => {
    const user = await auth.registerUser({ username: 'gil', email: 'gil@example.test', password: strongTestPassword() }, testRequest);
    expect(user.emailVerified).toBe(false);
    const mail = await mailpit.waitForMessage('gil@example.test', { match: (m) => m.subject.startsWith('Confirm your email') });
    const token = tokenOf(linkIn(mail, `${SITE}/verify-email/`));
    const verified = await auth.verifyEmail(token, testRequest);
    expect(verified).toMatchObject({ changed: false, user: { id: user.id, emailVerified: true } });
    expect((await authErrorOf(auth.verifyEmail(token, testRequest))).fieldErrors.token).toBeDefined();
  });

  it('resends on request, and not once the address is verified', async () => {
    const member = await createSignedInUser(auth, { email: 'hal@example.test' });
    expect(await auth.resendVerification(member.session, testRequest)).toEqual({ alreadyVerified: false });
    const confirmations = async () => (await mailpit.messagesTo('hal@example.test')).filter((m) => m.subject.startsWith('Confirm'));
    await expect.poll(async () => (await confirmations()).length, { timeout: 15_000 }).toBe(2);
    // Newest first: the resent link works; the one from registration was superseded.
    const [resent, original] = (await confirmations()).map((m) => tokenOf(linkIn(m, `${SITE}/verify-email/`)));
    expect((await authErrorOf(auth.verifyEmail(original!, testRequest))).fieldErrors.token).toBeDefined();
    await auth.verifyEmail(resent!, testRequest);
    expect(await auth.resendVerification(member.session, testRequest)).toEqual({ alreadyVerified: true });
  });

  it('says why a resend waits, as data beside the message', async () => {
    const member = await createSignedInUser(auth, { email: 'hap@example.test' });
    let refused: unknown = null;
    for (let i = 0; i < 8 && !refused; i++) {
      await auth.resendVerification(member.session, testRequest).catch((error: unknown) => (refused = error));
    }
    expect(refused).toMatchObject({ code: 'THROTTLED', waitReason: 'You have asked for several links in the last hour.' });
    expect((refused as Error).message).toMatch(/^You have asked for several links in the last hour\. Try again in \d+ minutes\.$/);
  });
});

describe('email change', () => {
  it('needs a fresh login, mails the new address a link and the old one notices', async () => {
    const member = await createSignedInUser(auth, { email: 'ivy@example.test' });
    await makeSessionStale(auth, member.session.id);
    const stale = await authErrorOf(auth.requestEmailChange(member.session, 'ivy.new@example.test', testRequest));
    expect(stale.code).toBe('NEEDS_REFRESH');
    const { session: fresh, token } = await auth.confirmLogin(member.session, member.password, testRequest);

    await auth.requestEmailChange(fresh, 'Ivy.New@example.test', testRequest);
    await mailpit.waitForMessage('ivy@example.test', { match: (m) => m.subject.startsWith('Your email address is about to change') });
    // Nothing changes until the link is used.
    expect((await auth.loadUser(token, testRequest)).user).toMatchObject({ email: 'ivy@example.test' });
    const mail = await mailpit.waitForMessage('Ivy.New@example.test', { match: (m) => m.subject.startsWith('Confirm your new') });
    const result = await auth.verifyEmail(tokenOf(linkIn(mail, `${SITE}/verify-email/`)), testRequest);
    expect(result).toMatchObject({ changed: true, user: { email: 'Ivy.New@example.test', emailVerified: true } });
    await mailpit.waitForMessage('ivy@example.test', { match: (m) => m.subject.startsWith('Your email address was changed') });
    expect((await auth.authenticate('ivy.new@example.test', member.password, testRequest)).id).toBe(member.user.id);
  });

  it('gives an address two users race for to exactly one of them', async () => {
    const [first, second] = [await createSignedInUser(auth), await createSignedInUser(auth)];
    for (const user of [first, second]) await auth.requestEmailChange(user.session, 'wanted@example.test', testRequest);
    const links = async () => (await mailpit.messagesTo('wanted@example.test')).filter((m) => m.subject.startsWith('Confirm your new'));
    await expect.poll(async () => (await links()).length, { timeout: 15_000 }).toBe(2);
    const mails = await links();
    const results = await Promise.allSettled(mails.map((m) => auth.verifyEmail(tokenOf(linkIn(m, `${SITE}/verify-email/`)), testRequest)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(await database.current.users.countDocuments({ email_key: 'wanted@example.test' })).toBe(1);
  });

  it('refuses an unchanged or malformed address with a field message', async () => {
    const member = await createSignedInUser(auth, { email: 'mine@example.test' });
    expect((await authErrorOf(auth.requestEmailChange(member.session, 'mine@example.test', testRequest))).fieldErrors.email).toBeDefined();
    expect((await authErrorOf(auth.requestEmailChange(member.session, 'not an address', testRequest))).fieldErrors.email).toBeDefined();
  });
});

describe('email change to a taken address', () => {
  it('answers like a free address, and mails the owner a notice instead of a link', async () => {
    const owner = await createSignedInUser(auth, { email: 'taken@example.test' });
    const member = await createSignedInUser(auth, { email: 'mover@example.test' });
    const free = await auth.requestEmailChange(member.session, 'free@example.test', testRequest);
    const taken = await auth.requestEmailChange(member.session, 'TAKEN@example.test', testRequest);
    expect(taken).toEqual(free);
    // The requester's own address hears of both, in the same words.
    const requested = await delivered('mover@example.test', 'Your email address is about to change', 2);
    const [second, first] = requested.map((mail) => mail.text.replace(/free@example\.test|TAKEN@example\.test/, 'X'));
    expect(first).toContain('X');
    expect(second).toBe(first);
    const recorded = (await auth.listEvents(member.user.id)).filter((event) => event.type === 'email_change_requested');
    expect(recorded).toHaveLength(2);

    // The owner is told; nothing of the owner's account changes, and no link goes to the taken address.
    const notice = await mailpit.waitForMessage('taken@example.test', {
      match: (m) => m.subject.startsWith('Somebody tried to use your email address'),
    });
    expect(notice.text).toContain('Nothing has changed');
    expect(notice.text).not.toContain('mover');
    expect(await database.current.mailOutbox.countDocuments({ kind: 'email_change', to: /^taken@/i })).toBe(0);
    expect((await auth.loadUser(owner.token, testRequest)).user).toMatchObject({ email: 'taken@example.test' });
    // The link to the free address was superseded, as a new request for any address does.
    const confirm = await mailpit.waitForMessage('free@example.test', { match: (m) => m.subject.startsWith('Confirm your new') });
    expect((await authErrorOf(auth.verifyEmail(tokenOf(linkIn(confirm, `${SITE}/verify-email/`)), testRequest))).fieldErrors.token).toBeDefined();
    // The change to the taken address is what is pending (listed like any), its link mailed to nobody.
    expect(await database.current.singleUseTokens.countDocuments({ user_id: member.user.id, kind: 'email_change' })).toBe(1);
    expect(await auth.pendingEmailChange(member.session)).toMatchObject({ email: 'TAKEN@example.test' });
  });
});

describe('admin', () => {
  it('mails a user a reset link and signs a user out everywhere, both audited', async () => {
    const admin = await createSignedInUser(auth, { role: 'admin' });
    const member = await createSignedInUser(auth, { email: 'jo@example.test' });
    await auth.sendPasswordResetLink(admin.user, member.user.id, testRequest);
    await resetLinkFor('jo@example.test');
    expect(await auth.endUserSessions(admin.user, member.user.id, testRequest)).toBe(1);
    expect((await auth.loadUser(member.token, testRequest)).user.isAuthenticated).toBe(false);
    const events = await auth.listEvents(member.user.id);
    expect(events.find((event) => event.type === 'session_revoked')?.details).toMatchObject({ by: admin.user.id, all: true });
    expect(events.find((event) => event.type === 'password_reset_requested')?.details).toMatchObject({ by: admin.user.id });
    expect((await authErrorOf(auth.endUserSessions(member.user, admin.user.id, testRequest))).code).toBe('FORBIDDEN');
  });
});

describe('sign-up with REQUIRE_VERIFIED_EMAIL', () => {
  it('answers a taken address like a new one, and tells its owner instead', async () => {
    const strict = createAuth({
      database: database.current,
      now: clock.now,
      smtpUrl: mailpit.smtpUrl,
      siteUrl: SITE,
      requireVerifiedEmail: true,
      throttle: { registrationsPerHour: 1_000 },
    });
    try {
      const fresh = await strict.signUp({ username: 'lou', email: 'lou@example.test', password: strongTestPassword() }, testRequest);
      expect(fresh).toMatchObject({ verificationRequired: true, user: { username: 'lou', emailVerified: false } });

      const owner = await createSignedInUser(auth, { email: 'owned@example.test' });
      const taken = await strict.signUp(
        { username: 'someone-else', email: 'OWNED@example.test', password: strongTestPassword() },
        testRequest,
      );
      expect(taken).toEqual({ user: null, verificationRequired: true });
      expect(await database.current.users.countDocuments({ username_key: 'someone-else' })).toBe(0);
      const notice = await mailpit.waitForMessage('owned@example.test', {
        match: (m) => m.subject.startsWith('Somebody tried to sign up'),
      });
      // The notice carries a working reset link for the owner.
      const link = linkIn(notice, `${SITE}/reset/`);
      expect(await auth.checkPasswordResetToken(tokenOf(link))).toEqual({ username: owner.user.username, passkeys: [] });

      // A malformed address is still a field error, not "check your inbox".
      const malformed = await authErrorOf(
        strict.signUp({ username: 'lou3', email: 'not-an-address', password: strongTestPassword() }, testRequest),
      );
      expect(malformed.fieldErrors.email).toBeDefined();

      // A taken username is still said.
      const name = await authErrorOf(
        strict.signUp({ username: 'lou', email: 'lou2@example.test', password: strongTestPassword() }, testRequest),
      );
      expect(name.fieldErrors.username).toBeDefined();
    } finally {
      await strict.close();
    }
  });

  it('mails an owner at most 3 notices a day, and never voids the owner’s live reset link', async () => {
    const strict = createAuth({
      database: database.current,
      now: clock.now,
      smtpUrl: mailpit.smtpUrl,
      siteUrl: SITE,
      requireVerifiedEmail: true,
      throttle: { registrationsPerHour: 1_000 },
    });
    try {
      const owner = await createSignedInUser(auth, { email: 'popular@example.test' });
      await auth.requestPasswordReset('popular@example.test', testRequest);
      const ownLink = tokenOf(await resetLinkFor('popular@example.test'));

      for (let i = 1; i <= 12; i++) {
        const input = { username: `pop_${i}`, email: 'Popular@example.test', password: strongTestPassword() };
        expect(await strict.signUp(input, from(`198.51.100.${i}`))).toEqual({ user: null, verificationRequired: true });
      }
      // An email change towards the address would be a notice of the same kind: over the limit too.
      const mover = await createSignedInUser(auth);
      await auth.requestEmailChange(mover.session, 'popular@example.test', testRequest);
      const notices = [
        ...(await outboxed('popular@example.test', 'registration_attempt_notice')),
        ...(await outboxed('popular@example.test', 'address_in_use_notice')),
      ];
      expect(notices).toHaveLength(3);
      // The owner's own link was live: the notices point to /forgot and carry no link of their own.
      for (const notice of await delivered('popular@example.test', 'Somebody tried', 3)) {
        expect(notice.text).not.toContain(`${SITE}/reset/`);
        expect(notice.text).toContain(`${SITE}/forgot`);
      }
      expect(await auth.checkPasswordResetToken(ownLink)).toEqual({ username: owner.user.username, passkeys: [] });
      await auth.resetPassword(ownLink, strongTestPassword(), testRequest);

      // A day later the owner hears again; with no live link, the notice carries a working one.
      clock.advance(24 * 60 * 60_000 + 1_000);
      const input = { username: 'pop_13', email: 'popular@example.test', password: strongTestPassword() };
      await strict.signUp(input, from('198.51.100.13'));
      expect(await outboxed('popular@example.test', 'registration_attempt_notice')).toHaveLength(4);
      const [later] = await delivered('popular@example.test', 'Somebody tried', 4);
      expect(await auth.checkPasswordResetToken(tokenOf(linkIn(later!, `${SITE}/reset/`)))).toEqual({
        username: owner.user.username,
        passkeys: [],
      });
    } finally {
      await strict.close();
    }
  });

  it('without it, a taken address is a field error as before', async () => {
    await createSignedInUser(auth, { email: 'plain@example.test' });
    const taken = await authErrorOf(
      auth.signUp({ username: 'plain2', email: 'plain@example.test', password: strongTestPassword() }, testRequest),
    );
    expect(taken.fieldErrors.email).toBeDefined();
  });
});
