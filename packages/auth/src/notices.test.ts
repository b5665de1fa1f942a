// Every change to an account's factors is mailed to its owner (review
// 2026-12-05, findings 2 and 8): passkeys added and removed, new recovery
// codes, TOTP on and off, an admin reset; a correct password followed by a
// wrong or abandoned second step (once per pending sign-in, rate-limited per
// account); the dashboard's failed-attempt count includes wrong codes; the
// password-reset mail lists the passkeys and says what the reset removed.
// Mail is read from the durable outbox (no SMTP here: it waits there).
import { describe, expect, it } from 'vitest';
import { PENDING_SIGN_IN_GRACE_SECONDS, type OutboxMailDoc } from '@authkit/db';
import { RECENT_PASSKEY_MS } from './recovery.ts';
import { authErrorOf, useTestAuth } from './test-harness.ts';
import {
  createSignedInUser,
  createSoftAuthenticator,
  testRequest,
  totpCode,
  type SignedInUser,
} from './testing.ts';
import type { RequestInfo } from './types.ts';

const SITE = 'https://site.example';
const STEP = 30_000;
const { database, clock, auth } = useTestAuth({ siteUrl: SITE, siteName: 'Example' });

/** A browser a person would use, from an address of its own. */
const firefox: RequestInfo = {
  ip: '198.51.100.23',
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
};

async function mailsTo(email: string, kind: string): Promise<OutboxMailDoc[]> {
  return database.current.mailOutbox.find({ to: email, kind }).sort({ created_at: 1 }).toArray();
}

/** The one mail of `kind` to `email` (fails when there is none or more than one). */
async function onlyMail(email: string, kind: string): Promise<OutboxMailDoc> {
  const mails = await mailsTo(email, kind);
  expect(mails, `${kind} mails to ${email}`).toHaveLength(1);
  return mails[0]!;
}

/** The notice names when, from which browser and which address, in both the text and the HTML. */
function expectWhenAndWhere(mail: OutboxMailDoc, at: Date) {
  const when = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  for (const body of [mail.text, mail.html]) {
    expect(body).toContain(when);
    expect(body).toContain('Firefox on Windows');
    expect(body).toContain('198.51.100.23');
  }
}

async function withTotp(): Promise<SignedInUser & { secret: string; recoveryCodes: string[] }> {
  const member = await createSignedInUser(auth);
  const enrolment = await auth.beginTotpEnrolment(member.session, testRequest);
  const recoveryCodes = await auth.confirmTotpEnrolment(
    member.session,
    totpCode(enrolment.secret, clock.now()),
    testRequest,
  );
  clock.advance(2 * STEP);
  return { ...member, secret: enrolment.secret, recoveryCodes };
}

async function addPasskey(member: SignedInUser, name: string, request: RequestInfo = testRequest) {
  const authenticator = createSoftAuthenticator({ origin: SITE });
  const creation = await auth.passkeyRegistrationOptions(member.session, request);
  return auth.registerPasskey(member.session, authenticator.register(creation), name, request);
}

describe('changes to the factors are mailed', () => {
  it('a passkey added and removed', async () => {
    const member = await createSignedInUser(auth);
    const passkey = await addPasskey(member, 'Backdoor', firefox);
    const added = await onlyMail(member.user.email, 'passkey_added_notice');
    expect(added.subject).toBe('A passkey was added to your account — Example');
    expect(added.text).toContain('“Backdoor”');
    expect(added.text).toMatch(/reset your password/i);
    expectWhenAndWhere(added, clock.now());

    clock.advance(60_000);
    await auth.removePasskey(member.session, passkey.id, firefox);
    const removed = await onlyMail(member.user.email, 'passkey_removed_notice');
    expect(removed.text).toContain('“Backdoor”');
    expectWhenAndWhere(removed, clock.now());
  });

  it('new recovery codes', async () => {
    const member = await withTotp();
    await auth.regenerateRecoveryCodes(member.session, firefox);
    const mail = await onlyMail(member.user.email, 'recovery_codes_regenerated_notice');
    expect(mail.text).toMatch(/old ones no longer work/);
    expectWhenAndWhere(mail, clock.now());
    // Never the codes themselves.
    const codes = await database.current.recoveryCodes.countDocuments({ user_id: member.user.id });
    expect(codes).toBe(10);
  });

  it('TOTP turned on and off, with when and where', async () => {
    const member = await createSignedInUser(auth);
    const enrolment = await auth.beginTotpEnrolment(member.session, firefox);
    await auth.confirmTotpEnrolment(
      member.session,
      totpCode(enrolment.secret, clock.now()),
      firefox,
    );
    expectWhenAndWhere(await onlyMail(member.user.email, 'totp_enabled_notice'), clock.now());
    clock.advance(2 * STEP);
    await auth.disableTotp(
      member.session,
      { code: totpCode(enrolment.secret, clock.now()) },
      firefox,
    );
    const off = await onlyMail(member.user.email, 'totp_disabled_notice');
    expectWhenAndWhere(off, clock.now());
    expect(off.text).toMatch(/reset your password/i);
  });

  it('an admin resetting the second factors: when, but not the admin’s address', async () => {
    const admin = await createSignedInUser(auth, { role: 'admin' });
    const member = await withTotp();
    await auth.resetSecondFactor(admin.user, member.user.id, firefox);
    const mail = await onlyMail(member.user.email, 'second_factor_reset_notice');
    expect(mail.text).toContain(
      `When: ${clock.now().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    );
    expect(mail.text).not.toContain('198.51.100.23');
    expect(mail.text).toMatch(/change your password/i);
  });

  it('the user agent never reaches a mail as text (only known names come out of it)', async () => {
    const member = await createSignedInUser(auth);
    await addPasskey(member, 'Laptop', {
      ip: 'not an address',
      userAgent: 'Visit https://evil.example now <b>',
    });
    const mail = await onlyMail(member.user.email, 'passkey_added_notice');
    expect(mail.text).not.toContain('evil.example');
    expect(mail.html).not.toContain('evil.example');
    expect(mail.text).toContain('an unknown browser or app, network address unknown');
  });
});

describe('a correct password with a failed or abandoned second step', () => {
  async function passwordStep(member: SignedInUser, request: RequestInfo = firefox) {
    const user = await auth.authenticate(member.user.username, member.password, request);
    return (await auth.startSecondFactor(user, { remember: false }, request)).challenge;
  }

  it('a wrong code is mailed once per pending sign-in, and at most once per account in 15 minutes', async () => {
    const member = await withTotp();
    const challenge = await passwordStep(member);
    await authErrorOf(auth.completeSecondFactor(challenge, { code: '000000' }, firefox));
    const mail = await onlyMail(member.user.email, 'second_step_notice');
    expect(mail.subject).toBe('Somebody entered your password — Example');
    expect(mail.text).toMatch(/entered your password correctly, then a wrong code/);
    expect(mail.text).toMatch(/change it now/);
    expectWhenAndWhere(mail, clock.now());

    // The same pending sign-in again: no second mail.
    await authErrorOf(
      auth.completeSecondFactor(challenge, { recoveryCode: 'aaaaa-aaaaa' }, firefox),
    );
    // A new pending sign-in within 15 minutes: none either (no mail-bombing by the password holder).
    clock.advance(5 * 60_000);
    await authErrorOf(
      auth.completeSecondFactor(await passwordStep(member), { code: '000000' }, firefox),
    );
    expect(await mailsTo(member.user.email, 'second_step_notice')).toHaveLength(1);

    // Later, the next one is mailed.
    clock.advance(11 * 60_000);
    await authErrorOf(
      auth.completeSecondFactor(await passwordStep(member), { code: '000000' }, firefox),
    );
    expect(await mailsTo(member.user.email, 'second_step_notice')).toHaveLength(2);
  });

  it('a right code sends nothing', async () => {
    const member = await withTotp();
    const challenge = await passwordStep(member);
    await auth.completeSecondFactor(
      challenge,
      { code: totpCode(member.secret, clock.now()) },
      firefox,
    );
    clock.advance(10 * 60_000);
    await auth.deleteExpiredSessions();
    expect(await mailsTo(member.user.email, 'second_step_notice')).toHaveLength(0);
  });

  it('an abandoned one is mailed by the sweep, once, naming where the password came from', async () => {
    const member = await withTotp();
    const startedAt = clock.now();
    const challenge = await passwordStep(member);
    // Not yet expired: nothing.
    await auth.deleteExpiredSessions();
    expect(await mailsTo(member.user.email, 'second_step_notice')).toHaveLength(0);

    clock.advance(5 * 60_000 + 1);
    await auth.deleteExpiredSessions();
    const mail = await onlyMail(member.user.email, 'second_step_notice');
    expect(mail.text).toMatch(/did not finish signing in/);
    expectWhenAndWhere(mail, startedAt);
    // Announced, then deleted by the same sweep (the announcement comes first).
    expect(await database.current.pendingSignIns.findOne({ user_id: member.user.id })).toBeNull();

    // The next sweeps do not mail it again, even after the per-account limit has lapsed.
    clock.advance(60 * 60_000);
    await auth.deleteExpiredSessions();
    expect(await mailsTo(member.user.email, 'second_step_notice')).toHaveLength(1);
    // And it still grants nothing.
    expect(
      (
        await authErrorOf(
          auth.completeSecondFactor(
            challenge,
            { code: totpCode(member.secret, clock.now()) },
            firefox,
          ),
        )
      ).code,
    ).toBe('UNAUTHORIZED');
  });

  it('a failed one is not mailed again when it expires', async () => {
    const member = await withTotp();
    await authErrorOf(
      auth.completeSecondFactor(await passwordStep(member), { code: '000000' }, firefox),
    );
    clock.advance(60 * 60_000);
    await auth.deleteExpiredSessions();
    expect(await mailsTo(member.user.email, 'second_step_notice')).toHaveLength(1);
  });

  it('where the server has a TTL index, it leaves expired pending sign-ins to the sweep for a while', async () => {
    await auth.ensureReady();
    const indexes = await database.current.pendingSignIns.indexes();
    const ttl = indexes.find((index) => index.expireAfterSeconds !== undefined);
    if (database.current.ttlSupported) {
      expect(ttl?.expireAfterSeconds).toBe(PENDING_SIGN_IN_GRACE_SECONDS);
      expect(PENDING_SIGN_IN_GRACE_SECONDS).toBeGreaterThanOrEqual(60 * 60);
    } else {
      // No TTL at all (FerretDB): nothing deletes them behind the sweep's back.
      expect(ttl).toBeUndefined();
    }
  });

  it('the failed-attempt count includes wrong codes after a correct password', async () => {
    const member = await withTotp();
    await auth.completeSecondFactor(
      await passwordStep(member),
      { code: totpCode(member.secret, clock.now()) },
      firefox,
    );
    clock.advance(2 * STEP);
    // One wrong password, two wrong codes.
    await authErrorOf(auth.authenticate(member.user.username, 'not the password', firefox));
    const challenge = await passwordStep(member);
    await authErrorOf(auth.completeSecondFactor(challenge, { code: '000000' }, firefox));
    await authErrorOf(
      auth.completeSecondFactor(challenge, { recoveryCode: 'aaaaa-aaaaa' }, firefox),
    );
    clock.advance(1000);
    expect(await auth.failedSignInsSinceLastVisit(member.user.id)).toBe(3);
  });
});

describe('password reset and passkeys', () => {
  async function resetToken(member: SignedInUser): Promise<string> {
    await auth.requestPasswordReset(member.user.username, testRequest);
    const mails = await mailsTo(member.user.email, 'password_reset');
    const link = /\/reset\/(\S+)/.exec(mails.at(-1)!.text);
    return link![1]!;
  }

  it('the reset page lists the passkeys, recent ones marked; the reset removes only those asked for, and only the account’s own', async () => {
    const member = await createSignedInUser(auth);
    const other = await createSignedInUser(auth);
    const old = await addPasskey(member, 'Old phone');
    // Added before the recent window (the session would not live that long: the date is moved back).
    const before = new Date(clock.now().getTime() - RECENT_PASSKEY_MS - 60_000);
    await database.current.passkeys.updateOne({ _id: old.id }, { $set: { created_at: before } });
    const planted = await addPasskey(member, 'Planted');
    clock.advance(1000);
    const kept = await addPasskey(member, 'New laptop');
    const foreign = await addPasskey(other, 'Not yours');

    const token = await resetToken(member);
    const check = await auth.checkPasswordResetToken(token);
    expect(check?.username).toBe(member.user.username);
    expect(check?.passkeys.map((key) => [key.name, key.recent])).toEqual([
      ['Old phone', false],
      ['Planted', true],
      ['New laptop', true],
    ]);
    expect(check?.passkeys[1]).toMatchObject({
      id: planted.id,
      createdAt: planted.createdAt,
      lastUsedAt: null,
    });

    // Bad input: a clear 400, and the link still works.
    const bad = await authErrorOf(
      auth.resetPassword(token, 'a fine new passphrase 42', firefox, {
        removePasskeys: [42] as unknown as string[],
      }),
    );
    expect(bad.code).toBe('VALIDATION');
    expect(bad.fieldErrors.removePasskeys).toBeDefined();
    expect(await auth.checkPasswordResetToken(token)).not.toBeNull();

    await auth.resetPassword(token, 'a fine new passphrase 42', firefox, {
      removePasskeys: [planted.id, foreign.id, 'nonsense'],
    });
    const left = await database.current.passkeys.find({ user_id: member.user.id }).toArray();
    expect(left.map((key) => key._id).sort()).toEqual([old.id, kept.id].sort());
    expect(await database.current.passkeys.findOne({ _id: foreign.id })).not.toBeNull();
    expect((await auth.listEvents(member.user.id, 5)).map((event) => event.type)).toContain(
      'passkey_removed',
    );

    const notice = await onlyMail(member.user.email, 'password_reset_notice');
    expect(notice.text).toMatch(/Every device was signed out \(1 signed-in session was ended\)/);
    expect(notice.text).toMatch(
      /Removed with the reset, as asked: “Planted” \(added \d{4}-\d\d-\d\d\)\./,
    );
    expect(notice.text).toMatch(
      /did not remove these passkeys, and each still signs in without the password: “Old phone” .*“New laptop”/,
    );
    expect(notice.text).not.toMatch(/Not yours/);
    expectWhenAndWhere(notice, clock.now());
    // Per-key notices are not sent for a reset: the reset notice says it all.
    expect(await mailsTo(member.user.email, 'passkey_removed_notice')).toHaveLength(0);
  });

  it('without passkeys to remove, the notice says none were removed and that TOTP stays', async () => {
    const member = await withTotp();
    await addPasskey(member, 'Phone');
    const token = await resetToken(member);
    await auth.resetPassword(token, 'another fine passphrase 7', firefox);
    expect(await database.current.passkeys.countDocuments({ user_id: member.user.id })).toBe(1);
    const notice = await onlyMail(member.user.email, 'password_reset_notice');
    expect(notice.text).not.toMatch(/Removed with the reset/);
    expect(notice.text).toMatch(/did not remove these passkeys.*“Phone”/);
    expect(notice.text).toMatch(/authenticator app stays on/);
  });
});
