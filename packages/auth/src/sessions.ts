// Sessions: create (loginUser), load on every request (loadUser, with the
// session cache, sliding expiry and session protection), end (logoutUser,
// revoke: each tells the invalidation feed), list, sweep.
import { INVALIDATION_RETENTION_MS, type SessionDoc, type SessionEndReason } from '@authkit/db';
import { makeBlankCookie, readBearerToken, readSessionCookie } from './cookies.ts';
import { toAuthenticatedUser, toPublicUser, toSessionInfo } from './convert.ts';
import {
  COPY_PROJECTION,
  idleMs,
  liveSessionDoc,
  MESSAGES,
  sameUserCopy,
  secureFor,
  sessionCookieFor,
  userCopyOf,
  type AuthCore,
} from './core.ts';
import { clip, MAX_IP, MAX_USER_AGENT } from './limits.ts';
import type { Credentials } from './credentials.ts';
import {
  deleteOldEndedReasons,
  endedReasonOf,
  endSessionsWithReason,
  recordEndedSessions,
} from './ended-sessions.ts';
import { AuthError } from './errors.ts';
import { createLucia, type DatabaseSessionAttributes } from './lucia.ts';
import { issuedUnderCurrentStamp, renewSecurityStamp, stampOf } from './security-stamp.ts';
import type { CachedSession } from './session-cache.ts';
import { clientFingerprint, generateToken, hashToken, isWellFormedToken } from './tokens.ts';
import type {
  AnonymousUser,
  Auth,
  LoadResult,
  RequestInfo,
  SessionCookie,
  SessionListItem,
} from './types.ts';

// A loaded session is written back (sliding expiry, last seen) only once this
// share of its idle window has passed, and at least hourly: not on every request.
const TOUCH_FRACTION = 0.1;
const MAX_TOUCH_INTERVAL_MS = 60 * 60_000;

export type Sessions = ReturnType<typeof createSessions>;

export function createSessions(
  core: AuthCore,
  credentials: Pick<Credentials, 'checkedHashOf' | 'checkedDocOf'>,
) {
  const { settings, database, now, events, cache, feed } = core;
  const { lucia } = createLucia(database, settings.sessionIdleMs);

  function blankCookieFor(request: RequestInfo): SessionCookie {
    return makeBlankCookie(settings.cookieName, secureFor(core, request));
  }

  function anonymousUser(): AnonymousUser {
    return { id: null, isAuthenticated: false, isActive: false, isAnonymous: true };
  }

  const sessionCookie = (
    token: string,
    doc: SessionDoc,
    request: RequestInfo,
    at: Date,
  ): SessionCookie => sessionCookieFor(core, token, doc, request, at);

  const loginUser: Auth['loginUser'] = async (user, loginOptions, request) => {
    const {
      remember = false,
      fresh = true,
      force = false,
      amr = ['password'],
      provider,
    } = loginOptions ?? {};
    // Decide on the stored account, not on the caller's possibly stale copy (the
    // one authenticate read moments ago, when it comes from there). The session
    // copies whether there is a password (userCopyOf), never the hash.
    const doc =
      credentials.checkedDocOf(user) ??
      (await database.users.findOne({ _id: user.id }, { projection: COPY_PROJECTION }));
    if (!doc) throw new AuthError('NOT_FOUND', 'No such user.');
    if (!doc.active && !force) throw new AuthError('INACTIVE', MESSAGES.inactive);

    const at = now();
    const token = generateToken();
    const sessionId = await hashToken(token);
    const absoluteExpiresAt = new Date(at.getTime() + settings.absoluteLifetimeMs);
    const expiresAt = new Date(
      Math.min(at.getTime() + idleMs(core, remember), absoluteExpiresAt.getTime()),
    );
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
      stamp: stampOf(doc),
      amr: [...amr],
      ...(provider ? { provider } : {}),
      user: userCopyOf(doc),
      // The adapter writes {_id, user_id, expires_at, ...attributes}: this per-session
      // expiry (from our clock) replaces Lucia's single global one.
      expires_at: expiresAt,
    };
    // Lucia stores the session under the token's hash; the token itself is never stored.
    await lucia.createSession(doc._id, attributes, { sessionId });
    // Read the account again now that the session exists: a deactivation, a
    // password change or a role change that landed after the checks above
    // either saw this session or is seen here.
    const current = await database.users.findOne({ _id: doc._id }, { projection: COPY_PROJECTION });
    const checkedHash = credentials.checkedHashOf(user);
    if (!current || (!current.active && !force)) {
      // Deactivated meanwhile: "every session" ended without this one, which must not
      // come back to life on reactivation.
      await database.sessions.deleteOne({ _id: sessionId });
      throw new AuthError('INACTIVE', MESSAGES.inactive);
    }
    if (
      (checkedHash !== undefined && current.password_hash !== checkedHash) ||
      !issuedUnderCurrentStamp(attributes.stamp, current)
    ) {
      // Changed since the password was checked (or the stamp since the session
      // was made): the old password signs nobody in.
      await database.sessions.deleteOne({ _id: sessionId });
      throw new AuthError('INVALID_CREDENTIALS', MESSAGES.invalidCredentials);
    }
    if (!sameUserCopy(attributes.user!, userCopyOf(current))) {
      attributes.user = userCopyOf(current);
      await database.sessions.updateOne({ _id: sessionId }, { $set: { user: attributes.user } });
    }
    await events.record('login', doc._id, request, {
      remember,
      fresh,
      amr: attributes.amr!.join(' '),
    });
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
  async function endSessionsOverLimit(
    userId: string,
    newSessionId: string,
    request: RequestInfo,
  ): Promise<void> {
    const count = await database.sessions.countDocuments({ user_id: userId });
    if (count <= settings.maxSessionsPerUser) return;
    const oldest = await database.sessions
      .find({ user_id: userId, _id: { $ne: newSessionId } }, { projection: { _id: 1 } })
      .sort({ last_seen_at: 1, _id: 1 })
      .limit(count - settings.maxSessionsPerUser)
      .toArray();
    const ids = oldest.map((session) => session._id);
    await recordEndedSessions(core, ids, 'session_limit');
    const ended = await database.sessions.deleteMany({ _id: { $in: ids }, user_id: userId });
    for (const session of oldest) await feed.record({ sessionId: session._id });
    if (ended.deletedCount > 0) {
      await events.record('session_revoked', userId, request, {
        reason: 'session_limit',
        count: ended.deletedCount,
      });
    }
  }

  const logoutUser: Auth['logoutUser'] = async (token, request) => {
    if (token && isWellFormedToken(token)) {
      const sessionId = await hashToken(token);
      // One round trip, and of parallel sign-outs of one session only one records the event.
      const doc = await database.sessions.findOneAndDelete({ _id: sessionId });
      if (doc) {
        await feed.record({ sessionId });
        await events.record('logout', doc.user_id, request);
      } else {
        // Ended elsewhere, which told the feed; drop any copy here at once anyway.
        feed.evict({ sessionId });
      }
    }
    return { cookie: blankCookieFor(request) };
  };

  /** Ends a session in the database and everywhere it is cached, noting why. */
  async function endSession(sessionId: string, reason: SessionEndReason): Promise<void> {
    await recordEndedSessions(core, [sessionId], reason);
    await lucia.invalidateSession(sessionId);
    await feed.record({ sessionId });
  }

  /** A user as a session's copy of it (whether there is a password, never the hash). */
  async function readUserCopy(userId: string) {
    const found = await database.users.findOne({ _id: userId }, { projection: COPY_PROJECTION });
    return found ? { _id: found._id, ...userCopyOf(found) } : null;
  }

  /**
   * The session and its user from the database: one read when the session
   * carries its copy of the user's fields, two for sessions made before the copy.
   */
  async function readSession(sessionId: string): Promise<CachedSession | 'stamp_changed' | null> {
    const found = await database.sessions.findOne({ _id: sessionId });
    if (!found) return null;
    // The copy stays out of the cached session: the user half of the entry holds it.
    const { user: copy, ...session } = found;
    const user = copy ? { _id: session.user_id, ...copy } : await readUserCopy(session.user_id);
    if (!user) return null;
    // Issued before the account's last security change: void (security-stamp.ts).
    // Checked on every read; a cached entry is dropped by the feed when the stamp changes.
    if (!issuedUnderCurrentStamp(session.stamp, user)) return 'stamp_changed';
    return { doc: session, user: toPublicUser(user) };
  }

  const loadUser: Auth['loadUser'] = async (token, request) => {
    const anonymous = (
      clearCookie: boolean,
      endedReason: SessionEndReason | null = null,
    ): LoadResult => ({
      user: anonymousUser(),
      session: null,
      cookie: clearCookie ? blankCookieFor(request) : null,
      endedReason,
    });
    if (!token) return anonymous(false);
    if (!isWellFormedToken(token)) return anonymous(true);

    const sessionId = await hashToken(token);
    const at = now();
    // A cached copy only while the feed was read within the bound (it fails
    // closed), and never one whose expiry passed by our clock (the database decides then).
    let hit = cache && feed.trusted() ? cache.get(sessionId) : undefined;
    if (hit && (hit.doc.expires_at <= at || hit.doc.absolute_expires_at <= at)) hit = undefined;
    const generation = cache?.generation ?? 0;
    if (cache) feed.start();
    const loaded = hit ?? (await readSession(sessionId));
    if (loaded === 'stamp_changed') {
      cache?.forget(sessionId);
      await endSession(sessionId, 'signed_out_elsewhere');
      return anonymous(true, 'signed_out_elsewhere');
    }
    if (!loaded) {
      cache?.forget(sessionId);
      // Gone: one more read, only on this path, tells the device why (if it ended for a reason lately).
      return anonymous(true, await endedReasonOf(core, sessionId));
    }

    const doc: SessionDoc = { ...loaded.doc };
    const user = loaded.user;
    if (doc.expires_at <= at || doc.absolute_expires_at <= at || !user.active) {
      const reason = user.active ? 'expired' : 'deactivated';
      await endSession(sessionId, reason);
      return anonymous(true, reason);
    }

    if (settings.protection !== 'off') {
      const fingerprint = await clientFingerprint(request, settings.protectionIncludesAddress);
      if (fingerprint !== doc.fingerprint) {
        if (settings.protection === 'strong') {
          await endSession(sessionId, 'session_protection');
          await events.record('session_revoked', doc.user_id, request, {
            reason: 'session_protection',
          });
          return anonymous(true, 'session_protection');
        }
        // basic: the session survives but is no longer fresh, in every process.
        if (doc.fresh) {
          await database.sessions.updateOne({ _id: sessionId }, { $set: { fresh: false } });
          await feed.record({ sessionId });
          doc.fresh = false;
        }
      }
    }

    const idle = idleMs(core, doc.remember);
    let renewed = false;
    if (
      at.getTime() - doc.last_seen_at.getTime() >=
      Math.min(idle * TOUCH_FRACTION, MAX_TOUCH_INTERVAL_MS)
    ) {
      const touch = {
        expires_at: new Date(Math.min(at.getTime() + idle, doc.absolute_expires_at.getTime())),
        last_seen_at: at,
      };
      renewed = touch.expires_at.getTime() !== doc.expires_at.getTime();
      Object.assign(doc, touch);
      // With the cache: written behind, in batches. Without: at once. No upsert
      // either way: a session revoked meanwhile stays gone.
      if (cache) feed.queueTouch(sessionId, touch);
      else await database.sessions.updateOne({ _id: sessionId }, { $set: touch });
    }
    if (cache) {
      if (hit) cache.replace(sessionId, { doc, user });
      else cache.add(sessionId, { doc, user }, generation);
    }

    return {
      user: toAuthenticatedUser(user),
      session: toSessionInfo(doc, user),
      // Only a persistent cookie carries the expiry; a browser-session cookie need not be re-sent.
      cookie: renewed && doc.remember ? sessionCookie(token, doc, request, at) : null,
    };
  };

  const tokenFromHeaders: Auth['tokenFromHeaders'] = (headers, request = {}) => {
    const bearer = readBearerToken(headers.authorization);
    if (bearer) return { token: bearer, via: 'bearer' };
    // Secure: only the __Host- cookie (see readSessionCookie).
    const cookie = readSessionCookie(headers.cookie, settings.cookieName, secureFor(core, request));
    if (cookie) return { token: cookie, via: 'cookie' };
    return { token: null, via: null };
  };

  const blankCookie: Auth['blankCookie'] = (request) =>
    request
      ? blankCookieFor(request)
      : makeBlankCookie(settings.cookieName, settings.secureCookies);

  const listSessions: Auth['listSessions'] = async (session) => {
    const at = now();
    const docs = (await database.sessions.find({ user_id: session.userId }).toArray()).filter(
      (doc) => doc.expires_at > at,
    );
    // The caller's own session must still be live: the same read tells (no second round trip).
    if (!docs.some((doc) => doc._id === session.id))
      throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
    return docs
      .sort((a, b) => b.last_seen_at.getTime() - a.last_seen_at.getTime())
      .map((doc): SessionListItem => ({ ...toSessionInfo(doc), current: doc._id === session.id }));
  };

  const revokeSession: Auth['revokeSession'] = async (session, sessionId, request) => {
    await liveSessionDoc(core, session);
    // Scoped to the user: another user's session id is simply not found.
    const id = String(sessionId);
    const found = await database.sessions.findOne(
      { _id: id, user_id: session.userId },
      { projection: { _id: 1 } },
    );
    if (!found) throw new AuthError('NOT_FOUND', 'No such session.');
    // The reason first: the revoked device may come back the moment its session is gone.
    await recordEndedSessions(core, [id], 'signed_out_elsewhere');
    const revoked = await database.sessions.findOneAndDelete({ _id: id, user_id: session.userId });
    if (!revoked) throw new AuthError('NOT_FOUND', 'No such session.');
    await feed.record({ sessionId: id });
    // The activity list names the device (its user agent; no key that looks like a secret).
    await events.record('session_revoked', session.userId, request, {
      current: id === session.id,
      device: revoked.user_agent || null,
    });
  };

  const revokeOtherSessions: Auth['revokeOtherSessions'] = async (session, request) => {
    await liveSessionDoc(core, session);
    const count = await endSessionsWithReason(
      core,
      { user_id: session.userId, _id: { $ne: session.id } },
      'signed_out_elsewhere',
    );
    // Sign-out everywhere else also voids what those devices may still hold
    // (links, pending second steps, device tokens); this session is carried over.
    // The stamp tells the feed only when other sessions remain to drop.
    await renewSecurityStamp(core, session.userId, { keepSessionId: session.id });
    // Nothing ended, nothing to tell: a repeated call must not fill the feed and the trail.
    if (count === 0) return 0;
    // User-wide: the current session's copy is dropped too and simply read again.
    await feed.record({ userId: session.userId });
    await events.record('session_revoked', session.userId, request, { others: true, count });
    return count;
  };

  /** Ends every session of a user at once (deactivation, password reset, an admin's sign-out); resolves to how many. */
  async function endAllSessionsOf(userId: string, reason: SessionEndReason): Promise<number> {
    const count = await endSessionsWithReason(core, { user_id: userId }, reason);
    // Whatever else was issued on the account's authority ends too.
    await renewSecurityStamp(core, userId);
    // No session, no cached copy to drop (changes to the user itself record their own entry).
    if (count > 0) await core.feed.record({ userId });
    return count;
  }

  /** For writes made outside the package (scripts, tests): drops cached copies here and everywhere. */
  const invalidateSessions: Auth['invalidateSessions'] = async (target) => {
    await feed.record(target);
  };

  const deleteExpiredSessions: Auth['deleteExpiredSessions'] = async () => {
    const at = now();
    // expires_at never exceeds absolute_expires_at, so one condition covers both.
    const result = await database.sessions.deleteMany({ expires_at: { $lte: at } });
    await database.throttle.deleteMany({ expires_at: { $lte: at } });
    // Short-lived records of ceremonies and links: a TTL index deletes them
    // where the server has one; FerretDB takes none, so the sweep does.
    await database.webauthnChallenges.deleteMany({ expires_at: { $lte: at } });
    await database.singleUseTokens.deleteMany({ expires_at: { $lte: at } });
    await deleteOldEndedReasons(core);
    // Feed entries are stamped by the server's clock, so aged by real time (not a test clock).
    await database.sessionInvalidations.deleteMany({
      at: { $lt: new Date(Date.now() - INVALIDATION_RETENTION_MS) },
    });
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
    invalidateSessions,
    deleteExpiredSessions,
  };
}
