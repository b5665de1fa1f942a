// Why a session ended, kept for a day by the session's id (the hash of its
// token, never the token): when a browser comes back with the cookie of a
// session that is gone, loadUser looks the reason up (one read, only on that
// path) so the site can say "your password was changed" instead of nothing.
import { ENDED_SESSION_RETENTION_MS, isDuplicateKeyError, type SessionEndReason, type SessionDoc } from '@authkit/db';
import { MongoBulkWriteError, type Filter } from 'mongodb';
import type { AuthCore } from './core.ts';

/** Notes the reason for each session id (upserts: a later reason replaces an earlier one). */
export async function recordEndedSessions(
  core: Pick<AuthCore, 'database' | 'now'>,
  sessionIds: readonly string[],
  reason: SessionEndReason,
): Promise<void> {
  if (sessionIds.length === 0) return;
  const at = core.now();
  try {
    await core.database.endedSessions.bulkWrite(
      sessionIds.map((id) => ({
        updateOne: { filter: { _id: id }, update: { $set: { reason, at } }, upsert: true },
      })),
      { ordered: false },
    );
  } catch (error) {
    // Two writers upserting one id at once (parallel revocations): the loser's
    // insert hits the duplicate key, and the winner's reason stands.
    if (!onlyDuplicateKeys(error)) throw error;
  }
}

function onlyDuplicateKeys(error: unknown): boolean {
  if (!(error instanceof MongoBulkWriteError)) return isDuplicateKeyError(error);
  const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  return writeErrors.length > 0 && writeErrors.every((writeError) => writeError.code === 11000);
}

/**
 * Deletes the sessions the filter matches and notes why. The ids are read
 * first: a session created between the read and the delete ends without a
 * reason (its device is simply signed out).
 */
export async function endSessionsWithReason(
  core: Pick<AuthCore, 'database' | 'now'>,
  filter: Filter<SessionDoc>,
  reason: SessionEndReason,
): Promise<number> {
  const found = await core.database.sessions.find(filter, { projection: { _id: 1 } }).toArray();
  if (found.length === 0) return 0;
  await recordEndedSessions(
    core,
    found.map((doc) => doc._id),
    reason,
  );
  const result = await core.database.sessions.deleteMany(filter);
  return result.deletedCount;
}

/** Why the session with this id ended, if it did so within the retention. */
export async function endedReasonOf(
  core: Pick<AuthCore, 'database' | 'now'>,
  sessionId: string,
): Promise<SessionEndReason | null> {
  const doc = await core.database.endedSessions.findOne({ _id: sessionId });
  if (!doc || doc.at.getTime() <= core.now().getTime() - ENDED_SESSION_RETENTION_MS) return null;
  return doc.reason;
}

/** The sweep, for servers without TTL indexes: drops reasons past the retention. */
export async function deleteOldEndedReasons(core: Pick<AuthCore, 'database' | 'now'>): Promise<void> {
  await core.database.endedSessions.deleteMany({
    at: { $lt: new Date(core.now().getTime() - ENDED_SESSION_RETENTION_MS) },
  });
}
