// The audit trail: events stored in `auth_events` and delivered to in-process
// subscribers (Flask-Login's signals).
import type { AuthEventDoc, AuthEventType, Database } from '@authkit/db';
import { clip, MAX_IP } from './limits.ts';
import { toAuthEvent } from './convert.ts';
import type { AuthEvent, AuthEventListener, RequestInfo } from './types.ts';

export type Events = ReturnType<typeof createEvents>;

/**
 * Stored length of a user agent in an event: shorter than in a session, since
 * anonymous clients can cause events (a failed sign-in) and the trail must not
 * be a cheap way to fill the disk.
 */
export const MAX_EVENT_USER_AGENT = 256;

/** The most failed sign-ins "since your last visit" counts (more are shown as this many). */
export const FAILED_SINCE_LIMIT = 1_000;

export function createEvents(database: Database, now: () => Date) {
  const listeners = new Map<AuthEventType | '*', Set<AuthEventListener>>();

  async function recordEvent(event: Omit<AuthEvent, 'at'>): Promise<void> {
    const stored: AuthEvent = {
      type: event.type,
      userId: event.userId,
      at: now(),
      ip: clip(event.ip, MAX_IP),
      userAgent: clip(event.userAgent, MAX_EVENT_USER_AGENT),
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

  /** An event about `userId` caused by `request`. */
  async function record(
    type: AuthEventType,
    userId: string | null,
    request: RequestInfo,
    details?: AuthEvent['details'],
  ): Promise<void> {
    await recordEvent({ type, userId, ip: request.ip, userAgent: request.userAgent, details });
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

  function on(type: AuthEventType | '*', listener: AuthEventListener): () => void {
    let set = listeners.get(type);
    if (!set) listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  async function listEvents(userId: string, limit = 50): Promise<AuthEvent[]> {
    const docs = await database.authEvents
      .find({ user_id: userId })
      .sort({ at: -1, _id: -1 })
      .limit(Math.min(Math.max(Math.trunc(limit) || 1, 1), 500))
      .toArray();
    return docs.map(toAuthEvent);
  }

  /**
   * Failed sign-in attempts on the user's account since their last sign-in
   * before `before` (re-authentications aside), counted up to
   * FAILED_SINCE_LIMIT: wrong passwords, and wrong codes (TOTP or recovery
   * code) given after a correct password, which mean somebody else may hold
   * the password. One query: the latest sign-in and failure events, newest
   * first, counted here until the previous sign-in.
   */
  async function failedSignInsSinceLastVisit(userId: string, before: Date = now()): Promise<number> {
    const recent = await database.authEvents
      .find(
        {
          user_id: userId,
          type: { $in: ['login', 'login_failed', 'second_factor_failed'] },
          at: { $lt: before },
        },
        { projection: { type: 1, details: 1 } },
      )
      .sort({ at: -1 })
      .limit(FAILED_SINCE_LIMIT + 1)
      .toArray();
    let failures = 0;
    for (const event of recent) {
      if (event.type === 'login' && event.details?.reauthentication !== true) break;
      if (event.type === 'login_failed' && event.details?.reason === 'invalid_credentials') failures += 1;
      if (event.type === 'second_factor_failed' && event.details?.action === 'sign_in') failures += 1;
    }
    return Math.min(failures, FAILED_SINCE_LIMIT);
  }

  /**
   * Deletes events past the retention (for servers without TTL indexes, and
   * before the TTL monitor runs). Resolves to how many were deleted.
   */
  async function deleteExpiredEvents(retentionMs: number): Promise<number> {
    const result = await database.authEvents.deleteMany({
      at: { $lt: new Date(now().getTime() - retentionMs) },
    });
    return result.deletedCount;
  }

  return { record, recordEvent, on, listEvents, failedSignInsSinceLastVisit, deleteExpiredEvents };
}

/** Events never carry secrets: drop detail keys that look like one, whoever records the event. */
function withoutSecrets(details: AuthEvent['details']): AuthEvent['details'] {
  if (!details) return undefined;
  const kept = Object.entries(details).filter(
    ([key]) => !/pass|token|secret|cookie|hash/i.test(key),
  );
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}
