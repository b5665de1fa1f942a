// What the capability modules of createAuth share: the settings, the database,
// the clock, the throttle and the audit trail, plus the few checks every one
// of them makes (is this session still live, is it fresh) and the messages.
import { isDuplicateKeyError, type Database, type SessionDoc, type SessionUserCopy, type UserDoc } from '@authkit/db';
import { isSecureCookie } from './cookies.ts';
import { AuthError } from './errors.ts';
import type { Events } from './events.ts';
import type { Mail } from './mail/mail.ts';
import type { InvalidationFeed } from './invalidation-feed.ts';
import type { SessionCache } from './session-cache.ts';
import type { Throttle } from './throttle.ts';
import { clientFingerprint } from './tokens.ts';
import type { AuthSettings, RequestInfo, SessionInfo } from './types.ts';

export interface AuthCore {
  settings: AuthSettings;
  database: Database;
  now: () => Date;
  throttle: Throttle;
  events: Events;
  mail: Mail;
  /** Null when SESSION_CACHE_MS is 0: every request reads the database. */
  cache: SessionCache | null;
  /** Written whatever the cache setting: other processes may cache. */
  feed: InvalidationFeed;
}

export const MESSAGES = {
  invalidCredentials: 'Invalid username or password.',
  inactive: 'This account has been deactivated.',
  unauthorized: 'Please sign in to continue.',
  needsRefresh: 'Please enter your password again to continue.',
  forbidden: 'You are not allowed to do this.',
  unavailable: 'The service is temporarily unavailable. Please try again shortly.',
  validation: 'Please correct the highlighted fields.',
  incorrectPassword: 'Incorrect password.',
  passwordChangedMeanwhile: 'Your password has just been changed from another session.',
  invalidLink: 'This link is invalid or has expired, or it was already used. Ask for a new one.',
  mfaRequired: 'Administrators need a second factor: set up an authenticator app first.',
};

/** Stored lengths of what clients send about themselves. */
export const MAX_USER_AGENT = 512;
export const MAX_IP = 64;
export const MAX_LOGIN = 320;

/** `session.fresh` (the stored flag) and a password entered within the fresh window. */
export function isFresh(core: AuthCore, session: Pick<SessionInfo, 'fresh' | 'authenticatedAt'>): boolean {
  return session.fresh && core.now().getTime() - session.authenticatedAt.getTime() < core.settings.freshWindowMs;
}

/** Idle expiry of a session, remembered or not. */
export function idleMs(core: AuthCore, remember: boolean): number {
  return remember ? core.settings.rememberIdleMs : core.settings.sessionIdleMs;
}

/** Cookies are Secure by configuration, or because this request came over https. */
export function secureFor(core: AuthCore, request: Pick<RequestInfo, 'https'>): boolean {
  return isSecureCookie(core.settings.secureCookies, request);
}

/** The session document behind a SessionInfo, if it still exists and is valid; UNAUTHORIZED otherwise. */
export async function liveSessionDoc(core: AuthCore, session: SessionInfo): Promise<SessionDoc> {
  const doc = await core.database.sessions.findOne({ _id: session.id });
  if (!doc || doc.user_id !== session.userId || doc.expires_at <= core.now()) {
    throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
  }
  return doc;
}

/** A session's refused stale calls are recorded as one `needs_refresh` event per this much time. */
const NEEDS_REFRESH_EVENT_EVERY_MS = 60_000;

/**
 * Records a `needs_refresh` event for a call refused on a stale session, at
 * most once a minute per session: a repeated refused call must not be a cheap
 * way to fill the audit trail. The minute is a claim in the throttle
 * collection (a unique insert, atomic on every server we support), replaced
 * once lapsed; the sweep deletes it.
 */
export async function recordNeedsRefresh(
  core: AuthCore,
  session: { sessionId: string; userId: string },
  request: RequestInfo,
  action: string,
): Promise<void> {
  const at = core.now();
  const id = `needs-refresh:${session.sessionId}`;
  const claim = async () => {
    try {
      await core.database.throttle.insertOne({
        _id: id,
        failures: 0,
        locked_until: null,
        last_failure_at: at,
        expires_at: new Date(at.getTime() + NEEDS_REFRESH_EVENT_EVERY_MS),
      });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  };
  if (!(await claim())) {
    const lapsed = await core.database.throttle.deleteOne({ _id: id, expires_at: { $lte: at } });
    if (lapsed.deletedCount !== 1 || !(await claim())) return;
  }
  await core.events.record('needs_refresh', session.userId, request, { action });
}

/** The live session document, when it is fresh; NEEDS_REFRESH (recorded as an event) otherwise. */
export async function freshSessionDoc(
  core: AuthCore,
  session: SessionInfo,
  request: RequestInfo,
  action: string,
): Promise<SessionDoc> {
  const doc = await liveSessionDoc(core, session);
  if (!isFresh(core, { fresh: doc.fresh, authenticatedAt: doc.authenticated_at })) {
    await recordNeedsRefresh(core, { sessionId: doc._id, userId: doc.user_id }, request, action);
    throw new AuthError('NEEDS_REFRESH', MESSAGES.needsRefresh);
  }
  return doc;
}

/**
 * Makes a session fresh after the user proved who they are again (password,
 * passkey): freshness, the client to recognise from now on, the sliding expiry.
 * Every process drops its copy of the old state.
 */
export async function renewFreshness(core: AuthCore, doc: SessionDoc, request: RequestInfo): Promise<SessionDoc> {
  const at = core.now();
  const changes: Partial<SessionDoc> = {
    fresh: true,
    authenticated_at: at,
    fingerprint: await clientFingerprint(request, core.settings.protectionIncludesAddress),
    last_seen_at: at,
    expires_at: new Date(Math.min(at.getTime() + idleMs(core, doc.remember), doc.absolute_expires_at.getTime())),
  };
  await core.database.sessions.updateOne({ _id: doc._id }, { $set: changes });
  await core.feed.record({ sessionId: doc._id });
  return { ...doc, ...changes };
}

export function clip(value: string | null | undefined, max: number): string | null {
  if (typeof value !== 'string' || value === '') return null;
  return value.length > max ? value.slice(0, max) : value;
}

/** The user fields a session carries (see SessionDoc.user). */
export function userCopyOf(user: Pick<UserDoc, keyof SessionUserCopy>): SessionUserCopy {
  return {
    username: user.username,
    email: user.email,
    email_verified: user.email_verified === true,
    role: user.role,
    active: user.active,
    created_at: user.created_at,
    mfa_enabled: user.mfa_enabled === true,
  };
}

export function sameUserCopy(a: SessionUserCopy, b: SessionUserCopy): boolean {
  return (
    a.username === b.username &&
    a.email === b.email &&
    (a.email_verified === true) === (b.email_verified === true) &&
    a.role === b.role &&
    a.active === b.active &&
    a.created_at.getTime() === b.created_at.getTime() &&
    (a.mfa_enabled === true) === (b.mfa_enabled === true)
  );
}

const COPY_PROJECTION = { username: 1, email: 1, email_verified: 1, role: 1, active: 1, created_at: 1, mfa_enabled: 1 } as const;

/**
 * Brings the user fields copied onto a user's sessions in line with the user,
 * after any write to those fields, and invalidates the cached copies. Without
 * transactions two writers may interleave: each re-reads after its own write
 * and goes again if the user changed meanwhile, so the last one leaves the
 * copies right.
 */
export async function syncUserCopies(core: AuthCore, userId: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const user = await core.database.users.findOne({ _id: userId }, { projection: COPY_PROJECTION });
    if (!user) break;
    const copy = userCopyOf(user);
    // Sessions from before the copy have none: they read the user itself.
    await core.database.sessions.updateMany({ user_id: userId, user: { $exists: true } }, { $set: { user: copy } });
    const after = await core.database.users.findOne({ _id: userId }, { projection: COPY_PROJECTION });
    if (!after || sameUserCopy(copy, userCopyOf(after))) break;
  }
  await core.feed.record({ userId });
}
