// The second step of a password sign-in. After a correct password, an account
// with TOTP gets a challenge instead of a session: a random token (stored only
// as its SHA-256) that grants nothing, names the user and the "remember me"
// choice, and expires in five minutes. The session comes with a valid code or
// recovery code for it, and the challenge is used up.
//
// The owner is told when somebody gets past the password but not the second
// step (review 2026-12-05, finding 8): a wrong code is mailed at once, an
// abandoned step by the sweep (announceAbandonedSecondSteps). At most one mail
// per pending sign-in (announced_at) and one per account per
// SECOND_STEP_NOTICE_MS, so that whoever holds the password cannot mail-bomb.
import type { PendingSignInDoc } from '@authkit/db';
import { MESSAGES, takeOncePer, type AuthCore } from '../core.ts';
import { clip, MAX_IP, MAX_USER_AGENT } from '../limits.ts';
import { toPublicUser } from '../convert.ts';
import { AuthError } from '../errors.ts';
import { requestDetails, secondStepNotice, type RequestDetails } from '../mail/templates.ts';
import { issuedUnderCurrentStamp, stampOf } from '../security-stamp.ts';
import { generateToken, hashToken, isWellFormedToken, sha256hex } from '../tokens.ts';
import type { PublicUser, RequestInfo, SecondFactorChallenge, SecondFactorProof } from '../types.ts';
import type { Totp } from './totp.ts';

export const PENDING_SIGN_IN_MS = 5 * 60_000;
/** At most one "somebody entered your password" mail per account in this time. */
export const SECOND_STEP_NOTICE_MS = 15 * 60_000;
/** Abandoned second steps announced per sweep at most (the rest wait for the next one). */
const ANNOUNCE_BATCH = 500;

export type SecondFactorSignIn = ReturnType<typeof createSecondFactorSignIn>;

export function createSecondFactorSignIn(core: AuthCore, totp: Pick<Totp, 'checkProof'>) {
  const { database, now } = core;
  const expired = () =>
    new AuthError('UNAUTHORIZED', 'This sign-in has expired. Enter your password again.');

  /** Whether a password sign-in of this user needs a second step (read from the stored account). */
  async function secondFactorRequired(user: Pick<PublicUser, 'id'>): Promise<boolean> {
    const doc = await database.users.findOne({ _id: user.id }, { projection: { mfa_enabled: 1 } });
    return doc?.mfa_enabled === true;
  }

  /** After `authenticate`: the pending state for a user with a second factor (CONFLICT for one without). */
  async function startSecondFactor(
    user: PublicUser,
    options: { remember?: boolean; firstFactor?: 'password' | 'oauth'; provider?: string },
    request?: RequestInfo,
  ): Promise<SecondFactorChallenge> {
    const doc = await database.users.findOne(
      { _id: user.id },
      { projection: { active: 1, mfa_enabled: 1, security_stamp: 1 } },
    );
    if (!doc) throw expired();
    if (!doc.active) throw new AuthError('INACTIVE', MESSAGES.inactive);
    if (!doc.mfa_enabled) throw new AuthError('CONFLICT', 'This account has no second factor.');
    const challenge = generateToken();
    const at = now();
    const expiresAt = new Date(at.getTime() + PENDING_SIGN_IN_MS);
    await database.pendingSignIns.insertOne({
      _id: await hashToken(challenge),
      user_id: user.id,
      remember: options.remember === true,
      first_factor: options.firstFactor ?? 'password',
      ...(options.provider ? { provider: options.provider } : {}),
      // A password change or reset (any stamp change) voids the step begun with the old password.
      stamp: stampOf(doc),
      created_at: at,
      expires_at: expiresAt,
      // Where the password came from: the owner's notice names it if the step is abandoned.
      ip: clip(request?.ip, MAX_IP),
      user_agent: clip(request?.userAgent, MAX_USER_AGENT),
    });
    return { challenge, expiresAt };
  }

  /**
   * The second step: proves a valid code or recovery code for the challenge (sign-in.ts then makes the session).
   * UNAUTHORIZED for an unknown, used or expired challenge; VALIDATION
   * (fieldErrors.code or .recoveryCode) for a wrong code; THROTTLED after
   * too many wrong ones.
   */
  async function completeSecondFactor(
    challenge: string,
    proof: SecondFactorProof,
    request: RequestInfo,
  ): Promise<{
    user: PublicUser;
    remember: boolean;
    method: 'totp' | 'recovery_code';
    firstFactor: 'password' | 'oauth';
    provider: string | null;
  }> {
    if (typeof challenge !== 'string' || !isWellFormedToken(challenge)) throw expired();
    const id = await hashToken(challenge);
    const pending = await database.pendingSignIns.findOne({ _id: id });
    if (!pending || pending.expires_at <= now()) throw expired();
    const user = await database.users.findOne({ _id: pending.user_id });
    if (!user) throw expired();
    if (!user.active) throw new AuthError('INACTIVE', MESSAGES.inactive);
    if (!issuedUnderCurrentStamp(pending.stamp, user)) throw expired();
    // Reset by an admin meanwhile: the password alone was checked under other rules; start again.
    if (!user.mfa_enabled || !user.totp?.confirmed) throw expired();
    let method: 'totp' | 'recovery_code';
    try {
      method = await totp.checkProof(user, proof, request, 'sign_in');
    } catch (error) {
      // A wrong code after a correct password: the owner hears of it (not of a THROTTLED refusal,
      // which checked nothing; that step is announced as abandoned when it expires).
      if (error instanceof AuthError && error.code === 'VALIDATION') {
        await announceSecondStep(pending, 'failed', requestDetails(request, now()));
      }
      throw error;
    }
    // Used once: of two parallel completions, only the one that deletes it signs in.
    const used = await database.pendingSignIns.deleteOne({ _id: id });
    if (used.deletedCount !== 1) throw expired();
    // The session itself is made by sign-in.ts, as for every other sign-in.
    return {
      user: toPublicUser(user),
      remember: pending.remember,
      method,
      firstFactor: pending.first_factor ?? 'password',
      provider: pending.provider ?? null,
    };
  }

  /** One "somebody entered your password" mail per account per SECOND_STEP_NOTICE_MS. */
  async function takeNoticeSlot(userId: string): Promise<boolean> {
    return takeOncePer(core, `notice:second-step:${await sha256hex(userId)}`, SECOND_STEP_NOTICE_MS);
  }


  /**
   * Mails the owner about a pending sign-in that failed or was abandoned, once per pending
   * sign-in; within the per-account limit. Resolves to whether a mail was sent.
   */
  async function announceSecondStep(
    pending: PendingSignInDoc,
    outcome: 'failed' | 'abandoned',
    details: RequestDetails,
  ): Promise<boolean> {
    // Marked first: whatever happens next, this pending sign-in is not announced twice.
    const marked = await database.pendingSignIns.updateOne(
      { _id: pending._id, announced_at: null },
      { $set: { announced_at: now() } },
    );
    if (marked.modifiedCount !== 1) return false;
    const user = await database.users.findOne(
      { _id: pending.user_id },
      { projection: { username: 1, email: 1, active: 1 } },
    );
    if (!user?.active) return false;
    if (!(await takeNoticeSlot(user._id))) return false;
    await core.mail.send(
      secondStepNotice(
        core.mail.contextFor(user),
        outcome,
        details,
        pending.first_factor ?? 'password',
      ),
    );
    return true;
  }

  /**
   * For the sweep, BEFORE anything deletes expired pending sign-ins: mails the owners of
   * expired, unused, unannounced ones ("somebody entered your password and went no
   * further") and marks them announced. A used one is deleted at once, so an expired one
   * still there was abandoned. Resolves to how many mails were sent.
   */
  async function announceAbandonedSecondSteps(): Promise<number> {
    const expired = await database.pendingSignIns
      .find({ expires_at: { $lte: now() }, announced_at: null })
      .sort({ expires_at: 1 })
      .limit(ANNOUNCE_BATCH)
      .toArray();
    let mailed = 0;
    for (const pending of expired) {
      const details = {
        at: pending.created_at,
        ip: pending.ip ?? null,
        userAgent: pending.user_agent ?? null,
      };
      if (await announceSecondStep(pending, 'abandoned', details)) mailed++;
    }
    return mailed;
  }

  /**
   * For the sweep, after announceAbandonedSecondSteps: deletes pending second
   * steps that expired unused and were announced (servers without TTL indexes
   * keep them otherwise), and any a day past expiry. Resolves to how many.
   */
  async function deleteExpiredPendingSignIns(): Promise<number> {
    const at = now();
    const result = await database.pendingSignIns.deleteMany({
      expires_at: { $lte: at },
      $or: [
        { announced_at: { $ne: null } },
        { expires_at: { $lte: new Date(at.getTime() - 24 * 60 * 60_000) } },
      ],
    });
    return result.deletedCount;
  }

  return {
    secondFactorRequired,
    startSecondFactor,
    completeSecondFactor,
    announceAbandonedSecondSteps,
    deleteExpiredPendingSignIns,
  };
}
