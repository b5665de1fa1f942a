// createAuth: the whole Flask-Login surface over Lucia sessions in MongoDB.
import { generateIdFromEntropySize } from 'lucia';
import {
  ensureIndexes,
  isDatabaseUnavailable,
  isDuplicateKeyError,
  type AuthEventDoc,
  type AuthEventType,
  type Role,
  type SessionDoc,
  type UserDoc,
} from '@authkit/db';
import { isSecureCookie, makeBlankCookie, makeSessionCookie, readBearerToken, readSessionCookie } from './cookies.ts';
import { AuthError, isAuthError, type FieldErrors } from './errors.ts';
import { createLucia, type DatabaseSessionAttributes } from './lucia.ts';
import {
  getDummyHash,
  hashPassword,
  needsRehash,
  PASSWORD_MAX_LENGTH,
  passwordWeakness,
  verifyPassword,
} from './passwords.ts';
import { resolveSettings } from './settings.ts';
import { dropLapsedClaim, takeClaim, Throttle } from './throttle.ts';
import { clientFingerprint, generateSessionToken, hashToken, isWellFormedToken, sha256hex } from './tokens.ts';
import type {
  AnonymousUser,
  Auth,
  AuthEvent,
  AuthEventListener,
  AuthOptions,
  AuthenticatedUser,
  LoadResult,
  PublicUser,
  RequestInfo,
  SessionCookie,
  SessionInfo,
  SessionListItem,
} from './types.ts';
import { checkNewPassword, normalizeKey, passwordSchema, registrationSchema } from './validation.ts';

const MESSAGES = {
  invalidCredentials: 'Invalid username or password.',
  inactive: 'This account has been deactivated.',
  unauthorized: 'Please sign in to continue.',
  needsRefresh: 'Please enter your password again to continue.',
  forbidden: 'You are not allowed to do this.',
  unavailable: 'The service is temporarily unavailable. Please try again shortly.',
  validation: 'Please correct the highlighted fields.',
  incorrectPassword: 'Incorrect password.',
  passwordChangedMeanwhile: 'Your password has just been changed from another session.',
};

// A loaded session is written back (sliding expiry, last seen) only once this
// share of its idle window has passed, and at least hourly: not on every request.
const TOUCH_FRACTION = 0.1;
const MAX_TOUCH_INTERVAL_MS = 60 * 60_000;

/** How long a claim on a password hash change holds (see claimHashChange). */
const HASH_CLAIM_MS = 60_000;

const MAX_USER_AGENT = 512;
const MAX_IP = 64;
const MAX_LOGIN = 320;

export function createAuth(options: AuthOptions): Auth {
  const settings = resolveSettings(options);
  const database = options.database;
  const now = options.now ?? (() => new Date());
  const { lucia, adapter } = createLucia(database, settings.sessionIdleMs);
  const throttle = new Throttle(database, settings.throttle);
  const listeners = new Map<AuthEventType | '*', Set<AuthEventListener>>();

  // ---- helpers -------------------------------------------------------------

  function secureFor(request: Pick<RequestInfo, 'https'>): boolean {
    return isSecureCookie(settings.secureCookies, request);
  }

  function blankCookieFor(request: RequestInfo): SessionCookie {
    return makeBlankCookie(settings.cookieName, secureFor(request));
  }

  function anonymousUser(): AnonymousUser {
    return { id: null, isAuthenticated: false, isActive: false, isAnonymous: true };
  }

  function idleMs(remember: boolean): number {
    return remember ? settings.rememberIdleMs : settings.sessionIdleMs;
  }

  function isFresh(session: Pick<SessionInfo, 'fresh' | 'authenticatedAt'>): boolean {
    return session.fresh && now().getTime() - session.authenticatedAt.getTime() < settings.freshWindowMs;
  }

  async function record(
    type: AuthEventType,
    userId: string | null,
    request: RequestInfo,
    details?: AuthEvent['details'],
  ): Promise<void> {
    await recordEvent({ type, userId, ip: request.ip, userAgent: request.userAgent, details });
  }

  async function recordEvent(event: Omit<AuthEvent, 'at'>): Promise<void> {
    const stored: AuthEvent = {
      type: event.type,
      userId: event.userId,
      at: now(),
      ip: clip(event.ip, MAX_IP),
      userAgent: clip(event.userAgent, MAX_USER_AGENT),
    };
    const details = withoutSecrets(event.details);
    if (details) stored.details = details;
    const doc: Omit<AuthEventDoc, '_id'> = {
      type: stored.type,
      user_id: stored.userId,
      at: stored.at,
      ip: stored.ip,
      user_agent: stored.userAgent,
    };
    if (details) doc.details = details;
    await database.authEvents.insertOne(doc);
    deliver(stored);
  }

  function deliver(event: AuthEvent): void {
    for (const key of [event.type, '*'] as const) {
      for (const listener of listeners.get(key) ?? []) {
        try {
          listener(event);
        } catch (error) {
          // A broken subscriber must not break sign-in or sign-out.
          console.error(`auth: an event listener for "${event.type}" threw:`, error);
        }
      }
    }
  }

  /** The session document behind a SessionInfo, if it still exists and is valid. */
  async function liveSessionDoc(session: SessionInfo): Promise<SessionDoc> {
    const doc = await database.sessions.findOne({ _id: session.id });
    if (!doc || doc.user_id !== session.userId || doc.expires_at <= now()) {
      throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
    }
    return doc;
  }

  async function requireAdmin(actor: PublicUser): Promise<UserDoc> {
    const doc = await database.users.findOne({ _id: actor.id });
    if (!doc || !doc.active || doc.role !== 'admin') throw new AuthError('FORBIDDEN', MESSAGES.forbidden);
    return doc;
  }

  /** Wrong password where a signed-in user re-enters it: a field error, not a sign-out (401). */
  function incorrectPassword(field: string): AuthError {
    return new AuthError('VALIDATION', MESSAGES.incorrectPassword, { fieldErrors: { [field]: [MESSAGES.incorrectPassword] } });
  }

  /**
   * Claims the one change away from the user's current password hash. A
   * password hash is replaced at most once (a password change, a rehash), and
   * of parallel replacements exactly one gets the claim: it is a unique insert,
   * atomic on every server we support, where a conditional update is not atomic
   * on FerretDB and there are no transactions. The claim lives beside the
   * throttle's leases and lapses after HASH_CLAIM_MS, so that a change whose
   * process died does not block the next one for long. Resolves to a release
   * function (for a claim that ends up unused), or null when another change
   * holds the claim.
   */
  async function claimHashChange(user: Pick<UserDoc, '_id' | 'password_hash'>): Promise<(() => Promise<void>) | null> {
    // The hash itself is not stored again: a digest of it names the claim.
    const id = `password:${user._id}:${await sha256hex(user.password_hash)}`;
    // A lapsed claim may be taken over (second try); the hash check after the claim still decides.
    if (!(await takeClaim(database, id, HASH_CLAIM_MS))) {
      await dropLapsedClaim(database, id);
      if (!(await takeClaim(database, id, HASH_CLAIM_MS))) return null;
    }
    return async () => {
      await database.throttle.deleteOne({ _id: id });
    };
  }

  /**
   * Rehash on a correct password when the stored hash has older parameters.
   * Resolves to the hash stored for the password afterwards (the new one when rehashed).
   */
  async function rehashIfNeeded(user: UserDoc, password: string): Promise<string> {
    if (!needsRehash(user.password_hash)) return user.password_hash;
    const passwordHash = await hashPassword(password);
    // Claimed, and conditional on the old hash, so that a concurrent password change wins.
    if (!(await claimHashChange(user))) return user.password_hash;
    const updated = await database.users.updateOne(
      { _id: user._id, password_hash: user.password_hash },
      { $set: { password_hash: passwordHash, updated_at: now() } },
    );
    return updated.modifiedCount === 1 ? passwordHash : user.password_hash;
  }

  // ---- accounts ------------------------------------------------------------

  const registerUser: Auth['registerUser'] = async (input, request, trusted = {}) => {
    const fieldErrors: FieldErrors = {};
    const parsed = registrationSchema.safeParse(input ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues) (fieldErrors[String(issue.path[0] ?? 'form')] ??= []).push(issue.message);
    }
    const password = input?.password;
    if (!fieldErrors.password && passwordSchema.safeParse(password).success) {
      const userInputs = [input.username, input.email, String(input.email).split('@')[0] ?? ''];
      const weakness = passwordWeakness(password, userInputs.filter((value) => typeof value === 'string'));
      if (weakness) fieldErrors.password = [weakness];
    }
    if (!parsed.success || Object.keys(fieldErrors).length > 0) {
      throw new AuthError('VALIDATION', MESSAGES.validation, { fieldErrors });
    }

    const { username, email } = parsed.data;
    const at = now();
    const doc: UserDoc = {
      _id: generateIdFromEntropySize(10),
      username,
      username_key: normalizeKey(username),
      email,
      email_key: normalizeKey(email),
      password_hash: await hashPassword(parsed.data.password),
      role: trusted.role ?? 'user',
      active: trusted.active ?? true,
      created_at: at,
      updated_at: at,
    };
    try {
      // The unique indexes decide, so parallel registrations cannot both win.
      await database.users.insertOne(doc);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      throw await duplicateError(doc);
    }
    await record('register', doc._id, request);
    return toPublicUser(doc);
  };

  /** Which of username and email is taken (read after the index refused the write). */
  async function duplicateError(doc: UserDoc): Promise<AuthError> {
    const fieldErrors: FieldErrors = {};
    if (await database.users.findOne({ username_key: doc.username_key }, { projection: { _id: 1 } })) {
      fieldErrors.username = ['This username is already taken.'];
    }
    if (await database.users.findOne({ email_key: doc.email_key }, { projection: { _id: 1 } })) {
      fieldErrors.email = ['An account with this email address already exists.'];
    }
    if (Object.keys(fieldErrors).length === 0) fieldErrors.username = ['This username is already taken.'];
    return new AuthError('VALIDATION', MESSAGES.validation, { fieldErrors });
  }

  /**
   * The stored hash each user returned by `authenticate` was checked against.
   * loginUser compares it after creating the session: a password change that
   * lands between the check and the new session must not leave that session
   * alive (the change ends "every other session" only among those it sees).
   */
  const passwordCheckedAgainst = new WeakMap<PublicUser, string>();

  const authenticate: Auth['authenticate'] = async (login, password, request) => {
    const key = typeof login === 'string' ? normalizeKey(login) : '';
    if (!key || key.length > MAX_LOGIN || typeof password !== 'string') {
      throw new AuthError('INVALID_CREDENTIALS', MESSAGES.invalidCredentials);
    }
    const keys = await throttle.keysFor(key, clip(request.ip, MAX_IP));
    try {
      await throttle.admit(keys, now());
    } catch (error) {
      if (isAuthError(error, 'THROTTLED')) await record('login_failed', null, request, { reason: 'throttled' });
      throw error;
    }

    // Usernames cannot contain '@', so the login names exactly one index.
    const user = await database.users.findOne(key.includes('@') ? { email_key: key } : { username_key: key });
    // Unknown users are verified against a dummy hash: same time, same answer.
    const tooLong = [...password].length > PASSWORD_MAX_LENGTH;
    const matches = await verifyPassword(user?.password_hash ?? (await getDummyHash()), tooLong ? '' : password);
    if (!user || !matches || tooLong) {
      await record('login_failed', user?._id ?? null, request, { reason: 'invalid_credentials' });
      throw new AuthError('INVALID_CREDENTIALS', MESSAGES.invalidCredentials);
    }
    await throttle.succeeded(keys);
    // Only now, after a correct password, may the answer say the account is inactive.
    if (!user.active) {
      await record('login_failed', user._id, request, { reason: 'inactive' });
      throw new AuthError('INACTIVE', MESSAGES.inactive);
    }
    const checkedHash = await rehashIfNeeded(user, password);
    const publicUser = toPublicUser(user);
    passwordCheckedAgainst.set(publicUser, checkedHash);
    return publicUser;
  };

  // ---- Flask-Login surface -------------------------------------------------

  const loginUser: Auth['loginUser'] = async (user, loginOptions, request) => {
    const { remember = false, fresh = true, force = false } = loginOptions ?? {};
    // Decide on the stored account, not on the caller's possibly stale copy.
    const doc = await database.users.findOne({ _id: user.id }, { projection: { password_hash: 0 } });
    if (!doc) throw new AuthError('NOT_FOUND', 'No such user.');
    if (!doc.active && !force) throw new AuthError('INACTIVE', MESSAGES.inactive);

    const at = now();
    const token = generateSessionToken();
    const sessionId = await hashToken(token);
    const absoluteExpiresAt = new Date(at.getTime() + settings.absoluteLifetimeMs);
    const expiresAt = new Date(Math.min(at.getTime() + idleMs(remember), absoluteExpiresAt.getTime()));
    const attributes: DatabaseSessionAttributes & Pick<SessionDoc, 'expires_at'> = {
      created_at: at,
      authenticated_at: at,
      fresh,
      remember,
      absolute_expires_at: absoluteExpiresAt,
      last_seen_at: at,
      user_agent: clip(request.userAgent, MAX_USER_AGENT) ?? '',
      ip: clip(request.ip, MAX_IP) ?? '',
      fingerprint: await clientFingerprint(request, settings.protectionIncludesAddress),
      // The adapter writes {_id, user_id, expires_at, ...attributes}: this per-session
      // expiry (from our clock) replaces Lucia's single global one.
      expires_at: expiresAt,
    };
    // Lucia stores the session under the token's hash; the token itself is never stored.
    await lucia.createSession(doc._id, attributes, { sessionId });
    const checkedHash = passwordCheckedAgainst.get(user);
    if (checkedHash !== undefined) {
      const current = await database.users.findOne({ _id: doc._id }, { projection: { password_hash: 1 } });
      if (current?.password_hash !== checkedHash) {
        // Changed since the password was checked: the old password signs nobody in.
        await database.sessions.deleteOne({ _id: sessionId });
        throw new AuthError('INVALID_CREDENTIALS', MESSAGES.invalidCredentials);
      }
    }
    await record('login', doc._id, request, { remember, fresh });

    const stored: SessionDoc = { _id: sessionId, user_id: doc._id, ...attributes };
    return {
      token,
      session: toSessionInfo(stored),
      cookie: sessionCookie(token, stored, request, at),
    };
  };

  function sessionCookie(token: string, doc: SessionDoc, request: RequestInfo, at: Date): SessionCookie {
    // Remembered: persistent cookie that lives as long as the session may.
    // Otherwise: a browser-session cookie (no Expires/Max-Age).
    return makeSessionCookie(settings.cookieName, token, {
      secure: secureFor(request),
      now: at,
      ...(doc.remember ? { expires: doc.expires_at } : {}),
    });
  }

  const logoutUser: Auth['logoutUser'] = async (token, request) => {
    if (token && isWellFormedToken(token)) {
      const sessionId = await hashToken(token);
      // One round trip, and of parallel sign-outs of one session only one records the event.
      const doc = await database.sessions.findOneAndDelete({ _id: sessionId });
      if (doc) await record('logout', doc.user_id, request);
    }
    return { cookie: blankCookieFor(request) };
  };

  const loadUser: Auth['loadUser'] = async (token, request) => {
    const anonymous = (clearCookie: boolean): LoadResult => ({
      user: anonymousUser(),
      session: null,
      cookie: clearCookie ? blankCookieFor(request) : null,
    });
    if (!token) return anonymous(false);
    if (!isWellFormedToken(token)) return anonymous(true);

    const sessionId = await hashToken(token);
    // Two indexed reads (session, then user), never cached: a revoked session
    // is refused on the very next request.
    const [databaseSession, databaseUser] = await adapter.getSessionAndUser(sessionId);
    if (!databaseSession || !databaseUser) return anonymous(true);

    const at = now();
    const doc: SessionDoc = {
      _id: databaseSession.id,
      user_id: databaseSession.userId,
      expires_at: databaseSession.expiresAt,
      ...databaseSession.attributes,
    };
    const user = databaseUser.attributes;
    if (doc.expires_at <= at || doc.absolute_expires_at <= at || !user.active) {
      await lucia.invalidateSession(sessionId);
      return anonymous(true);
    }

    const changes: Partial<SessionDoc> = {};
    if (settings.protection !== 'off') {
      const fingerprint = await clientFingerprint(request, settings.protectionIncludesAddress);
      if (fingerprint !== doc.fingerprint) {
        if (settings.protection === 'strong') {
          await lucia.invalidateSession(sessionId);
          await record('session_revoked', doc.user_id, request, { reason: 'session_protection' });
          return anonymous(true);
        }
        // basic: the session survives but is no longer fresh.
        if (doc.fresh) changes.fresh = false;
      }
    }

    const idle = idleMs(doc.remember);
    let renewed = false;
    if (at.getTime() - doc.last_seen_at.getTime() >= Math.min(idle * TOUCH_FRACTION, MAX_TOUCH_INTERVAL_MS)) {
      const expiresAt = new Date(Math.min(at.getTime() + idle, doc.absolute_expires_at.getTime()));
      renewed = expiresAt.getTime() !== doc.expires_at.getTime();
      changes.expires_at = expiresAt;
      changes.last_seen_at = at;
    }
    if (Object.keys(changes).length > 0) {
      // No upsert: a session revoked meanwhile stays gone.
      await database.sessions.updateOne({ _id: sessionId }, { $set: changes });
      Object.assign(doc, changes);
    }

    return {
      user: toAuthenticatedUser(toPublicUser({ _id: databaseUser.id, ...user })),
      session: toSessionInfo(doc),
      // Only a persistent cookie carries the expiry; a browser-session cookie need not be re-sent.
      cookie: renewed && doc.remember ? sessionCookie(token, doc, request, at) : null,
    };
  };

  const tokenFromHeaders: Auth['tokenFromHeaders'] = (headers, request = {}) => {
    const bearer = readBearerToken(headers.authorization);
    if (bearer) return { token: bearer, via: 'bearer' };
    // Secure: only the __Host- cookie (see readSessionCookie).
    const cookie = readSessionCookie(headers.cookie, settings.cookieName, secureFor(request));
    if (cookie) return { token: cookie, via: 'cookie' };
    return { token: null, via: null };
  };

  const confirmLogin: Auth['confirmLogin'] = async (session, password, request) => {
    const doc = await liveSessionDoc(session);
    const user = await database.users.findOne({ _id: doc.user_id });
    if (!user) throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
    if (!user.active) throw new AuthError('INACTIVE', MESSAGES.inactive);
    await checkPasswordOfSignedInUser(user, password, 'password', request, 'reauthentication');

    const at = now();
    const changes: Partial<SessionDoc> = {
      fresh: true,
      authenticated_at: at,
      // The client that just typed the password is the one to recognise from now on.
      fingerprint: await clientFingerprint(request, settings.protectionIncludesAddress),
      last_seen_at: at,
      expires_at: new Date(Math.min(at.getTime() + idleMs(doc.remember), doc.absolute_expires_at.getTime())),
    };
    await database.sessions.updateOne({ _id: doc._id }, { $set: changes });
    await record('login', user._id, request, { reauthentication: true });
    return toSessionInfo({ ...doc, ...changes });
  };

  /** Throttled password check for a signed-in user (re-authentication, password change). */
  async function checkPasswordOfSignedInUser(
    user: UserDoc,
    password: unknown,
    field: string,
    request: RequestInfo,
    reason: string,
    options: { rehash?: boolean } = {},
  ): Promise<void> {
    const keys = await throttle.keysFor(user.username_key, clip(request.ip, MAX_IP));
    await throttle.admit(keys, now());
    const valid =
      typeof password === 'string' &&
      [...password].length <= PASSWORD_MAX_LENGTH &&
      (await verifyPassword(user.password_hash, password));
    if (!valid) {
      await record('login_failed', user._id, request, { reason });
      throw incorrectPassword(field);
    }
    await throttle.succeeded(keys);
    if (options.rehash ?? true) await rehashIfNeeded(user, password);
  }

  // ---- sessions of the signed-in user ----------------------------------------

  const changePassword: Auth['changePassword'] = async (session, input, request) => {
    const doc = await liveSessionDoc(session);
    if (!isFresh({ fresh: doc.fresh, authenticatedAt: doc.authenticated_at })) {
      await record('needs_refresh', doc.user_id, request, { action: 'change_password' });
      throw new AuthError('NEEDS_REFRESH', MESSAGES.needsRefresh);
    }
    const user = await database.users.findOne({ _id: doc.user_id });
    if (!user) throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
    if (!user.active) throw new AuthError('INACTIVE', MESSAGES.inactive);

    const newPassword = checkNewPassword(input?.newPassword, 'newPassword', [
      user.username,
      user.email,
      user.email.split('@')[0] ?? '',
    ]);
    // No rehash of the current password: it is about to be replaced.
    await checkPasswordOfSignedInUser(user, input?.currentPassword, 'currentPassword', request, 'password_change', {
      rehash: false,
    });
    if (newPassword.normalize('NFKC') === String(input.currentPassword).normalize('NFKC')) {
      throw new AuthError('VALIDATION', MESSAGES.validation, {
        fieldErrors: { newPassword: ['Choose a password different from the current one.'] },
      });
    }
    const passwordHash = await hashPassword(newPassword);

    // Compare-and-set on the hash the current password was checked against:
    // of parallel changes exactly one wins, and only the winner's session
    // survives (each loser's is among the "others" the winner ends).
    const changedMeanwhile = () =>
      new AuthError('VALIDATION', MESSAGES.validation, {
        fieldErrors: { currentPassword: [MESSAGES.passwordChangedMeanwhile] },
      });
    const release = await claimHashChange(user);
    if (!release) throw changedMeanwhile();
    const stored = await database.users.findOne({ _id: user._id }, { projection: { password_hash: 1 } });
    if (stored?.password_hash !== user.password_hash) throw changedMeanwhile();
    try {
      // This session ended meanwhile (signed out, revoked): 401, nothing written.
      await liveSessionDoc(session);
    } catch (error) {
      await release();
      throw error;
    }
    const updated = await database.users.updateOne(
      { _id: user._id, password_hash: user.password_hash },
      { $set: { password_hash: passwordHash, updated_at: now() } },
    );
    if (updated.modifiedCount === 0) throw changedMeanwhile();
    // Every other device must sign in again with the new password; this one stays.
    const ended = await database.sessions.deleteMany({ user_id: user._id, _id: { $ne: doc._id } });
    const sessionsEnded = ended.deletedCount;
    await record('password_changed', user._id, request, { sessionsEnded });
  };

  const listSessions: Auth['listSessions'] = async (session) => {
    const at = now();
    const docs = (await database.sessions.find({ user_id: session.userId }).toArray()).filter(
      (doc) => doc.expires_at > at,
    );
    // The caller's own session must still be live: the same read tells (no second round trip).
    if (!docs.some((doc) => doc._id === session.id)) throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
    return docs
      .sort((a, b) => b.last_seen_at.getTime() - a.last_seen_at.getTime())
      .map((doc): SessionListItem => ({ ...toSessionInfo(doc), current: doc._id === session.id }));
  };

  const revokeSession: Auth['revokeSession'] = async (session, sessionId, request) => {
    await liveSessionDoc(session);
    // Scoped to the user: another user's session id is simply not found.
    const result = await database.sessions.deleteOne({ _id: String(sessionId), user_id: session.userId });
    if (result.deletedCount === 0) throw new AuthError('NOT_FOUND', 'No such session.');
    await record('session_revoked', session.userId, request, { current: sessionId === session.id });
  };

  const revokeOtherSessions: Auth['revokeOtherSessions'] = async (session, request) => {
    await liveSessionDoc(session);
    const result = await database.sessions.deleteMany({ user_id: session.userId, _id: { $ne: session.id } });
    await record('session_revoked', session.userId, request, { others: true, count: result.deletedCount });
    return result.deletedCount;
  };

  const listEvents: Auth['listEvents'] = async (userId, limit = 50) => {
    const docs = await database.authEvents
      .find({ user_id: userId })
      .sort({ at: -1, _id: -1 })
      .limit(Math.min(Math.max(Math.trunc(limit) || 1, 1), 500))
      .toArray();
    return docs.map(toAuthEvent);
  };

  // ---- admin ---------------------------------------------------------------

  const listUsers: Auth['listUsers'] = async (actor, paging) => {
    await requireAdmin(actor);
    const page = Math.max(1, Math.trunc(paging.page) || 1);
    const pageSize = Math.min(100, Math.max(1, Math.trunc(paging.pageSize) || 20));
    const [docs, total] = await Promise.all([
      database.users
        .find({}, { projection: { password_hash: 0 } })
        .sort({ created_at: 1, _id: 1 })
        .skip((page - 1) * pageSize)
        .limit(pageSize)
        .toArray(),
      database.users.countDocuments(),
    ]);
    return { users: docs.map(toPublicUser), total, page, pageSize };
  };

  const setActive: Auth['setActive'] = async (actor, userId, active, request) => {
    await requireAdmin(actor);
    if (userId === actor.id && !active) {
      throw new AuthError('FORBIDDEN', 'You cannot deactivate your own account.');
    }
    const doc = await database.users.findOneAndUpdate(
      { _id: userId },
      { $set: { active, updated_at: now() } },
      // No projection: FerretDB's findAndModify does not support one; toPublicUser drops the hash.
      { returnDocument: 'after' },
    );
    if (!doc) throw new AuthError('NOT_FOUND', 'No such user.');
    if (!active) {
      // Every session at once; loadUser also refuses inactive users meanwhile.
      await lucia.invalidateUserSessions(userId);
    }
    await record(active ? 'user_activated' : 'user_deactivated', userId, request, { by: actor.id });
    return toPublicUser(doc);
  };

  const setRole: Auth['setRole'] = async (actor, userId, role, request) => {
    await requireAdmin(actor);
    if (role !== 'user' && role !== 'admin') {
      throw new AuthError('VALIDATION', MESSAGES.validation, { fieldErrors: { role: ['Choose user or admin.'] } });
    }
    if (userId === actor.id && role !== 'admin') {
      throw new AuthError('FORBIDDEN', 'You cannot remove your own administrator role.');
    }
    const doc = await database.users.findOneAndUpdate(
      { _id: userId },
      { $set: { role, updated_at: now() } },
      // No projection: FerretDB's findAndModify does not support one; toPublicUser drops the hash.
      { returnDocument: 'after' },
    );
    if (!doc) throw new AuthError('NOT_FOUND', 'No such user.');
    await record('role_changed', userId, request, { by: actor.id, role });
    return toPublicUser(doc);
  };

  // ---- maintenance and events --------------------------------------------

  const deleteExpiredSessions: Auth['deleteExpiredSessions'] = async () => {
    const at = now();
    // expires_at never exceeds absolute_expires_at, so one condition covers both.
    const result = await database.sessions.deleteMany({ expires_at: { $lte: at } });
    await database.throttle.deleteMany({ expires_at: { $lte: at } });
    return result.deletedCount;
  };

  const on: Auth['on'] = (type, listener) => {
    let set = listeners.get(type);
    if (!set) listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  };

  const ensureReady: Auth['ensureReady'] = async () => {
    await ensureIndexes(database);
    await getDummyHash();
  };

  return {
    settings,
    database,
    now,
    ensureReady: guarded(ensureReady),
    registerUser: guarded(registerUser),
    authenticate: guarded(authenticate),
    loginUser: guarded(loginUser),
    logoutUser: guarded(logoutUser),
    loadUser: guarded(loadUser),
    tokenFromHeaders,
    isFresh,
    confirmLogin: guarded(confirmLogin),
    anonymousUser,
    blankCookie: (request) => (request ? blankCookieFor(request) : makeBlankCookie(settings.cookieName, settings.secureCookies)),
    changePassword: guarded(changePassword),
    listSessions: guarded(listSessions),
    revokeSession: guarded(revokeSession),
    revokeOtherSessions: guarded(revokeOtherSessions),
    listEvents: guarded(listEvents),
    listUsers: guarded(listUsers),
    setActive: guarded(setActive),
    setRole: guarded(setRole),
    deleteExpiredSessions: guarded(deleteExpiredSessions),
    on,
    recordEvent: guarded(recordEvent),
  };
}

/** Database outages become AuthError('UNAVAILABLE') (503 at the edges); anything else passes through. */
function guarded<Args extends unknown[], Result>(
  fn: (...args: Args) => Promise<Result>,
): (...args: Args) => Promise<Result> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw new AuthError('UNAVAILABLE', MESSAGES.unavailable, { cause: error });
      throw error;
    }
  };
}

function toPublicUser(doc: Omit<UserDoc, 'password_hash'> & { password_hash?: string }): PublicUser {
  return {
    id: doc._id,
    username: doc.username,
    email: doc.email,
    role: doc.role as Role,
    active: doc.active,
    createdAt: doc.created_at,
  };
}

function toAuthenticatedUser(user: PublicUser): AuthenticatedUser {
  return { ...user, isAuthenticated: true, isActive: user.active, isAnonymous: false };
}

function toSessionInfo(doc: SessionDoc): SessionInfo {
  return {
    id: doc._id,
    userId: doc.user_id,
    createdAt: doc.created_at,
    lastSeenAt: doc.last_seen_at,
    expiresAt: doc.expires_at,
    authenticatedAt: doc.authenticated_at,
    fresh: doc.fresh,
    remember: doc.remember,
    userAgent: doc.user_agent,
    ip: doc.ip,
  };
}

function toAuthEvent(doc: AuthEventDoc): AuthEvent {
  const event: AuthEvent = { type: doc.type, userId: doc.user_id, at: doc.at, ip: doc.ip, userAgent: doc.user_agent };
  if (doc.details) event.details = doc.details;
  return event;
}

function clip(value: string | null | undefined, max: number): string | null {
  if (typeof value !== 'string' || value === '') return null;
  return value.length > max ? value.slice(0, max) : value;
}

/** Events never carry secrets: drop detail keys that look like one, whoever records the event. */
function withoutSecrets(details: AuthEvent['details']): AuthEvent['details'] {
  if (!details) return undefined;
  const kept = Object.entries(details).filter(([key]) => !/pass|token|secret|cookie|hash/i.test(key));
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}
