// The second step of a password sign-in. After a correct password, an account
// with TOTP gets a challenge instead of a session: a random token (stored only
// as its SHA-256) that grants nothing, names the user and the "remember me"
// choice, and expires in five minutes. The session comes with a valid code or
// recovery code for it, and the challenge is used up.
import { MESSAGES, type AuthCore } from '../core.ts';
import { toPublicUser } from '../convert.ts';
import { AuthError } from '../errors.ts';
import type { Sessions } from '../sessions.ts';
import { generateToken, hashToken, isWellFormedToken } from '../tokens.ts';
import type { LoginResult, PublicUser, RequestInfo } from '../types.ts';
import type { SecondFactorProof, Totp } from './totp.ts';

export const PENDING_SIGN_IN_MS = 5 * 60_000;

export interface SecondFactorChallenge {
  /** Sent back with the code; a secret of this sign-in attempt. */
  challenge: string;
  expiresAt: Date;
}

export function createSecondFactorSignIn(core: AuthCore, totp: Pick<Totp, 'checkProof'>, sessions: Pick<Sessions, 'loginUser'>) {
  const { database, now } = core;
  const expired = () => new AuthError('UNAUTHORIZED', 'This sign-in has expired. Enter your password again.');

  /** Whether a password sign-in of this user needs a second step (read from the stored account). */
  async function secondFactorRequired(user: Pick<PublicUser, 'id'>): Promise<boolean> {
    const doc = await database.users.findOne({ _id: user.id }, { projection: { mfa_enabled: 1 } });
    return doc?.mfa_enabled === true;
  }

  /** After `authenticate`: the pending state for a user with a second factor (CONFLICT for one without). */
  async function startSecondFactor(
    user: PublicUser,
    options: { remember?: boolean },
  ): Promise<SecondFactorChallenge> {
    const doc = await database.users.findOne({ _id: user.id }, { projection: { active: 1, mfa_enabled: 1 } });
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
      created_at: at,
      expires_at: expiresAt,
    });
    return { challenge, expiresAt };
  }

  /**
   * The second step: a fresh session for a valid code or recovery code.
   * UNAUTHORIZED for an unknown, used or expired challenge; VALIDATION
   * (fieldErrors.code or .recoveryCode) for a wrong code; THROTTLED after
   * too many wrong ones.
   */
  async function completeSecondFactor(
    challenge: string,
    proof: SecondFactorProof,
    request: RequestInfo,
  ): Promise<{ user: PublicUser; login: LoginResult; method: 'totp' | 'recovery_code' }> {
    if (typeof challenge !== 'string' || !isWellFormedToken(challenge)) throw expired();
    const id = await hashToken(challenge);
    const pending = await database.pendingSignIns.findOne({ _id: id });
    if (!pending || pending.expires_at <= now()) throw expired();
    const user = await database.users.findOne({ _id: pending.user_id });
    if (!user) throw expired();
    if (!user.active) throw new AuthError('INACTIVE', MESSAGES.inactive);
    // Reset by an admin meanwhile: the password alone was checked under other rules; start again.
    if (!user.mfa_enabled || !user.totp?.confirmed) throw expired();
    const method = await totp.checkProof(user, proof, request, 'sign_in');
    // Used once: of two parallel completions, only the one that deletes it signs in.
    const used = await database.pendingSignIns.deleteOne({ _id: id });
    if (used.deletedCount !== 1) throw expired();
    const publicUser = toPublicUser(user);
    const login = await sessions.loginUser(publicUser, { remember: pending.remember, fresh: true }, request);
    return { user: publicUser, login, method };
  }

  /**
   * For the sweep: deletes pending second steps that expired unused (servers
   * without TTL indexes keep them otherwise). Resolves to how many.
   */
  async function deleteExpiredPendingSignIns(): Promise<number> {
    const result = await database.pendingSignIns.deleteMany({ expires_at: { $lte: now() } });
    return result.deletedCount;
  }

  return { secondFactorRequired, startSecondFactor, completeSecondFactor, deleteExpiredPendingSignIns };
}
