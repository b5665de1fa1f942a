// TOTP (RFC 6238: 30-second steps, 6 digits, HMAC-SHA-1, as every
// authenticator app reads it) with recovery codes: enrolment (pending until a
// first code verifies it and the user says the recovery codes then shown are
// saved), the check of a code at sign-in and for changes,
// disabling, new recovery codes. The secret is kept encrypted (secret-box.ts);
// a code is accepted for the step before and after the current one (clock
// skew), and once: a step at or before the last accepted one is refused, and
// parallel uses of one step are decided by a claim (a unique insert).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { encodeBase32UpperCaseNoPadding } from '@oslojs/encoding';
import { createTOTPKeyURI, generateHOTP } from '@oslojs/otp';
import { renderSVG } from 'uqr';
import type { UserDoc } from '@authkit/db';
import { takeClaim, withClaim } from '../claims.ts';
import {
  freshSessionDoc,
  liveSessionDoc,
  MESSAGES,
  syncUserCopies,
  type AuthCore,
} from '../core.ts';
import { issuedUnderCurrentStamp, renewSecurityStamp, stampOf } from '../security-stamp.ts';
import { AuthError } from '../errors.ts';
import type { Keys } from '../keys.ts';
import {
  recoveryCodesRegeneratedNotice,
  recoveryCodeUsedNotice,
  requestDetails,
  totpDisabledNotice,
  totpEnabledNotice,
} from '../mail/templates.ts';
import type { ThrottleKey } from '../throttle.ts';
import { sha256hex } from '../tokens.ts';
import type {
  RequestInfo,
  SecondFactorProof,
  SessionInfo,
  TotpEnrolment,
  TwoStepStatus,
} from '../types.ts';
import { remainingRecoveryCodes, replaceRecoveryCodes, useRecoveryCode } from './recovery-codes.ts';
import { open, seal } from './secret-box.ts';

const STEP_SECONDS = 30;
const DIGITS = 6;
/** Steps accepted either side of the current one. */
const SKEW_STEPS = 1;
/** An enrolment not confirmed within this is void. */
const ENROLMENT_MS = 10 * 60_000;
/**
 * After the first code: this long to say the recovery codes are saved (time
 * to print or store them). Until then two-step verification is off; after
 * it, the set-up is void.
 */
const SAVE_CODES_MS = 30 * 60_000;
/** A claim on a used step outlives the window in which its code is valid. */
const STEP_CLAIM_MS = (2 * SKEW_STEPS + 2) * STEP_SECONDS * 1000;

export type Totp = ReturnType<typeof createTotp>;

export function createTotp(core: AuthCore, keys: Keys) {
  const { database, now, events, mail, throttle, settings } = core;

  const sealContext = (userId: string) => `authkit-totp-v1:${userId}`;
  const currentStep = () => Math.floor(now().getTime() / 1000 / STEP_SECONDS);
  /** Recovery codes are stored under a keyed hash (see recovery-codes.ts). */
  const recoveryCodesKey = () => keys.key('recovery_codes');

  async function secretOf(user: Pick<UserDoc, '_id' | 'totp'>): Promise<Uint8Array> {
    if (!user.totp) throw new Error('auth: no TOTP secret');
    return open(await keys.key('totp_secrets'), user.totp.secret, sealContext(user._id));
  }

  /** The step whose code `code` is (within the skew), or null. Compares in constant time. */
  function matchingStep(secret: Uint8Array, code: unknown): number | null {
    if (typeof code !== 'string' || !/^\d{6}$/.test(code.trim())) return null;
    const given = Buffer.from(code.trim());
    const step = currentStep();
    let found: number | null = null;
    for (let candidate = step - SKEW_STEPS; candidate <= step + SKEW_STEPS; candidate++) {
      const expected = Buffer.from(generateHOTP(secret, BigInt(candidate), DIGITS));
      if (timingSafeEqual(expected, given)) found = candidate;
    }
    return found;
  }

  /**
   * A code for the user's TOTP, accepted once: the step is claimed and recorded as the last used.
   * 'used': a right code of a step already used (or older than it), so the user waits for the next.
   */
  async function acceptCode(user: UserDoc, code: unknown): Promise<'accepted' | 'wrong' | 'used'> {
    if (!user.totp) return 'wrong';
    const step = matchingStep(await secretOf(user), code);
    if (step === null) return 'wrong';
    if (step <= user.totp.last_step) return 'used';
    if (!(await takeClaim(database, `totp-step:${user._id}:${step}`, STEP_CLAIM_MS))) return 'used';
    await database.users.updateOne(
      { _id: user._id, 'totp.last_step': { $lt: step } },
      { $set: { 'totp.last_step': step } },
    );
    return 'accepted';
  }

  function throttleKeys(userId: string): Promise<ThrottleKey[]> {
    return sha256hex(userId).then((hash) => [
      {
        id: `second-factor:${hash}`,
        scope: 'account' as const,
        free: settings.throttle.accountFreeFailures,
        cap: settings.throttle.accountHardCap,
      },
    ]);
  }

  /**
   * Checks a second factor of a user with TOTP, throttled per account like
   * passwords (a lock after accountFreeFailures wrong codes). A wrong code is
   * VALIDATION on the field the client filled. A used recovery code is gone,
   * recorded, and the owner is told by mail.
   */
  async function checkProof(
    user: UserDoc,
    proof: SecondFactorProof,
    request: RequestInfo,
    action: string,
  ): Promise<'totp' | 'recovery_code'> {
    const method = proof && 'recoveryCode' in proof ? 'recovery_code' : 'totp';
    const field = method === 'recovery_code' ? 'recoveryCode' : 'code';
    const keys = await throttleKeys(user._id);
    const admission = await throttle.admit(keys, now());
    const outcome =
      method === 'recovery_code'
        ? (await useRecoveryCode(
            database,
            await recoveryCodesKey(),
            user._id,
            (proof as { recoveryCode: unknown }).recoveryCode,
          ))
          ? 'accepted'
          : 'wrong'
        : await acceptCode(user, (proof as { code?: unknown } | null)?.code);
    if (outcome !== 'accepted') {
      // A replayed code still counts as a failure (it proves nothing new).

      const locks = await throttle.failed(admission, now());
      await events.record('second_factor_failed', user._id, request, { action, method });
      for (const lock of locks) {
        await events.record('account_locked', user._id, request, {
          scope: 'second_factor',
          failures: lock.failures,
        });
      }
      const message =
        method === 'recovery_code'
          ? 'This recovery code is not valid (or was used).'
          : outcome === 'used'
            ? 'This code was just used. Wait for the next code from your authenticator app.'
            : 'Incorrect code.';
      throw new AuthError('VALIDATION', message, { fieldErrors: { [field]: [message] } });
    }
    await throttle.succeeded(admission, now());
    if (method === 'recovery_code') {
      const remaining = await remainingRecoveryCodes(database, user._id);
      await events.record('recovery_code_used', user._id, request, { action, remaining });
      await mail.send(recoveryCodeUsedNotice(mail.contextFor(user), remaining));
    }
    return method;
  }

  /**
   * Verified by a first code, waiting for "I have saved the codes", within the
   * time and under the account's current stamp: the end of that time, else null.
   */
  function unsavedUntil(
    user: Pick<UserDoc, 'totp' | 'security_stamp'> | null | undefined,
  ): Date | null {
    const totp = user?.totp;
    if (!totp || totp.confirmed || !totp.verified_at || !underway(user)) return null;
    const until = new Date(totp.verified_at.getTime() + SAVE_CODES_MS);
    return until > now() ? until : null;
  }

  /** An unconfirmed set-up begun under the account's current stamp (a reset or sign-out everywhere voids it). */
  function underway(user: Pick<UserDoc, 'totp' | 'security_stamp'>): boolean {
    return !!user.totp && !user.totp.confirmed && issuedUnderCurrentStamp(user.totp.stamp, user);
  }

  /** Changes to a user's second factors run one at a time (enrol, confirm, disable, reset). */
  async function serialized<T>(userId: string, work: () => Promise<T>): Promise<T> {
    const outcome = await withClaim(
      database,
      `second-factor-change:${userId}`,
      { lifetimeMs: 10_000, waitMs: 3_000 },
      work,
    );
    if (!outcome.done)
      throw new AuthError(
        'CONFLICT',
        'Another change to your sign-in methods is under way. Please try again.',
      );
    return outcome.result;
  }

  async function activeUser(userId: string): Promise<UserDoc> {
    const user = await database.users.findOne({ _id: userId });
    if (!user) throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
    if (!user.active) throw new AuthError('INACTIVE', MESSAGES.inactive);
    return user;
  }

  /** Fresh session required. A new secret, pending until confirmTotpEnrolment; replaces an unconfirmed one. */
  async function beginTotpEnrolment(
    session: SessionInfo,
    request: RequestInfo,
  ): Promise<TotpEnrolment> {
    const doc = await freshSessionDoc(core, session, request, 'totp_enrol');
    return serialized(doc.user_id, async () => {
      const user = await activeUser(doc.user_id);
      if (user.totp?.confirmed)
        throw new AuthError(
          'CONFLICT',
          'An authenticator app is already set up. Turn it off first.',
        );
      // Codes shown by an unfinished set-up never worked; they go with it.
      await database.recoveryCodes.deleteMany({ user_id: user._id });
      const secret = new Uint8Array(randomBytes(20));
      const sealed = seal(await keys.key('totp_secrets'), secret, sealContext(user._id));
      const createdAt = now();
      await database.users.updateOne(
        { _id: user._id },
        {
          $set: {
            totp: {
              secret: sealed,
              confirmed: false,
              created_at: createdAt,
              last_step: 0,
              stamp: stampOf(user),
            },
          },
        },
      );
      const uri = createTOTPKeyURI(settings.siteName, user.username, secret, STEP_SECONDS, DIGITS);
      return {
        secret: encodeBase32UpperCaseNoPadding(secret),
        uri,
        qrSvg: renderSVG(uri),
        expiresAt: new Date(createdAt.getTime() + ENROLMENT_MS),
      };
    });
  }

  /**
   * One valid code from the app proves it; resolves to the recovery codes
   * (shown once). Two-step verification stays off until finishTotpEnrolment:
   * the user first says the codes are saved (within SAVE_CODES_MS).
   */
  async function verifyTotpEnrolment(
    session: SessionInfo,
    code: string,
    request: RequestInfo,
  ): Promise<string[]> {
    const doc = await liveSessionDoc(core, session);
    return serialized(doc.user_id, async () => {
      const user = await activeUser(doc.user_id);
      const pending = user.totp;
      if (unsavedUntil(user)) {
        throw new AuthError(
          'CONFLICT',
          'Your authenticator app is already verified: confirm that you saved your recovery codes, or get new ones.',
        );
      }
      if (
        !pending ||
        pending.confirmed ||
        pending.verified_at ||
        !underway(user) ||
        pending.created_at.getTime() + ENROLMENT_MS <= now().getTime()
      ) {
        throw new AuthError(
          'CONFLICT',
          'There is no authenticator set-up under way (or it has expired). Start again.',
        );
      }
      await checkProof(user, { code }, request, 'totp_enrol');
      const last =
        (await database.users.findOne({ _id: user._id }, { projection: { totp: 1 } }))?.totp
          ?.last_step ?? 0;
      await database.users.updateOne(
        { _id: user._id },
        {
          $set: {
            totp: { ...pending, last_step: last, verified_at: now(), verified_session: doc._id },
          },
        },
      );
      return replaceRecoveryCodes(database, await recoveryCodesKey(), user._id, now());
    });
  }

  /** "I have saved my recovery codes": turns TOTP on after verifyTotpEnrolment. Pressed twice, nothing more happens. */
  async function finishTotpEnrolment(session: SessionInfo, request: RequestInfo): Promise<void> {
    const doc = await liveSessionDoc(core, session);
    await serialized(doc.user_id, async () => {
      const user = await activeUser(doc.user_id);
      const pending = user.totp;
      if (pending?.confirmed) return;
      if (!pending || !unsavedUntil(user)) {
        throw new AuthError(
          'CONFLICT',
          'This set-up has expired: two-step verification is still off. Start again.',
        );
      }
      const { secret, created_at, last_step, verified_session } = pending;
      await database.users.updateOne(
        { _id: user._id },
        {
          $set: {
            totp: { secret, created_at, last_step, confirmed: true },
            mfa_enabled: true,
            updated_at: now(),
          },
        },
      );
      // The session that gave the code has passed the new factor (others have not:
      // they step up with it before sensitive actions or admin rights).
      const verifier = verified_session
        ? await database.sessions.findOne({ _id: verified_session })
        : null;
      if (verifier?.user_id === user._id) {
        await database.sessions.updateOne(
          { _id: verifier._id },
          { $set: { amr: [...new Set([...(verifier.amr ?? ['password']), 'totp' as const])] } },
        );
      }
      // Sessions carry the flag (admin procedures read it): every copy follows.
      await syncUserCopies(core, user._id);
      await events.record('totp_enrolled', user._id, request);
      await mail.send(totpEnabledNotice(mail.contextFor(user), requestDetails(request, now())));
    });
  }

  /** Both steps in one (API clients that show the codes their own way): on at once; resolves to the recovery codes. */
  async function confirmTotpEnrolment(
    session: SessionInfo,
    code: string,
    request: RequestInfo,
  ): Promise<string[]> {
    const codes = await verifyTotpEnrolment(session, code, request);
    await finishTotpEnrolment(session, request);
    return codes;
  }

  async function twoStepStatus(session: SessionInfo): Promise<TwoStepStatus> {
    const doc = await liveSessionDoc(core, session);
    const user = await database.users.findOne(
      { _id: doc.user_id },
      { projection: { totp: 1, security_stamp: 1 } },
    );
    const finishBy = unsavedUntil(user);
    const state = user?.totp?.confirmed ? 'on' : finishBy ? 'unsaved' : 'off';
    const recoveryCodesLeft =
      state === 'off' ? 0 : await remainingRecoveryCodes(database, doc.user_id);
    return { state, recoveryCodesLeft, finishBy };
  }

  /** Fresh session and a valid code or recovery code: turns TOTP off and voids the recovery codes. */
  async function disableTotp(
    session: SessionInfo,
    proof: SecondFactorProof,
    request: RequestInfo,
  ): Promise<void> {
    const doc = await freshSessionDoc(core, session, request, 'totp_disable');
    await serialized(doc.user_id, async () => {
      const user = await activeUser(doc.user_id);
      if (!user.totp?.confirmed) throw new AuthError('CONFLICT', 'No authenticator app is set up.');
      await checkProof(user, proof, request, 'totp_disable');
      await removeTotp(user._id, doc._id);
      await events.record('totp_disabled', user._id, request);
      await mail.send(totpDisabledNotice(mail.contextFor(user), requestDetails(request, now())));
    });
  }

  /**
   * Fresh session: ten new recovery codes; the old ones stop working. Also
   * during a set-up left before "I have saved them" (the codes shown then are
   * gone with the page): new ones to save, and nothing to announce yet.
   */
  async function regenerateRecoveryCodes(
    session: SessionInfo,
    request: RequestInfo,
  ): Promise<string[]> {
    const doc = await freshSessionDoc(core, session, request, 'recovery_codes');
    return serialized(doc.user_id, async () => {
      const user = await activeUser(doc.user_id);
      const unsaved = unsavedUntil(user) !== null;
      if (!user.totp?.confirmed && !unsaved)
        throw new AuthError(
          'CONFLICT',
          'Recovery codes come with an authenticator app: set one up first.',
        );
      const codes = await replaceRecoveryCodes(database, await recoveryCodesKey(), user._id, now());
      if (unsaved) return codes;
      await events.record('recovery_codes_regenerated', user._id, request);
      // New codes are a new way in: the owner hears of it (review 2026-12-05, finding 2).
      await mail.send(
        recoveryCodesRegeneratedNotice(mail.contextFor(user), requestDetails(request, now())),
      );
      return codes;
    });
  }

  /**
   * TOTP off and recovery codes gone (disable, admin reset). A factor removed
   * renews the security stamp: every session but `keepSessionId` ends, and
   * links, pending steps and device tokens issued before stop working.
   */
  async function removeTotp(userId: string, keepSessionId?: string): Promise<void> {
    await database.users.updateOne(
      { _id: userId },
      { $set: { totp: null, mfa_enabled: false, updated_at: now() } },
    );
    await database.recoveryCodes.deleteMany({ user_id: userId });
    // Sessions carry the flag (admin procedures and step-up read it): every copy follows.
    await syncUserCopies(core, userId);
    await renewSecurityStamp(core, userId, keepSessionId ? { keepSessionId } : {});
  }

  return {
    beginTotpEnrolment,
    verifyTotpEnrolment,
    finishTotpEnrolment,
    confirmTotpEnrolment,
    twoStepStatus,
    disableTotp,
    regenerateRecoveryCodes,
    checkProof,
    removeTotp,
    serialized,
  };
}
