// TOTP and recovery codes as a step of sign-in, against a real database with a
// test clock: enrolment, the pending state (grants nothing, expires, single
// use), replay, clock skew, throttling, recovery codes, disabling, admin reset.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAuth } from '../auth.ts';
import { authErrorOf, useTestAuth } from '../test-harness.ts';
import { sha256hex } from '../tokens.ts';
import { createSignedInUser, makeSessionStale, testRequest, totpCode, type SignedInUser } from '../testing.ts';
import type { Auth } from '../types.ts';

const USED_CODE = 'This code was just used. Wait for the next code from your authenticator app.';

const STEP = 30_000;
const { database, clock, auth } = useTestAuth();

/** A signed-in user with TOTP on; the clock is moved two steps past the one its confirming code used. */
async function withTotp(on: Auth = auth): Promise<SignedInUser & { secret: string; recoveryCodes: string[] }> {
  const member = await createSignedInUser(on);
  const enrolment = await on.beginTotpEnrolment(member.session, testRequest);
  const recoveryCodes = await on.confirmTotpEnrolment(member.session, totpCode(enrolment.secret, clock.now()), testRequest);
  clock.advance(2 * STEP);
  return { ...member, secret: enrolment.secret, recoveryCodes };
}

async function passwordStep(member: SignedInUser, on: Auth = auth) {
  const user = await on.authenticate(member.user.username, member.password, testRequest);
  expect(await on.secondFactorRequired(user)).toBe(true);
  return (await on.startSecondFactor(user, { remember: true })).challenge;
}

describe('enrolment', () => {
  it('needs a fresh session', async () => {
    const member = await createSignedInUser(auth);
    await makeSessionStale(auth, member.session.id);
    expect((await authErrorOf(auth.beginTotpEnrolment(member.session, testRequest))).code).toBe('NEEDS_REFRESH');
  });

  it('gives a secret, an otpauth URI and a QR code, and turns on only with a valid code', async () => {
    const member = await createSignedInUser(auth);
    const enrolment = await auth.beginTotpEnrolment(member.session, testRequest);
    expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrolment.uri).toMatch(/^otpauth:\/\/totp\/authkit:user_\w+\?/);
    expect(enrolment.uri).toContain(`secret=${enrolment.secret}`);
    expect(enrolment.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>$/);
    // Pending: a password still signs in alone.
    expect(await auth.secondFactorRequired(member.user)).toBe(false);

    const wrong = await authErrorOf(auth.confirmTotpEnrolment(member.session, '000000', testRequest));
    expect(wrong.fieldErrors.code).toEqual(['Incorrect code.']);
    const codes = await auth.confirmTotpEnrolment(member.session, totpCode(enrolment.secret, clock.now()), testRequest);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){4}$/);
    expect(await auth.secondFactorRequired(member.user)).toBe(true);
    // The user copy on the session follows at once.
    expect((await auth.loadUser(member.token, testRequest)).user).toMatchObject({ mfaEnabled: true });
    expect((await auth.listEvents(member.user.id, 1))[0]?.type).toBe('totp_enrolled');
    // A second enrolment over a confirmed one is refused.
    expect((await authErrorOf(auth.beginTotpEnrolment(member.session, testRequest))).code).toBe('CONFLICT');
  });

  it('in two steps (code, then "I have saved the codes"): off until the second, and the codes work only after it', async () => {
    const member = await createSignedInUser(auth);
    const enrolment = await auth.beginTotpEnrolment(member.session, testRequest);
    expect(await auth.twoStepStatus(member.session)).toMatchObject({ state: 'off', recoveryCodesLeft: 0 });
    const codes = await auth.verifyTotpEnrolment(member.session, totpCode(enrolment.secret, clock.now()), testRequest);
    expect(codes).toHaveLength(10);
    // Verified, not on: a password alone still signs in, the page says the set-up is not finished.
    expect(await auth.secondFactorRequired(member.user)).toBe(false);
    const unsaved = await auth.twoStepStatus(member.session);
    expect(unsaved).toMatchObject({ state: 'unsaved', recoveryCodesLeft: 10 });
    expect(unsaved.finishBy!.getTime()).toBe(clock.now().getTime() + 30 * 60_000);
    expect((await auth.listEvents(member.user.id, 5)).map((event) => event.type)).not.toContain('totp_enrolled');
    expect(await database.current.mailOutbox.countDocuments({ to: member.user.email, kind: 'totp_enabled_notice' })).toBe(0);

    await auth.finishTotpEnrolment(member.session, testRequest);
    expect(await auth.secondFactorRequired(member.user)).toBe(true);
    expect(await auth.twoStepStatus(member.session)).toMatchObject({ state: 'on', recoveryCodesLeft: 10 });
    expect((await auth.loadUser(member.token, testRequest)).user).toMatchObject({ mfaEnabled: true });
    expect((await auth.listEvents(member.user.id, 1))[0]?.type).toBe('totp_enrolled');
    expect(await database.current.mailOutbox.countDocuments({ to: member.user.email, kind: 'totp_enabled_notice' })).toBe(1);
    // The session that gave the code passed the new factor.
    expect((await database.current.sessions.findOne({ user_id: member.user.id }))?.amr).toContain('totp');
    // A second press changes nothing.
    await auth.finishTotpEnrolment(member.session, testRequest);
    expect(await database.current.mailOutbox.countDocuments({ to: member.user.email, kind: 'totp_enabled_notice' })).toBe(1);

    // The codes shown sign in, and the count goes down.
    const challenge = await passwordStep(member);
    await auth.completeSecondFactor(challenge, { recoveryCode: codes[0]! }, testRequest);
    expect(await auth.twoStepStatus(member.session)).toMatchObject({ state: 'on', recoveryCodesLeft: 9 });
  });

  it('left before "I have saved them": stays off, new codes can be shown while the set-up lasts, then it is void', async () => {
    const member = await createSignedInUser(auth);
    const enrolment = await auth.beginTotpEnrolment(member.session, testRequest);
    const first = await auth.verifyTotpEnrolment(member.session, totpCode(enrolment.secret, clock.now()), testRequest);
    // The same code again (a reload that posts again) is refused: the set-up is past that step.
    expect((await authErrorOf(auth.verifyTotpEnrolment(member.session, totpCode(enrolment.secret, clock.now()), testRequest))).code).toBe('CONFLICT');
    // Back later, within the time: new codes replace the unseen ones (no mail: nothing is on).
    clock.advance(5 * 60_000);
    const second = await auth.regenerateRecoveryCodes(member.session, testRequest);
    expect(second).toHaveLength(10);
    expect(second).not.toContain(first[0]);
    expect(await database.current.mailOutbox.countDocuments({ to: member.user.email, kind: 'recovery_codes_regenerated_notice' })).toBe(0);
    // Past the time: void, still off, and the codes of the abandoned set-up are gone when it starts again.
    clock.advance(25 * 60_000 + 1);
    expect(await auth.twoStepStatus(member.session)).toMatchObject({ state: 'off' });
    expect((await authErrorOf(auth.finishTotpEnrolment(member.session, testRequest))).code).toBe('CONFLICT');
    expect(await auth.secondFactorRequired(member.user)).toBe(false);
    const renewed = await auth.confirmLogin(member.session, member.password, testRequest);
    await auth.beginTotpEnrolment(renewed.session, testRequest);
    expect(await database.current.recoveryCodes.countDocuments({ user_id: member.user.id })).toBe(0);
  });

  it('expires when not confirmed within ten minutes', async () => {
    const member = await createSignedInUser(auth);
    const enrolment = await auth.beginTotpEnrolment(member.session, testRequest);
    clock.advance(10 * 60_000 + 1);
    const late = await authErrorOf(auth.confirmTotpEnrolment(member.session, totpCode(enrolment.secret, clock.now()), testRequest));
    expect(late.code).toBe('CONFLICT');
  });

  it('keeps the secret encrypted: no dump of the database, events or mails holds it', async () => {
    const member = await withTotp();
    const raw = Buffer.from(
      (await import('@oslojs/encoding')).decodeBase32IgnorePadding(member.secret),
    );
    const forms = [member.secret, member.secret.toLowerCase(), raw.toString('hex'), raw.toString('base64'), raw.toString('base64url')];
    const names = (await database.current.db.listCollections().toArray()).map((collection) => collection.name);
    expect(names).toContain('users');
    let dump = '';
    for (const name of names) dump += JSON.stringify(await database.current.db.collection(name).find().toArray());
    for (const form of forms) expect(dump).not.toContain(form);
    for (const code of member.recoveryCodes) expect(dump).not.toContain(code.replaceAll('-', ''));
    const stored = await database.current.users.findOne({ _id: member.user.id });
    expect(stored?.totp?.secret).toMatch(/^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
  });
});

describe('the second step of sign-in', () => {
  it('a challenge grants nothing; a valid code makes a fresh session, once', async () => {
    const member = await withTotp();
    const challenge = await passwordStep(member);
    expect(challenge).toMatch(/^[a-z2-7]{40}$/);
    expect((await auth.loadUser(challenge, testRequest)).user.isAuthenticated).toBe(false);
    // Stored only hashed.
    expect(JSON.stringify(await database.current.pendingSignIns.find().toArray())).not.toContain(challenge);

    const done = await auth.completeSecondFactor(challenge, { code: totpCode(member.secret, clock.now()) }, testRequest);
    expect(done.method).toBe('totp');
    expect(auth.isFresh(done.login.session)).toBe(true);
    expect(done.login.session.remember).toBe(true);
    expect((await auth.loadUser(done.login.token, testRequest)).user).toMatchObject({ id: member.user.id, mfaEnabled: true });
    clock.advance(STEP);
    const again = await authErrorOf(auth.completeSecondFactor(challenge, { code: totpCode(member.secret, clock.now()) }, testRequest));
    expect(again.code).toBe('UNAUTHORIZED');
  });

  it('refuses a code used once already, within its window', async () => {
    const member = await withTotp();
    const code = totpCode(member.secret, clock.now());
    await auth.completeSecondFactor(await passwordStep(member), { code }, testRequest);
    const replay = await authErrorOf(auth.completeSecondFactor(await passwordStep(member), { code }, testRequest));
    expect(replay.code).toBe('VALIDATION');
    // Told apart from a wrong code: the user waits for the next one instead of retyping.
    expect(replay.fieldErrors.code).toEqual([USED_CODE]);
    // Nor an older code of the window, once a newer one was used.
    const earlier = totpCode(member.secret, new Date(clock.now().getTime() - STEP));
    const stale = await authErrorOf(auth.completeSecondFactor(await passwordStep(member), { code: earlier }, testRequest));
    expect(stale.code).toBe('VALIDATION');
    expect(stale.fieldErrors.code).toEqual([USED_CODE]);
    // A wrong code still says so.
    const wrong = await authErrorOf(auth.completeSecondFactor(await passwordStep(member), { code: code === '000000' ? '111111' : '000000' }, testRequest));
    expect(wrong.fieldErrors.code).toEqual(['Incorrect code.']);
  });

  it('refuses a code used twice in parallel, but once', async () => {
    const member = await withTotp();
    const code = totpCode(member.secret, clock.now());
    const challenges = [await passwordStep(member), await passwordStep(member), await passwordStep(member)];
    const results = await Promise.allSettled(challenges.map((challenge) => auth.completeSecondFactor(challenge, { code }, testRequest)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('accepts one step of clock skew either way, not two', async () => {
    for (const [offset, accepted] of [
      [-STEP, true],
      [STEP, true],
      [-2 * STEP, false],
      [2 * STEP, false],
    ] as const) {
      const member = await withTotp();
      const code = totpCode(member.secret, new Date(clock.now().getTime() + offset));
      const outcome = auth.completeSecondFactor(await passwordStep(member), { code }, testRequest);
      if (accepted) expect((await outcome).method).toBe('totp');
      else expect((await authErrorOf(outcome)).code).toBe('VALIDATION');
    }
  });

  it('expires after five minutes', async () => {
    const member = await withTotp();
    const challenge = await passwordStep(member);
    clock.advance(5 * 60_000 + 1);
    const late = await authErrorOf(auth.completeSecondFactor(challenge, { code: totpCode(member.secret, clock.now()) }, testRequest));
    expect(late.code).toBe('UNAUTHORIZED');
  });

  it('throttles wrong codes: after five, even the right code waits', async () => {
    const member = await withTotp();
    const challenge = await passwordStep(member);
    for (let i = 0; i < 5; i++) {
      const wrong = await authErrorOf(auth.completeSecondFactor(challenge, { code: '000000' }, testRequest));
      expect(wrong.code).toBe('VALIDATION');
    }
    const locked = await authErrorOf(auth.completeSecondFactor(challenge, { code: totpCode(member.secret, clock.now()) }, testRequest));
    expect(locked.code).toBe('THROTTLED');
    expect(locked.retryAfterSeconds).toBeGreaterThan(0);
    // Per account: a new challenge does not start afresh.
    const fresh = await authErrorOf(auth.completeSecondFactor(await passwordStep(member), { code: totpCode(member.secret, clock.now()) }, testRequest));
    expect(fresh.code).toBe('THROTTLED');
    const events = await auth.listEvents(member.user.id, 20);
    expect(events.filter((event) => event.type === 'second_factor_failed')).toHaveLength(5);
    // After the lock, the right code works.
    clock.advance(auth.settings.throttle.baseLockMs + 1);
    expect((await auth.completeSecondFactor(challenge, { code: totpCode(member.secret, clock.now()) }, testRequest)).method).toBe('totp');
  });

  it('a recovery code works once, is recorded and mailed', async () => {
    const member = await withTotp();
    const [first, second] = member.recoveryCodes as [string, string];
    const done = await auth.completeSecondFactor(await passwordStep(member), { recoveryCode: first.toUpperCase() }, testRequest);
    expect(done.method).toBe('recovery_code');
    const used = await authErrorOf(auth.completeSecondFactor(await passwordStep(member), { recoveryCode: first }, testRequest));
    expect(used.fieldErrors.recoveryCode).toHaveLength(1);
    expect((await auth.listEvents(member.user.id, 5)).find((event) => event.type === 'recovery_code_used')?.details).toMatchObject({
      remaining: 9,
    });
    const mail = await database.current.mailOutbox.findOne({ to: member.user.email, kind: 'recovery_code_used_notice' });
    expect(mail?.text).toContain('9 unused codes remain');
    expect(mail?.text).not.toContain(first);
    // Spaces and dashes do not matter.
    const spaced = second.replace('-', ' ');
    expect((await auth.completeSecondFactor(await passwordStep(member), { recoveryCode: spaced }, testRequest)).method).toBe('recovery_code');
  });

  it('refuses a challenge whose account was reset or deactivated meanwhile', async () => {
    const admin = await withTotp();
    await database.current.users.updateOne({ _id: admin.user.id }, { $set: { role: 'admin' } });
    const member = await withTotp();
    const challenge = await passwordStep(member);
    await auth.resetSecondFactor({ ...admin.user, role: 'admin' }, member.user.id, testRequest);
    const code = totpCode(member.secret, clock.now());
    expect((await authErrorOf(auth.completeSecondFactor(challenge, { code }, testRequest))).code).toBe('UNAUTHORIZED');
  });
});

describe('recovery codes', () => {
  it('carry 100 bits, shown in groups of four, and are stored only under a keyed hash', async () => {
    const member = await withTotp();
    for (const code of member.recoveryCodes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){4}$/);
    const stored = await database.current.recoveryCodes.find({ user_id: member.user.id }).toArray();
    expect(stored).toHaveLength(10);
    const unkeyed = await Promise.all(member.recoveryCodes.map((code) => sha256hex(`${member.user.id}:${code.replaceAll('-', '')}`)));
    for (const doc of stored) {
      expect(doc._id).toMatch(/^[0-9a-f]{64}$/);
      expect(unkeyed).not.toContain(doc._id);
    }
    // Under another server key the same codes are unknown: the hash needs the key.
    const otherKey = createAuth({ database: database.current, now: clock.now, secretKey: randomBytes(32) });
    const refused = await authErrorOf(
      otherKey.completeSecondFactor(await passwordStep(member, otherKey), { recoveryCode: member.recoveryCodes[0]! }, testRequest),
    );
    expect(refused.fieldErrors.recoveryCode).toHaveLength(1);
    await otherKey.close();
    // Typed in any case, with or without separators.
    const [a, b, c] = member.recoveryCodes as [string, string, string];
    for (const typed of [a.toUpperCase(), b.replaceAll('-', ''), ` ${c.replaceAll('-', ' ').toUpperCase()} `]) {
      expect((await auth.completeSecondFactor(await passwordStep(member), { recoveryCode: typed }, testRequest)).method).toBe(
        'recovery_code',
      );
    }
    expect(await database.current.recoveryCodes.countDocuments({ user_id: member.user.id })).toBe(7);
  });

  it('in the old format (10 characters, SHA-256 of the user id and code) work once, until new ones are made', async () => {
    const member = await withTotp();
    const legacy = async (code: string) =>
      database.current.recoveryCodes.insertOne({ _id: await sha256hex(`${member.user.id}:${code}`), user_id: member.user.id, created_at: clock.now() });
    await legacy('abcdefghij');
    const done = await auth.completeSecondFactor(await passwordStep(member), { recoveryCode: 'ABCDE-FGHIJ' }, testRequest);
    expect(done.method).toBe('recovery_code');
    expect((await authErrorOf(auth.completeSecondFactor(await passwordStep(member), { recoveryCode: 'abcdefghij' }, testRequest))).code).toBe(
      'VALIDATION',
    );
    await legacy('klmnopqrst');
    // The enrolling session gave a code a minute ago: fresh enough for step-up.
    await auth.regenerateRecoveryCodes(member.session, testRequest);
    expect((await authErrorOf(auth.completeSecondFactor(await passwordStep(member), { recoveryCode: 'klmnopqrst' }, testRequest))).code).toBe(
      'VALIDATION',
    );
  });
});

describe('changes', () => {
  it('new recovery codes need a fresh session and void the old ones', async () => {
    const member = await withTotp();
    await makeSessionStale(auth, member.session.id);
    expect((await authErrorOf(auth.regenerateRecoveryCodes(member.session, testRequest))).code).toBe('NEEDS_REFRESH');
    // Step-up on a TOTP account: the password and a code.
    const { session } = await auth.confirmLogin(member.session, member.password, testRequest, {
      code: totpCode(member.secret, clock.now()),
    });
    clock.advance(2 * STEP);
    const codes = await auth.regenerateRecoveryCodes(session, testRequest);
    const old = await authErrorOf(auth.completeSecondFactor(await passwordStep(member), { recoveryCode: member.recoveryCodes[0]! }, testRequest));
    expect(old.code).toBe('VALIDATION');
    expect((await auth.completeSecondFactor(await passwordStep(member), { recoveryCode: codes[0]! }, testRequest)).method).toBe('recovery_code');
  });

  it('turning TOTP off needs a fresh session and a valid code', async () => {
    const member = await withTotp();
    expect((await authErrorOf(auth.disableTotp(member.session, { code: '123456' }, testRequest))).code).toBe('VALIDATION');
    await makeSessionStale(auth, member.session.id);
    const stale = await authErrorOf(auth.disableTotp(member.session, { code: totpCode(member.secret, clock.now()) }, testRequest));
    expect(stale.code).toBe('NEEDS_REFRESH');
    const { session, token } = await auth.confirmLogin(member.session, member.password, testRequest, {
      code: totpCode(member.secret, clock.now()),
    });
    clock.advance(2 * STEP);
    await auth.disableTotp(session, { code: totpCode(member.secret, clock.now()) }, testRequest);
    expect(await auth.secondFactorRequired(member.user)).toBe(false);
    expect((await auth.loadUser(token, testRequest)).user).toMatchObject({ mfaEnabled: false });
    expect(await database.current.recoveryCodes.countDocuments({ user_id: member.user.id })).toBe(0);
    expect((await database.current.users.findOne({ _id: member.user.id }))?.totp).toBeNull();
    expect(await database.current.mailOutbox.countDocuments({ to: member.user.email, kind: 'totp_disabled_notice' })).toBe(1);
  });

  it('a recovery code turns TOTP off too', async () => {
    const member = await withTotp();
    await auth.disableTotp(member.session, { recoveryCode: member.recoveryCodes[3]! }, testRequest);
    expect(await auth.secondFactorRequired(member.user)).toBe(false);
  });
});

describe('admins (REQUIRE_MFA_FOR_ADMINS)', () => {
  const strict = useTestAuth({ requireMfaForAdmins: true }).auth;

  it('refuses admin actions to an admin without TOTP, allows them with it, and resets a user', async () => {
    const bare = await createSignedInUser(strict, { role: 'admin' });
    expect((await authErrorOf(strict.listUsers(bare.user, { page: 1, pageSize: 10 }))).code).toBe('MFA_REQUIRED');

    const admin = await createSignedInUser(strict, { role: 'admin' });
    const enrolment = await strict.beginTotpEnrolment(admin.session, testRequest);
    await strict.confirmTotpEnrolment(admin.session, totpCode(enrolment.secret, strict.now()), testRequest);
    const member = await createSignedInUser(strict);
    const memberEnrolment = await strict.beginTotpEnrolment(member.session, testRequest);
    await strict.confirmTotpEnrolment(member.session, totpCode(memberEnrolment.secret, strict.now()), testRequest);

    const page = await strict.listUsers(admin.user, { page: 1, pageSize: 10 });
    expect(page.users.find((user) => user.id === member.user.id)?.secondFactors).toEqual({ totp: true, passkeys: 0 });
    expect(page.users.find((user) => user.id === bare.user.id)?.secondFactors).toEqual({ totp: false, passkeys: 0 });

    await strict.resetSecondFactor(admin.user, member.user.id, { ...testRequest, ip: randomBytes(2).join('.') + '.0.1' });
    expect(await strict.secondFactorRequired(member.user)).toBe(false);
    expect((await strict.listEvents(member.user.id, 1))[0]).toMatchObject({ type: 'second_factor_reset', details: { by: admin.user.id } });
    const notice = await strict.database.mailOutbox.findOne({ to: member.user.email, kind: 'second_factor_reset_notice' });
    expect(notice).not.toBeNull();
    // A member may not reset anybody.
    expect((await authErrorOf(strict.resetSecondFactor(member.user, admin.user.id, testRequest))).code).toBe('FORBIDDEN');
  });
});
