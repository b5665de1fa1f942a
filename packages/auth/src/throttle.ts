// Sign-in throttling, per account key and per client address, with its state in
// the `login_throttle` collection so that it holds across API instances.
//
// Each attempt is counted *before* the password is checked, so a burst of
// parallel guesses cannot slip in while Argon2 runs; a correct password gives
// the attempt back. After `free` attempts, every further attempt locks the key
// for baseLockMs, doubling each time, up to maxLockMs. A key that stays quiet
// for forgetAfterMs starts again from zero.
//
// Counting is a read-modify-write under a short per-key lease. The lease is a
// unique insert, which is atomic on every server we support; conditional
// updates and $inc are atomic on MongoDB but not on FerretDB (measured: twelve
// parallel $inc of one document there add up to 2), so they cannot be relied on.
import { isDuplicateKeyError, type Database, type ThrottleDoc } from '@authkit/db';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthError, isAuthError } from './errors.ts';
import { sha256hex, throttleAddress } from './tokens.ts';
import type { AuthSettings } from './types.ts';

export interface ThrottleKey {
  id: string;
  free: number;
}

export class Throttle {
  readonly #database: Database;
  readonly #settings: AuthSettings['throttle'];

  constructor(database: Database, settings: AuthSettings['throttle']) {
    this.#database = database;
    this.#settings = settings;
  }

  /**
   * Keys for a sign-in attempt: the account name as typed (hashed: people type
   * passwords into the username field) and the client address.
   */
  async keysFor(accountKey: string, ip: string | null): Promise<ThrottleKey[]> {
    const keys = [{ id: `account:${await sha256hex(accountKey)}`, free: this.#settings.accountFreeFailures }];
    if (ip) keys.push({ id: `address:${throttleAddress(ip)}`, free: this.#settings.addressFreeFailures });
    return keys;
  }

  /** Counts one attempt on every key, or throws THROTTLED while one of them is locked. */
  async admit(keys: ThrottleKey[], now: Date): Promise<void> {
    // Look at every key first, so a locked address does not cost the account an attempt.
    const docs = await this.#database.throttle.find({ _id: { $in: keys.map((key) => key.id) } }).toArray();
    const waits = docs.map((doc) => this.#lockedFor(doc, now)).filter((ms) => ms > 0);
    if (waits.length > 0) throw throttled(Math.max(...waits));
    for (const key of keys) await this.#count(key, now);
  }

  /** A correct password: the account starts afresh; the address gets this attempt back. */
  async succeeded(keys: ThrottleKey[]): Promise<void> {
    const collection = this.#database.throttle;
    for (const key of keys) {
      if (key.id.startsWith('account:')) {
        await collection.deleteOne({ _id: key.id });
        continue;
      }
      try {
        await this.#withLease(key.id, async () => {
          const doc = await collection.findOne({ _id: key.id });
          if (doc && doc.failures > 0) await collection.updateOne({ _id: key.id }, { $set: { failures: doc.failures - 1 } });
        });
      } catch (error) {
        // Giving the attempt back is bookkeeping: a correct password is not
        // refused because the address's counter stayed busy.
        if (!isAuthError(error, 'THROTTLED')) throw error;
      }
    }
  }

  /** How long a key is still locked (0 when it is not, or when it has been forgotten). */
  #lockedFor(doc: ThrottleDoc | null, now: Date): number {
    if (!doc || doc.expires_at <= now || !doc.locked_until) return 0;
    return Math.max(0, doc.locked_until.getTime() - now.getTime());
  }

  /** Adds one attempt and sets the lock it earns; throws THROTTLED if the key is locked. */
  async #count(key: ThrottleKey, now: Date): Promise<void> {
    const collection = this.#database.throttle;
    await this.#withLease(key.id, async () => {
      let doc = await collection.findOne({ _id: key.id });
      if (doc && doc.expires_at <= now) {
        // Quiet long enough: forget it (the TTL index may not have run yet).
        await collection.deleteOne({ _id: key.id });
        doc = null;
      }
      const wait = this.#lockedFor(doc, now);
      if (wait > 0) throw throttled(wait);

      const failures = (doc?.failures ?? 0) + 1;
      const lockMs = this.#settings.baseLockMs * 2 ** Math.min(failures - key.free - 1, 30);
      const lockedUntil =
        failures > key.free ? new Date(now.getTime() + Math.min(lockMs, this.#settings.maxLockMs)) : null;
      const fields = {
        failures,
        locked_until: lockedUntil,
        last_failure_at: now,
        expires_at: new Date((lockedUntil ?? now).getTime() + this.#settings.forgetAfterMs),
      };
      if (doc) await collection.updateOne({ _id: key.id }, { $set: fields });
      else await collection.insertOne({ _id: key.id, ...fields });
    });
  }

  /**
   * Runs `work` while holding the key's lease. Other attempts on the same key
   * wait a little; if the key stays busy, that is itself a burst: THROTTLED.
   */
  async #withLease<T>(id: string, work: () => Promise<T>): Promise<T> {
    const collection = this.#database.throttle;
    const leaseId = `lease:${id}`;
    const deadline = Date.now() + LEASE_WAIT_MS;
    for (let round = 0; round === 0 || Date.now() < deadline; round++) {
      if (await takeClaim(this.#database, leaseId, LEASE_MS)) {
        let result: T;
        try {
          result = await work();
        } catch (error) {
          // Released in the background: when the database has just gone away,
          // waiting for this too would double the time to answer 503 (and a
          // lease that is never released expires by itself).
          collection.deleteOne({ _id: leaseId }).catch(() => {});
          throw error;
        }
        await collection.deleteOne({ _id: leaseId });
        return result;
      }
      // A lease left behind by a crashed process expires. Checked at the first
      // try and then now and then: every check is one more operation on a busy server.
      if (round % 10 === 0) await dropLapsedClaim(this.#database, leaseId);
      // Backing off to about 20 ms between tries, with jitter so waiters spread out.
      await sleep(Math.min(5 * 2 ** round, 20) * (0.5 + Math.random()));
    }
    throw throttled(1_000);
  }
}

/**
 * Takes the claim `id` (a lease, or a password change's claim on a hash) for
 * `lifetimeMs` of real time: a unique insert, so of parallel takers exactly one
 * gets it. False when somebody holds it. Claims live in the throttle collection,
 * whose TTL index (or sweep) removes them once lapsed.
 */
export async function takeClaim(database: Database, id: string, lifetimeMs: number): Promise<boolean> {
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

/** A lease outlives a crashed holder by this much at most. */
const LEASE_MS = 5_000;
/** About half a second of waiting for a busy key. */
const LEASE_WAIT_MS = 600;

function throttled(waitMs: number): AuthError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new AuthError('THROTTLED', `Too many sign-in attempts. Try again in ${describeWait(seconds)}.`, {
    retryAfterSeconds: seconds,
  });
}

function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
