// Account recovery: "forgot password" links by mail, the reset itself, and
// the same links made by an admin or an operator (never a password set for
// somebody else: ASVS 6.4.6).
import { setTimeout as sleep } from 'node:timers/promises';
import type { UserDoc } from '@authkit/db';
import { MESSAGES, syncUserCopies, type AuthCore } from './core.ts';
import { clip, MAX_IP, MAX_LOGIN } from './limits.ts';
import { toPublicUser } from './convert.ts';
import type { Credentials } from './credentials.ts';
import type { Devices } from './devices.ts';
import { AuthError } from './errors.ts';
import { passwordResetMail, passwordResetNotice, requestDetails } from './mail/templates.ts';
import { accountUserInputs, hashPassword } from './passwords.ts';
import type { Sessions } from './sessions.ts';
import type { SingleUseTokens } from './single-use-tokens.ts';
import { sha256hex, throttleAddress } from './tokens.ts';
import type { Auth, PublicUser, RequestInfo, ResetPasskey } from './types.ts';
import { checkNewPassword, normalizeKey } from './validation.ts';

/**
 * A reset request answers no sooner than this, known account or not: the
 * known one writes a token and a mail, the unknown one nothing, and the
 * difference must not tell who has an account.
 */
const RESET_REQUEST_MIN_MS = 150;
/**
 * In an hour: requests per name as typed, and reset mails per account
 * (whichever of its names was typed); requests per client address; requests
 * from the owner's trusted device.
 */
const RESETS_PER_NAME = 5;
const RESETS_PER_ADDRESS = 20;
const RESETS_PER_DEVICE = 5;
/** What a throttled request for a reset link waits for (the refusal's `waitReason`). */
const LINK_WAIT = {
  account: 'Several links were sent for this account in the last hour.',
  address: 'Too many links were asked for from your network.',
  device: 'Several links were asked for from this browser in the last hour.',
} as const;
const HOUR = 60 * 60_000;
/**
 * Passkeys added this recently are offered for removal on the reset page, ticked by default:
 * one an intruder planted with a stolen session is likely among them (review 2026-12-05, finding 2).
 */
export const RECENT_PASSKEY_MS = 14 * 24 * HOUR;
/** As many ids as an account can have passkeys (and a little more), each at most this long. */
const MAX_REMOVE_IDS = 32;
const MAX_PASSKEY_ID = 1024;

export function createRecovery(
  core: AuthCore,
  tokens: SingleUseTokens,
  credentials: Pick<Credentials, 'claimHashChange'>,
  sessions: Pick<Sessions, 'endAllSessionsOf'>,
  devices: Pick<Devices, 'verify'>,
) {
  const { settings, database, now, throttle, events, mail } = core;

  /** A reset link for the user, mailed (or only returned, for an operator without mail). */
  async function issueResetLink(user: UserDoc): Promise<string> {
    const token = await tokens.issue('password_reset', user._id, settings.passwordResetTokenMs, {
      // The link is void once the password changes (by any means).
      password_digest: await sha256hex(user.password_hash),
    });
    return mail.link(`/reset/${token}`);
  }

  /**
   * A reset link for a notice that somebody else caused (a sign-up with the
   * owner's address), or null when the owner has a live link already: a new
   * one would void it, and strangers could keep voiding the owner's links.
   */
  async function resetLinkForNotice(user: UserDoc): Promise<string | null> {
    const live = await database.singleUseTokens.findOne({
      user_id: user._id,
      kind: 'password_reset',
      expires_at: { $gt: now() },
      password_digest: await sha256hex(user.password_hash),
    });
    return live ? null : issueResetLink(user);
  }

  async function mailResetLink(user: UserDoc): Promise<void> {
    const url = await issueResetLink(user);
    const minutes = Math.round(settings.passwordResetTokenMs / 60_000);
    await mail.send(passwordResetMail(mail.contextFor(user), url, minutes));
  }

  const requestPasswordReset: Auth['requestPasswordReset'] = async (login, request) => {
    const started = Date.now();
    const key = typeof login === 'string' ? normalizeKey(login) : '';
    if (!key || key.length > MAX_LOGIN) {
      throw new AuthError('VALIDATION', MESSAGES.validation, {
        fieldErrors: { login: ['Enter your username or email address.'] },
      });
    }
    const user = await database.users.findOne(key.includes('@') ? { email_key: key } : { username_key: key });
    // The owner's trusted device is not held back by the quotas that strangers
    // used up (only a device token valid for this account counts); it has its own.
    const deviceId = user?.active ? await devices.verify(request.deviceToken, user) : null;
    if (deviceId) {
      const deviceKey = { id: `reset-device:${await sha256hex(deviceId)}`, scope: 'device' as const, reason: LINK_WAIT.device };
      await throttle.takeQuota(deviceKey, RESETS_PER_DEVICE, HOUR, now());
    } else {
      // Per name as typed (hashed: people type passwords into name fields) and
      // per address, whether or not the account exists: these refusals depend
      // on nothing but the request, so they tell nothing about accounts.
      await throttle.takeQuota({ id: `reset:${await sha256hex(key)}`, scope: 'account', reason: LINK_WAIT.account }, RESETS_PER_NAME, HOUR, now());
      const ip = clip(request.ip, MAX_IP);
      if (ip) {
        const addressKey = { id: `reset:${throttleAddress(ip)}`, scope: 'address' as const, reason: LINK_WAIT.address };
        await throttle.takeQuota(addressKey, RESETS_PER_ADDRESS, HOUR, now());
      }
    }
    // Mails per account, whichever of its names was typed (an unknown name is
    // counted alike). Kept silently: a refusal here would tell a stranger that
    // two names belong to one account. The owner's device is not counted here.
    const mailKey = `reset-mail:${await sha256hex(user ? `user:${user._id}` : `name:${key}`)}`;
    const mayMail = deviceId !== null || (await throttle.tryQuota({ id: mailKey, scope: 'account' }, RESETS_PER_NAME, HOUR, now()));
    // A deactivated account gets no link: an admin reactivates it first.
    if (user?.active && mayMail) {
      await mailResetLink(user);
      await events.record('password_reset_requested', user._id, request);
    }
    const rest = RESET_REQUEST_MIN_MS - (Date.now() - started);
    if (rest > 0) await sleep(rest);
  };

  /** The account a reset link is for, while it works (the page shows it before asking for a password). */
  async function userForResetToken(token: unknown): Promise<UserDoc | null> {
    const doc = await tokens.find(token, ['password_reset']);
    if (!doc) return null;
    const user = await database.users.findOne({ _id: doc.user_id });
    if (!user?.active || doc.password_digest !== (await sha256hex(user.password_hash))) return null;
    return user;
  }

  async function passkeysOf(userId: string): Promise<ResetPasskey[]> {
    const keys = await database.passkeys.find({ user_id: userId }).sort({ created_at: 1, _id: 1 }).toArray();
    const since = now().getTime() - RECENT_PASSKEY_MS;
    return keys.map((key) => ({
      id: key._id,
      name: key.name,
      createdAt: key.created_at,
      lastUsedAt: key.last_used_at,
      recent: key.created_at.getTime() > since,
    }));
  }

  /**
   * A provider connection signs in without the password, like a passkey, and
   * whoever held a fresh session could have connected their own account. A
   * reset removes those made in the last RECENT_PASSKEY_MS (after the account
   * itself: an account made by a provider keeps the connection it was made
   * with); the owner reconnects theirs in one click. Resolves to the providers.
   */
  async function disconnectRecentProviders(user: UserDoc, request: RequestInfo): Promise<string[]> {
    const since = Math.max(now().getTime() - RECENT_PASSKEY_MS, user.created_at.getTime() + 60_000);
    const recent = await database.oauthAccounts.find({ user_id: user._id, created_at: { $gt: new Date(since) } }).toArray();
    if (recent.length === 0) return [];
    await database.oauthAccounts.deleteMany({ user_id: user._id, _id: { $in: recent.map((link) => link._id) } });
    for (const link of recent) {
      await events.record('oauth_disconnected', user._id, request, { provider: link.provider, by: 'password_reset' });
    }
    return recent.map((link) => link.provider);
  }

  const checkPasswordResetToken: Auth['checkPasswordResetToken'] = async (token) => {
    const user = await userForResetToken(token);
    return user ? { username: user.username, passkeys: await passkeysOf(user._id) } : null;
  };

  /** The passkey ids a reset form names for removal: strings, few, not absurdly long. */
  function checkRemovePasskeys(ids: unknown): string[] {
    if (ids === undefined || ids === null) return [];
    const valid =
      Array.isArray(ids) &&
      ids.length <= MAX_REMOVE_IDS &&
      ids.every((id) => typeof id === 'string' && id.length > 0 && id.length <= MAX_PASSKEY_ID);
    if (!valid) {
      const message = 'Choose passkeys from the list.';
      throw new AuthError('VALIDATION', message, { fieldErrors: { removePasskeys: [message] } });
    }
    return [...new Set(ids as string[])];
  }

  const resetPassword: Auth['resetPassword'] = async (token, newPassword, request, options = {}) => {
    // Checked before the link is used up: bad input leaves it working.
    const removeIds = checkRemovePasskeys(options?.removePasskeys);
    const invalidLink = () => new AuthError('VALIDATION', MESSAGES.invalidLink, { fieldErrors: { token: [MESSAGES.invalidLink] } });
    const redeemed = await tokens.redeem(token, ['password_reset'], async (doc): Promise<PublicUser> => {
      const user = await database.users.findOne({ _id: doc.user_id });
      if (!user?.active || doc.password_digest !== (await sha256hex(user.password_hash))) throw invalidLink();
      const password = await checkNewPassword(newPassword, 'newPassword', accountUserInputs(user.username, user.email));
      const passwordHash = await hashPassword(password);
      // The same claim as a password change: of a reset and a change racing, one wins.
      const release = await credentials.claimHashChange(user);
      if (!release) throw invalidLink();
      const updated = await database.users.updateOne(
        { _id: user._id, password_hash: user.password_hash },
        { $set: { password_hash: passwordHash, updated_at: now() } },
      );
      if (updated.modifiedCount === 0) throw invalidLink();
      // Whoever had the old password is signed out everywhere.
      const sessionsEnded = await sessions.endAllSessionsOf(user._id, 'password_reset');
      // A first password (an account made by a provider): any session left (one made
      // meanwhile) follows, as every session carries whether there is a password.
      if (user.password_hash === '') await syncUserCopies(core, user._id);
      await tokens.revokeAll(user._id, 'password_reset');
      await events.record('password_reset', user._id, request);
      // Passkeys the owner chose to remove (a passkey signs in without the password): only the
      // account's own; the others stay, and the notice says so.
      const passkeys = await database.passkeys.find({ user_id: user._id }).sort({ created_at: 1, _id: 1 }).toArray();
      const removed = passkeys.filter((key) => removeIds.includes(key._id));
      if (removed.length > 0) {
        await database.passkeys.deleteMany({ user_id: user._id, _id: { $in: removed.map((key) => key._id) } });
        for (const key of removed) {
          await events.record('passkey_removed', user._id, request, { name: key.name, by: 'password_reset' });
        }
      }
      const removedProviders = await disconnectRecentProviders(user, request);
      const summary = (key: { name: string; created_at: Date }) => ({ name: key.name, createdAt: key.created_at });
      const outcome = {
        sessionsEnded,
        removedPasskeys: removed.map(summary),
        keptPasskeys: passkeys.filter((key) => !removeIds.includes(key._id)).map(summary),
        totp: user.totp?.confirmed === true,
        removedProviders,
      };
      await mail.send(passwordResetNotice(mail.contextFor(user), outcome, requestDetails(request, now())));
      return toPublicUser({ ...user, password_hash: passwordHash });
    });
    if (!redeemed) throw invalidLink();
    return redeemed.result;
  };

  /** For an operator without mail: a working reset link for `login` (username or email). */
  const createPasswordResetLink: Auth['createPasswordResetLink'] = async (login) => {
    const key = normalizeKey(login);
    const user = await database.users.findOne(key.includes('@') ? { email_key: key } : { username_key: key });
    if (!user) throw new AuthError('NOT_FOUND', 'No such user.');
    if (!user.active) throw new AuthError('INACTIVE', 'This account is deactivated: reactivate it first.');
    return issueResetLink(user);
  };

  return {
    requestPasswordReset,
    checkPasswordResetToken,
    resetPassword,
    createPasswordResetLink,
    mailResetLink,
    issueResetLink,
    resetLinkForNotice,
  };
}

export type Recovery = ReturnType<typeof createRecovery>;
