// Serializing a change across processes: hold a claim (a unique insert, atomic
// on every server we support, unlike conditional updates on FerretDB) while it runs.
import { setTimeout as sleep } from 'node:timers/promises';
import { isDuplicateKeyError, type Database } from '@authkit/db';

/**
 * Runs `work` while holding the claim `id`; waits up to `waitMs` for another
 * holder to finish and resolves to `busy` if it does not. A claim whose holder
 * died lapses after `lifetimeMs`.
 */
export async function withClaim<T>(
  database: Database,
  id: string,
  options: { lifetimeMs: number; waitMs: number },
  work: () => Promise<T>,
): Promise<{ done: true; result: T } | { done: false }> {
  const deadline = Date.now() + options.waitMs;
  for (let round = 0; round === 0 || Date.now() < deadline; round++) {
    if (await takeClaim(database, id, options.lifetimeMs)) {
      try {
        return { done: true, result: await work() };
      } finally {
        await database.throttle.deleteOne({ _id: id }).catch(() => {});
      }
    }
    if (round % 10 === 0) await dropLapsedClaim(database, id);
    await sleep(Math.min(5 * 2 ** round, 50) * (0.5 + Math.random()));
  }
  return { done: false };
}

/**
 * Takes the claim `id` (a lease, or a password change's claim on a hash) for
 * `lifetimeMs` of real time: a unique insert, so of parallel takers exactly one
 * gets it. False when somebody holds it. Claims live in the throttle collection,
 * whose TTL index (or sweep) removes them once lapsed.
 */
export async function takeClaim(
  database: Database,
  id: string,
  lifetimeMs: number,
): Promise<boolean> {
  try {
    await database.throttle.insertOne({
      _id: id,
      failures: 0,
      locked_until: null,
      last_failure_at: new Date(),
      expires_at: new Date(Date.now() + lifetimeMs),
    });
    return true;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}

/** Removes the claim `id` if its holder let it lapse (e.g. the process died). */
export async function dropLapsedClaim(database: Database, id: string): Promise<void> {
  await database.throttle.deleteOne({ _id: id, expires_at: { $lte: new Date() } });
}
