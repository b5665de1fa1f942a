// What the capability modules of createAuth share: the settings, the database,
// the clock, the throttle and the audit trail, plus the few checks every one
// of them makes (is this session still live, is it fresh) and the messages.
import {
  isDuplicateKeyError,
  SESSION_USER_FIELDS,
  type AuthMethod,
  type Database,
  type SessionDoc,
  type SessionUserCopy,
  type SessionUserField,
  type UserDoc,
} from '@authkit/db';
import { isSecureCookie, makeSessionCookie } from './cookies.ts';
import { toSessionInfo } from './convert.ts';
import { AuthError } from './errors.ts';
import type { Events } from './events.ts';
import type { Mail } from './mail/mail.ts';
import type { InvalidationFeed } from './invalidation-feed.ts';
import type { SessionCache } from './session-cache.ts';
import type { Throttle } from './throttle.ts';
import { clientFingerprint, generateToken, hashToken } from './tokens.ts';
import type { AuthSettings, LoginResult, RequestInfo, SessionCookie, SessionInfo } from './types.ts';

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
  // Only said to whoever proved the password (or another first factor).
  inactive:
    'This account has been deactivated. Contact an administrator of this site to have it reactivated.',
  unauthorized: 'Please sign in to continue.',
  needsRefresh: 'Please enter your password again to continue.',
  needsSecondFactor: 'Please confirm with your authenticator code or a passkey to continue.',
  codeNeeded: 'Enter the code from your authenticator app (or a recovery code).',
  forbidden: 'You are not allowed to do this.',
  unavailable: 'The service is temporarily unavailable. Please try again shortly.',
  validation: 'Please correct the highlighted fields.',
  incorrectPassword: 'Incorrect password.',
  passwordChangedMeanwhile: 'Your password has just been changed from another session.',
  invalidLink: 'This link is invalid or has expired, or it was already used. Ask for a new one.',
  mfaRequired: 'Administrators need two-step verification: set up an authenticator app first.',
};

/** The factors that count as a second factor for step-up (a passkey is one by itself). */
const SECOND_FACTOR_METHODS: readonly AuthMethod[] = ['totp', 'recovery_code', 'passkey'];

/** True when the session's (latest) authentication included a second factor. */
export function passedSecondFactor(amr: readonly AuthMethod[] | undefined): boolean {
  return (amr ?? ['password']).some((method) => SECOND_FACTOR_METHODS.includes(method));
}

/**
 * Fresh, judged against the account's strongest factor: `session.fresh` (the
 * stored flag), an authentication within the fresh window, and, for an
 * account with a second factor, one that included it (a code or a passkey,
 * not the password alone).
 */
export function isFresh(core: AuthCore, session: Pick<SessionInfo, 'fresh' | 'authenticatedAt' | 'amr' | 'stepUp'>): boolean {
  if (!session.fresh || core.now().getTime() - session.authenticatedAt.getTime() >= core.settings.freshWindowMs) return false;
  return session.stepUp === 'password' || passedSecondFactor(session.amr);
}

/** What a re-authentication of this account asks for: its strongest factor. */
export function stepUpFor(account: { mfa_enabled?: boolean | undefined } | null | undefined): SessionInfo['stepUp'] {
  return account?.mfa_enabled === true ? 'second_factor' : 'password';
}

/** The NEEDS_REFRESH error for a session: on an account with a second factor, the step-up asks for it. */
export function needsRefreshError(session: Pick<SessionInfo, 'stepUp'>): AuthError {
  return new AuthError('NEEDS_REFRESH', session.stepUp === 'second_factor' ? MESSAGES.needsSecondFactor : MESSAGES.needsRefresh);
}

/** The step-up rule of a stored session (its copy of the account, or the account itself). */
async function stepUpOf(core: AuthCore, doc: SessionDoc): Promise<SessionInfo['stepUp']> {
  if (doc.user) return stepUpFor(doc.user);
  return stepUpFor(await core.database.users.findOne({ _id: doc.user_id }, { projection: { mfa_enabled: 1 } }));
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
  if (!(await takeOncePer(core, `needs-refresh:${session.sessionId}`, NEEDS_REFRESH_EVENT_EVERY_MS))) return;
  await core.events.record('needs_refresh', session.userId, request, { action });
}

/**
 * "At most once per `windowMs`" for `id` (an event, a notice): true for the
 * first caller of a window. A claim in the throttle collection (a unique
 * insert, atomic on every server we support), replaced once lapsed by the
 * auth clock; the sweep deletes it.
 */
export async function takeOncePer(core: Pick<AuthCore, 'database' | 'now'>, id: string, windowMs: number): Promise<boolean> {
  const at = core.now();
  const claim = async () => {
    try {
      await core.database.throttle.insertOne({
        _id: id,
        failures: 0,
        locked_until: null,
        last_failure_at: at,
        expires_at: new Date(at.getTime() + windowMs),
      });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  };
  if (await claim()) return true;
  const lapsed = await core.database.throttle.deleteOne({ _id: id, expires_at: { $lte: at } });
  return lapsed.deletedCount === 1 && (await claim());
}

/** The live session document, when it is fresh; NEEDS_REFRESH (recorded as an event) otherwise. */
export async function freshSessionDoc(
  core: AuthCore,
  session: SessionInfo,
  request: RequestInfo,
  action: string,
): Promise<SessionDoc> {
  const doc = await liveSessionDoc(core, session);
  const current = { fresh: doc.fresh, authenticatedAt: doc.authenticated_at, amr: doc.amr ?? ['password'], stepUp: await stepUpOf(core, doc) };
  if (!isFresh(core, current)) {
    await recordNeedsRefresh(core, { sessionId: doc._id, userId: doc.user_id }, request, action);
    throw needsRefreshError(current);
  }
  return doc;
}

/**
 * Makes a session fresh after the user proved who they are again (password,
 * passkey): freshness, how (`amr`), the client to recognise from now on, the
 * sliding expiry, and a new token (ASVS 7.2.4: a token that may have leaked
 * before the re-authentication is worth nothing after it). The session keeps
 * its history (created_at, remember, absolute expiry) under the new token's
 * hash; the old id is gone everywhere. UNAUTHORIZED when the session ended
 * meanwhile (revoked from another device while the password was checked).
 */
export async function renewFreshness(
  core: AuthCore,
  doc: SessionDoc,
  request: RequestInfo,
  amr: AuthMethod[],
): Promise<LoginResult> {
  const at = core.now();
  const token = generateToken();
  const renewed: SessionDoc = {
    ...doc,
    _id: await hashToken(token),
    fresh: true,
    authenticated_at: at,
    amr,
    fingerprint: await clientFingerprint(request, core.settings.protectionIncludesAddress),
    last_seen_at: at,
    expires_at: new Date(Math.min(at.getTime() + idleMs(core, doc.remember), doc.absolute_expires_at.getTime())),
  };
  await core.database.sessions.insertOne(renewed);
  const replaced = await core.database.sessions.deleteOne({ _id: doc._id });
  await core.feed.record({ sessionId: doc._id });
  if (replaced.deletedCount !== 1) {
    // Ended meanwhile: the new one must not bring it back.
    await core.database.sessions.deleteOne({ _id: renewed._id });
    throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
  }
  return { token, session: toSessionInfo(renewed), cookie: sessionCookieFor(core, token, renewed, request, at) };
}

/** The cookie for a session: persistent for a remembered one (it lives as long as the session may), else a browser-session cookie. */
export function sessionCookieFor(core: AuthCore, token: string, doc: SessionDoc, request: RequestInfo, at: Date): SessionCookie {
  return makeSessionCookie(core.settings.cookieName, token, {
    secure: secureFor(core, request),
    now: at,
    ...(doc.remember ? { expires: doc.expires_at } : {}),
  });
}

/** The user fields a session carries (see SessionDoc.user): whether there is a password, not the hash. */
export function userCopyOf(user: Pick<UserDoc, SessionUserField | 'password_hash'>): SessionUserCopy {
  const fields = Object.fromEntries(SESSION_USER_FIELDS.map((field) => [field, user[field]]));
  return {
    ...withCopyDefaults(fields as Pick<UserDoc, SessionUserField>),
    has_password: typeof user.password_hash === 'string' && user.password_hash !== '',
  };
}

/** Flags absent on older documents read as false, and a missing stamp as '': a copy always has them. */
function withCopyDefaults<T extends Pick<UserDoc, 'email_verified' | 'mfa_enabled' | 'security_stamp'>>(fields: T): T {
  return {
    ...fields,
    email_verified: fields.email_verified === true,
    mfa_enabled: fields.mfa_enabled === true,
    security_stamp: fields.security_stamp ?? '',
  };
}

/** Every field of the copies, read as userCopyOf writes them, the same: else cached sessions would be stale. */
export function sameUserCopy(a: SessionUserCopy, b: SessionUserCopy): boolean {
  const [x, y] = [withCopyDefaults(a), withCopyDefaults(b)];
  const same = (u: unknown, v: unknown) =>
    u instanceof Date && v instanceof Date ? u.getTime() === v.getTime() : u === v;
  return (
    SESSION_USER_FIELDS.every((field) => same(x[field], y[field])) &&
    (a.has_password === true) === (b.has_password === true)
  );
}

/**
 * The user fields a session copies (userCopyOf), as a projection. With the
 * password hash: userCopyOf keeps only whether there is one.
 */
export const COPY_PROJECTION = {
  ...(Object.fromEntries(SESSION_USER_FIELDS.map((field) => [field, 1])) as Record<SessionUserField, 1>),
  password_hash: 1,
} as const;

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
