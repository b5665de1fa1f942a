// Proving an email address: the verification link sent at registration (and
// again on request), and the change of address, which needs a fresh login and
// takes effect only when the link sent to the new address is used. A taken
// address gets the same answer as a free one, and its owner a notice (a few a
// day at most, shared with sign-ups: mayNoticeOwner).
import { setTimeout as sleep } from 'node:timers/promises';
import { isDuplicateKeyError, type UserDoc } from '@authkit/db';
import { freshSessionDoc, liveSessionDoc, MESSAGES, syncUserCopies, type AuthCore } from './core.ts';
import { renewSecurityStamp } from './security-stamp.ts';
import { toPublicUser } from './convert.ts';
import { AuthError } from './errors.ts';
import {
  addressInUseNotice,
  emailChangedNotice,
  emailChangeMail,
  emailChangeRequestedNotice,
  emailVerificationMail,
} from './mail/templates.ts';
import type { SingleUseTokens } from './single-use-tokens.ts';
import type { Auth, RequestInfo, SessionInfo } from './types.ts';
import { emailSchema, normalizeKey } from './validation.ts';

export type EmailAddresses = ReturnType<typeof createEmailAddresses>;

/** Verification and email-change mails a user may ask for in an hour. */
const MAILS_PER_HOUR = 5;
const HOUR = 60 * 60_000;
/**
 * Notices a day to the owner of an address that somebody else tried to use
 * (a sign-up with it, or another account moving to it): strangers cannot
 * fill the owner's inbox, however many networks they ask from.
 */
const OWNER_NOTICES_PER_DAY = 3;
const DAY = 24 * HOUR;
/**
 * An email change answers no sooner than this, whether the new address is
 * free (a link is made) or taken (a notice instead), so the time tells no
 * more than the answer.
 */
const EMAIL_CHANGE_MIN_MS = 150;
const NO_PENDING_CHANGE = 'No change of email address is waiting for confirmation.';

export function createEmailAddresses(core: AuthCore, tokens: SingleUseTokens) {
  const { settings, database, now, throttle, events, mail } = core;
  const hours = Math.round(settings.emailTokenMs / 3_600_000);

  /** Mails a verification link for the user's current address. */
  async function sendVerification(user: Pick<UserDoc, '_id' | 'username' | 'email'>, request: RequestInfo): Promise<void> {
    const token = await tokens.issue('email_verification', user._id, settings.emailTokenMs, { email: user.email });
    await mail.send(emailVerificationMail(mail.contextFor(user), mail.link(`/verify-email/${token}`), hours));
    await events.record('email_verification_sent', user._id, request);
  }

  /**
   * Whether the owner of a taken address may be sent one more notice about it
   * (counted when true). When false, the caller sends nothing and answers as usual.
   */
  async function mayNoticeOwner(ownerId: string): Promise<boolean> {
    return throttle.tryQuota({ id: `owner-notice:${ownerId}`, scope: 'account' }, OWNER_NOTICES_PER_DAY, DAY, now());
  }

  const resendVerification: Auth['resendVerification'] = async (session, request) => {
    const doc = await liveSessionDoc(core, session);
    const user = await database.users.findOne({ _id: doc.user_id }, { projection: { password_hash: 0 } });
    if (!user) throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
    if (user.email_verified) return { alreadyVerified: true };
    // A few per hour: each one is a mail to somebody's inbox.
    const key = { id: `verify:${user._id}`, scope: 'account' as const, reason: 'You have asked for several links in the last hour.' };
    await throttle.takeQuota(key, MAILS_PER_HOUR, HOUR, now());
    await sendVerification(user, request);
    return { alreadyVerified: false };
  };

  const requestEmailChange: Auth['requestEmailChange'] = async (session, newEmail, request) => {
    const started = Date.now();
    // Fresh by the account's strongest factor (a code or a passkey where it has TOTP).
    const doc = await freshSessionDoc(core, session, request, 'change_email');
    const parsed = emailSchema.safeParse(newEmail);
    if (!parsed.success) {
      throw new AuthError('VALIDATION', MESSAGES.validation, {
        fieldErrors: { email: [parsed.error.issues[0]?.message ?? 'Enter a valid email address.'] },
      });
    }
    const email = parsed.data;
    const user = await database.users.findOne({ _id: doc.user_id }, { projection: { password_hash: 0 } });
    if (!user?.active) throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
    if (normalizeKey(email) === user.email_key) {
      throw new AuthError('VALIDATION', MESSAGES.validation, { fieldErrors: { email: ['This is already your email address.'] } });
    }
    await throttle.takeQuota(changeLinkQuota(user._id), MAILS_PER_HOUR, HOUR, now());
    await mailChangeLink(user, email);
    await mail.send(emailChangeRequestedNotice(mail.contextFor(user), email));
    await events.record('email_change_requested', user._id, request);
    await answerNoSoonerThan(started);
  };

  /**
   * Makes the link for a change to `email` (voiding the earlier one) and mails
   * it; when the address has an account, its owner gets a notice instead. The
   * change is pending either way, and listed alike (pendingEmailChange): which
   * addresses have an account is nobody's business. A link nobody was mailed
   * is of no use to anyone (and the unique index would refuse it).
   */
  async function mailChangeLink(user: Pick<UserDoc, '_id' | 'username' | 'email'>, email: string): Promise<void> {
    const token = await tokens.issue('email_change', user._id, settings.emailTokenMs, { email });
    const owner = await database.users.findOne({ email_key: normalizeKey(email) }, { projection: { password_hash: 0 } });
    if (owner) {
      if (owner.active && (await mayNoticeOwner(owner._id))) await mail.send(addressInUseNotice(mail.contextFor(owner)));
    } else {
      await mail.send(emailChangeMail(mail.contextFor(user, email), mail.link(`/verify-email/${token}`), hours));
    }
  }

  /** The quota the first link and its resends share (MAILS_PER_HOUR per account). */
  function changeLinkQuota(userId: string) {
    const reason = 'Several links were sent for this account in the last hour.';
    return { id: `email-change:${userId}`, scope: 'account' as const, reason };
  }

  async function answerNoSoonerThan(started: number): Promise<void> {
    const rest = EMAIL_CHANGE_MIN_MS - (Date.now() - started);
    if (rest > 0) await sleep(rest);
  }

  /** The signed-in, active account of `session` (its hash left out). */
  async function ownerOf(session: SessionInfo): Promise<UserDoc> {
    const doc = await liveSessionDoc(core, session);
    const user = await database.users.findOne({ _id: doc.user_id }, { projection: { password_hash: 0 } });
    if (!user?.active) throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
    return user;
  }

  const pendingEmailChange: Auth['pendingEmailChange'] = async (session) => {
    const user = await ownerOf(session);
    const pending = await tokens.current(user._id, 'email_change');
    if (!pending?.email) return null;
    return { email: pending.email, requestedAt: pending.created_at, expiresAt: pending.expires_at };
  };

  const resendEmailChange: Auth['resendEmailChange'] = async (session, request) => {
    const started = Date.now();
    const user = await ownerOf(session);
    // Only ever the address the owner asked for, with a fresh session, when
    // the change was requested: resending names no address of its own.
    const pending = await tokens.current(user._id, 'email_change');
    if (!pending?.email) throw new AuthError('NOT_FOUND', NO_PENDING_CHANGE);
    // The same quota as the first send: each one is a mail to somebody's inbox.
    await throttle.takeQuota(changeLinkQuota(user._id), MAILS_PER_HOUR, HOUR, now());
    await mailChangeLink(user, pending.email);
    await events.record('email_change_requested', user._id, request, { resent: true });
    await answerNoSoonerThan(started);
    return { email: pending.email };
  };

  const cancelEmailChange: Auth['cancelEmailChange'] = async (session, request) => {
    const user = await ownerOf(session);
    const pending = await tokens.current(user._id, 'email_change');
    // Every link of the kind, live or not: none of them may change the address now.
    await tokens.revokeAll(user._id, 'email_change');
    if (pending) await events.record('email_change_cancelled', user._id, request);
    return { cancelled: pending !== null };
  };

  const checkEmailLink: Auth['checkEmailLink'] = async (token) => {
    const doc = await tokens.find(token, ['email_verification', 'email_change']);
    if (!doc?.email) return null;
    const user = await database.users.findOne({ _id: doc.user_id }, { projection: { active: 1, email_key: 1 } });
    if (!user?.active) return null;
    // As verifyEmail: a verification link for an address the account no longer has proves nothing.
    if (doc.kind === 'email_verification' && normalizeKey(doc.email) !== user.email_key) return null;
    return { email: doc.email, change: doc.kind === 'email_change' };
  };

  const verifyEmail: Auth['verifyEmail'] = async (token, request, options = {}) => {
    const invalidLink = () => new AuthError('VALIDATION', MESSAGES.invalidLink, { fieldErrors: { token: [MESSAGES.invalidLink] } });
    const redeemed = await tokens.redeem(token, ['email_verification', 'email_change'], async (doc) => {
      // With the hash: toPublicUser says whether there is one (the hash itself stays here).
      const user = await database.users.findOne({ _id: doc.user_id });
      if (!user?.active || !doc.email) throw invalidLink();
      if (doc.kind === 'email_verification') {
        // A link for an address the account no longer has proves nothing.
        if (normalizeKey(doc.email) !== user.email_key) throw invalidLink();
        await database.users.updateOne({ _id: user._id }, { $set: { email_verified: true, updated_at: now() } });
        // Sessions carry a copy of the user's fields: they follow at once.
        await syncUserCopies(core, user._id);
        await events.record('email_verified', user._id, request);
        return { user: toPublicUser({ ...user, email_verified: true }), changed: false };
      }
      const changes = { email: doc.email, email_key: normalizeKey(doc.email), email_verified: true, updated_at: now() };
      try {
        // The unique index decides between two accounts racing for one address.
        await database.users.updateOne({ _id: user._id }, { $set: changes });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        throw new AuthError('VALIDATION', 'Another account has started using this email address meanwhile.', {
          fieldErrors: { token: ['Another account has started using this email address meanwhile.'] },
        });
      }
      // A new address: everything issued before (links to the old address, other
      // sessions, pending steps, device tokens) ends; the browser that confirmed
      // the change, when it is signed in to this account, stays signed in.
      await syncUserCopies(core, user._id);
      await renewSecurityStamp(core, user._id, options.keepSessionId ? { keepSessionId: options.keepSessionId } : {});
      await events.record('email_changed', user._id, request);
      // The old address hears of it, in case this was not its owner.
      await mail.send(emailChangedNotice(mail.contextFor(user), doc.email));
      return { user: toPublicUser({ ...user, ...changes }), changed: true };
    });
    if (!redeemed) throw invalidLink();
    return redeemed.result;
  };

  return {
    sendVerification,
    mayNoticeOwner,
    resendVerification,
    requestEmailChange,
    pendingEmailChange,
    resendEmailChange,
    cancelEmailChange,
    checkEmailLink,
    verifyEmail,
  };
}
