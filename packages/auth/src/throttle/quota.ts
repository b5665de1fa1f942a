// Sliding-window quotas (registrations per address, mails, passkey
// challenges, resets): one document per use in the throttle collection, under
// ids `<key>:<uuid>`, apart from the sign-in slots (`<key>#...`).
import type { Database } from '@authkit/db';
import { randomUUID } from 'node:crypto';
import { isAuthError, type ThrottleScope } from '../errors.ts';
import { throttled } from './refusals.ts';

/**
 * A quota's key: the id its uses are filed under, the scope a refusal names,
 * and what is limited in the refusal's words (default: the sign-in wording of its scope).
 */
export interface QuotaKey {
  id: string;
  scope: ThrottleScope;
  reason?: string;
}

/**
 * Counts one use of a sliding-window quota (registrations per address), or
 * throws THROTTLED with the time until the oldest use leaves the window.
 * One document per use and no lease: parallel uses do not queue behind one
 * another. Each use is written first and then counted with the others, so
 * parallel uses can only undercount the room left, never exceed the limit.
 * A key already at its limit is refused before anything is written: a flood
 * of refused calls costs reads only.
 */
export async function takeQuota(
  database: Database,
  key: QuotaKey,
  limit: number,
  windowMs: number,
  now: Date,
): Promise<void> {
  const collection = database.throttle;
  // An _id range: every use of this key (the character after ':' is ';').
  const uses = { _id: { $gt: `${key.id}:`, $lt: `${key.id};` }, expires_at: { $gt: now } };
  const refuse = async () => {
    const [oldest] = await collection.find(uses).sort({ expires_at: 1 }).limit(1).toArray();
    return throttled(
      key.scope,
      (oldest?.expires_at.getTime() ?? now.getTime() + windowMs) - now.getTime(),
      key.reason,
    );
  };
  if ((await collection.countDocuments(uses)) >= limit) throw await refuse();
  const id = `${key.id}:${randomUUID()}`;
  await collection.insertOne({
    _id: id,
    failures: 1,
    locked_until: null,
    last_failure_at: now,
    expires_at: new Date(now.getTime() + windowMs),
  });
  if ((await collection.countDocuments(uses)) <= limit) return;
  await collection.deleteOne({ _id: id });
  throw await refuse();
}

/**
 * takeQuota for a limit kept silently (mails to an account's owner): false
 * instead of THROTTLED, so the caller can answer as if nothing was limited.
 */
export async function tryQuota(
  database: Database,
  key: QuotaKey,
  limit: number,
  windowMs: number,
  now: Date,
): Promise<boolean> {
  try {
    await takeQuota(database, key, limit, windowMs, now);
    return true;
  } catch (error) {
    if (isAuthError(error, 'THROTTLED')) return false;
    throw error;
  }
}
