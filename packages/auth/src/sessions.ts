// Sessions: create (loginUser), load on every request (loadUser, with sliding
// expiry and session protection), end (logoutUser, revoke), list, sweep.
import type { SessionDoc } from '@authkit/db';
import { makeBlankCookie, makeSessionCookie, readBearerToken, readCookie } from './cookies.ts';
import { toAuthenticatedUser, toPublicUser, toSessionInfo } from './convert.ts';
import { clip, idleMs, liveSessionDoc, MAX_IP, MAX_USER_AGENT, MESSAGES, secureFor, type AuthCore } from './core.ts';
import type { Credentials } from './credentials.ts';
import { AuthError } from './errors.ts';
import { createLucia, type DatabaseSessionAttributes } from './lucia.ts';
import { clientFingerprint, generateToken, hashToken, isWellFormedToken } from './tokens.ts';
import type { AnonymousUser, Auth, LoadResult, RequestInfo, SessionCookie, SessionListItem } from './types.ts';

// A loaded session is written back (sliding expiry, last seen) only once this
// share of its idle window has passed, and at least hourly: not on every request.
const TOUCH_FRACTION = 0.1;
const MAX_TOUCH_INTERVAL_MS = 60 * 60_000;

export type Sessions = ReturnType<typeof createSessions>;

export function createSessions(core: AuthCore, credentials: Pick<Credentials, 'checkedHashOf'>) {
  const { settings, database, now, events } = core;
  const { lucia, adapter } = createLucia(database, settings.sessionIdleMs);

  function blankCookieFor(request: RequestInfo): SessionCookie {
    return makeBlankCookie(settings.cookieName, secureFor(core, request));
  }

  function anonymousUser(): AnonymousUser {
    return { id: null, isAuthenticated: false, isActive: false, isAnonymous: true };
  }

  function sessionCookie(token: string, doc: SessionDoc, request: RequestInfo, at: Date): SessionCookie {
    // Remembered: persistent cookie that lives as long as the session may.
    // Otherwise: a browser-session cookie (no Expires/Max-Age).
    return makeSessionCookie(settings.cookieName, token, {
      secure: secureFor(core, request),
      now: at,
      ...(doc.remember ? { expires: doc.expires_at } : {}),
    });
  }

  const loginUser: Auth['loginUser'] = async (user, loginOptions, request) => {
    const { remember = false, fresh = true, force = false } = loginOptions ?? {};
    // Decide on the stored account, not on the caller's possibly stale copy.
    const doc = await database.users.findOne({ _id: user.id }, { projection: { password_hash: 0 } });
    if (!doc) throw new AuthError('NOT_FOUND', 'No such user.');
    if (!doc.active && !force) throw new AuthError('INACTIVE', MESSAGES.inactive);

    const at = now();
    const token = generateToken();
    const sessionId = await hashToken(token);
    const absoluteExpiresAt = new Date(at.getTime() + settings.absoluteLifetimeMs);
    const expiresAt = new Date(Math.min(at.getTime() + idleMs(core, remember), absoluteExpiresAt.getTime()));
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
    // Read the account again now that the session exists: a deactivation or a
    // password change that landed after the checks above ended "every session"
    // without seeing this one, so this one must end itself.
    const current = await database.users.findOne({ _id: doc._id }, { projection: { active: 1, password_hash: 1 } });
    const checkedHash = credentials.checkedHashOf(user);
    if (!current || (!current.active && !force)) {
      await database.sessions.deleteOne({ _id: sessionId });
      throw new AuthError('INACTIVE', MESSAGES.inactive);
    }
    if (checkedHash !== undefined && current.password_hash !== checkedHash) {
      // Changed since the password was checked: the old password signs nobody in.
      await database.sessions.deleteOne({ _id: sessionId });
      throw new AuthError('INVALID_CREDENTIALS', MESSAGES.invalidCredentials);
    }
    await events.record('login', doc._id, request, { remember, fresh });
    await endSessionsOverLimit(doc._id, sessionId, request);

    const stored: SessionDoc = { _id: sessionId, user_id: doc._id, ...attributes };
    return {
      token,
      session: toSessionInfo(stored),
      cookie: sessionCookie(token, stored, request, at),
    };
  };

  /**
   * Keeps at most maxSessionsPerUser sessions per user: each sign-in adds one
   * and remembered ones last a month, so without a cap they pile up. The
   * least recently used go first, never the one just created.
   */
  async function endSessionsOverLimit(userId: string, newSessionId: string, request: RequestInfo): Promise<void> {
    const count = await database.sessions.countDocuments({ user_id: userId });
    if (count <= settings.maxSessionsPerUser) return;
    const oldest = await database.sessions
      .find({ user_id: userId, _id: { $ne: newSessionId } }, { projection: { _id: 1 } })
      .sort({ last_seen_at: 1, _id: 1 })
      .limit(count - settings.maxSessionsPerUser)
      .toArray();
    const ended = await database.sessions.deleteMany({ _id: { $in: oldest.map((session) => session._id) }, user_id: userId });
    if (ended.deletedCount > 0) {
      await events.record('session_revoked', userId, request, { reason: 'session_limit', count: ended.deletedCount });
    }
  }

  const logoutUser: Auth['logoutUser'] = async (token, request) => {
    if (token && isWellFormedToken(token)) {
      const sessionId = await hashToken(token);
      // One round trip, and of parallel sign-outs of one session only one records the event.
      const doc = await database.sessions.findOneAndDelete({ _id: sessionId });
      if (doc) await events.record('logout', doc.user_id, request);
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
          await events.record('session_revoked', doc.user_id, request, { reason: 'session_protection' });
          return anonymous(true);
        }
        // basic: the session survives but is no longer fresh.
        if (doc.fresh) changes.fresh = false;
      }
    }

    const idle = idleMs(core, doc.remember);
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

  const tokenFromHeaders: Auth['tokenFromHeaders'] = (headers) => {
    const bearer = readBearerToken(headers.authorization);
    if (bearer) return { token: bearer, via: 'bearer' };
    const cookie = readCookie(headers.cookie, settings.cookieName);
    if (cookie) return { token: cookie, via: 'cookie' };
    return { token: null, via: null };
  };

  const blankCookie: Auth['blankCookie'] = (request) =>
    request ? blankCookieFor(request) : makeBlankCookie(settings.cookieName, settings.secureCookies);

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
    await liveSessionDoc(core, session);
    // Scoped to the user: another user's session id is simply not found.
    const result = await database.sessions.deleteOne({ _id: String(sessionId), user_id: session.userId });
    if (result.deletedCount === 0) throw new AuthError('NOT_FOUND', 'No such session.');
    await events.record('session_revoked', session.userId, request, { current: sessionId === session.id });
  };

  const revokeOtherSessions: Auth['revokeOtherSessions'] = async (session, request) => {
    await liveSessionDoc(core, session);
    const result = await database.sessions.deleteMany({ user_id: session.userId, _id: { $ne: session.id } });
    await events.record('session_revoked', session.userId, request, { others: true, count: result.deletedCount });
    return result.deletedCount;
  };

  /** Ends every session of a user at once (deactivation, password reset, an admin's sign-out); resolves to how many. */
  async function endAllSessionsOf(userId: string): Promise<number> {
    const result = await database.sessions.deleteMany({ user_id: userId });
    return result.deletedCount;
  }

  const deleteExpiredSessions: Auth['deleteExpiredSessions'] = async () => {
    const at = now();
    // expires_at never exceeds absolute_expires_at, so one condition covers both.
    const result = await database.sessions.deleteMany({ expires_at: { $lte: at } });
    await database.throttle.deleteMany({ expires_at: { $lte: at } });
    return result.deletedCount;
  };

  return {
    loginUser,
    logoutUser,
    loadUser,
    tokenFromHeaders,
    anonymousUser,
    blankCookie,
    listSessions,
    revokeSession,
    revokeOtherSessions,
    endAllSessionsOf,
    deleteExpiredSessions,
  };
}
