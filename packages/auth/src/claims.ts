// Serializing a change across processes: hold a claim (a unique insert, atomic
// on every server we support, unlike conditional updates on FerretDB) while it runs.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '@authkit/db';
import { dropLapsedClaim, takeClaim } from './throttle.ts';

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
