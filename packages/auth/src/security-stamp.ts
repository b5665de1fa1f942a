// The security stamp (DESIGN.md, "One account lifecycle"): one random value
// per account, replaced by every change after which nothing issued before it
// may keep working: a password change or reset, an email change, "sign out
// everywhere" (the user's or an admin's), deactivation, and the removal of a
// second factor. Everything issued on the account's authority carries the
// stamp it was issued under: sessions (`stamp`, checked by loadUser),
// mailed links (single-use-tokens.ts), pending second steps
// (second-factors/sign-in.ts) and device tokens (devices.ts, in their MAC).
// This module is the one place that replaces it and the one rule that
// compares it, so a new kind of artefact cannot forget the check.
import { randomBytes } from 'node:crypto';
import type { UserDoc } from '@authkit/db';
import type { AuthCore } from './core.ts';

/** The account's stamp; accounts from before the stamp read as ''. */
export function stampOf(user: Pick<UserDoc, 'security_stamp'> | null | undefined): string {
  return user?.security_stamp ?? '';
}

/** True when something issued under `issued` is still valid for the account (the one rule). */
export function issuedUnderCurrentStamp(
  issued: string | undefined,
  user: Pick<UserDoc, 'security_stamp'> | null | undefined,
): boolean {
  return user != null && (issued ?? '') === stampOf(user);
}

/**
 * Replaces the account's stamp. What was issued under the old one stops
 * working at its next use: every session but `keepSessionId` (the session that
 * made the change, which is carried over to the new stamp), every mailed link
 * and pending second step (also deleted here, so nothing lingers in the
 * database), every device token. Callers still end sessions explicitly where
 * they want a reason shown (`password_changed`, ...): the stamp is the rule
 * that holds even for an artefact they did not think of.
 */
export async function renewSecurityStamp(
  core: AuthCore,
  userId: string,
  options: { keepSessionId?: string } = {},
): Promise<string> {
  const stamp = randomBytes(18).toString('base64url');
  // The kept session first, stamp and copy together, so that it never looks
  // stale in between; the others follow the user's copy and then fail the check.
  if (options.keepSessionId) {
    await core.database.sessions.updateOne(
      { _id: options.keepSessionId, user_id: userId },
      { $set: { stamp, 'user.security_stamp': stamp } },
    );
  }
  await core.database.users.updateOne({ _id: userId }, { $set: { security_stamp: stamp } });
  await core.database.singleUseTokens.deleteMany({ user_id: userId });
  await core.database.pendingSignIns.deleteMany({ user_id: userId });
  // The other sessions' copies take the new stamp, so that their own (old) one
  // no longer matches: they end at their next load, and every process drops
  // its cached copies. With no other session left there is nothing to drop and
  // no feed entry is written (repeated sign-outs everywhere must not fill the
  // feed: review 2026-12-05, finding 15). Callers that change other copied
  // fields (an email change, TOTP off) sync those themselves (syncUserCopies).
  const others = options.keepSessionId ? { user_id: userId, _id: { $ne: options.keepSessionId } } : { user_id: userId };
  await core.database.sessions.updateMany({ ...others, user: { $exists: true } }, { $set: { 'user.security_stamp': stamp } });
  if ((await core.database.sessions.countDocuments(others)) > 0) await core.feed.record({ userId });
  return stamp;
}
