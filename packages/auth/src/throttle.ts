// Sign-in throttling per account, per client address and per trusted device,
// with its state in the `login_throttle` collection so that it holds across
// API instances. Registration has its own per-address quota here too.
//
// An attempt is admitted *before* the password is checked and counted as
// pending while Argon2 runs, so a burst of parallel guesses cannot slip in:
// a key admits an attempt only while its failures plus its pending attempts
// stay below its free failures. Once the check is done the pending attempt
// becomes a failure (the free-th failure locks the key for baseLockMs, each
// further one doubles it, up to maxLockMs) or, for a correct password, simply goes away: a
// success never sets or extends a lock. After a lock has passed, one attempt
// at a time is let through. An account's untrusted sign-ins stop for
// capLockMs after `cap` failures in a row (NIST SP 800-63B's hard limit). A
// key that stays quiet for forgetAfterMs starts again from zero.
//
// Counting is a read-modify-write under a short per-key lease. The lease is a
// unique insert, which is atomic on every server we support; conditional
// updates and $inc are atomic on MongoDB but not on FerretDB (measured: twelve
// parallel $inc of one document there add up to 2), so they cannot be relied on.
import { isDuplicateKeyError, type Database, type ThrottleDoc } from '@authkit/db';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthError, isAuthError, type ThrottleScope } from './errors.ts';
import { sha256hex, throttleAddress } from './tokens.ts';
import type { AuthSettings } from './types.ts';

export interface ThrottleKey {
  id: string;
  scope: ThrottleScope;
  /** Failures let through before the first lock (the last of them sets it). */
  free: number;
  /** Failures in a row after which the key is locked for capLockMs. */
  cap?: number;
}

/** A lock that a failure has just set. */
export interface NewLock {
  scope: ThrottleScope;
  waitMs: number;
  failures: number;
}

/** Who is attempting a sign-in, as the throttle sees it. */
export interface Attempt {
  /** `user:<id>` when the name resolves to an account, else `name:<normalised name>`. */
  account: string;
  ip: string | null;
  /** The id of a valid device cookie for this account, if the client sent one. */
  deviceId: string | null;
}

export class Throttle {
  readonly #database: Database;
  readonly #settings: AuthSettings['throttle'];

  constructor(database: Database, settings: AuthSettings['throttle']) {
    this.#database = database;
    this.#settings = settings;
  }

  /**
   * The keys an attempt is counted on. A trusted device only on its own key:
   * the locks that strangers earned on the account and the address do not
   * apply to it. Anybody else on the account (hashed: people type passwords
   * into the username field) and on the address.
   */
  async keysFor(attempt: Attempt): Promise<ThrottleKey[]> {
    const settings = this.#settings;
    if (attempt.deviceId) {
      return [{ id: `device:${await sha256hex(attempt.deviceId)}`, scope: 'device', free: settings.deviceFreeFailures }];
    }
    const keys: ThrottleKey[] = [
      {
        id: `account:${await sha256hex(attempt.account)}`,
        scope: 'account',
        free: settings.accountFreeFailures,
        cap: settings.accountHardCap,
      },
    ];
    if (attempt.ip) {
      keys.push({ id: `address:${throttleAddress(attempt.ip)}`, scope: 'address', free: settings.addressFreeFailures });
    }
    return keys;
  }

  /** Admits one attempt on every key (pending until `failed` or `succeeded`), or throws THROTTLED. */
  async admit(keys: ThrottleKey[], now: Date): Promise<void> {
    // Look at every key first, so a locked address does not cost the account an attempt.
    const docs = await this.#database.throttle.find({ _id: { $in: keys.map((key) => key.id) } }).toArray();
    const locked = keys
      .map((key) => ({ key, wait: lockedFor(docs.find((doc) => doc._id === key.id) ?? null, now) }))
      .filter(({ wait }) => wait > 0)
      .sort((a, b) => b.wait - a.wait)[0];
    if (locked) throw throttled(locked.key.scope, locked.wait);
    const admitted: ThrottleKey[] = [];
    try {
      for (const key of keys) {
        await this.#reserve(key, now);
        admitted.push(key);
      }
    } catch (error) {
      // Refused on a later key: the earlier ones get their attempt back.
      await this.succeeded(admitted, now, { keepFailures: true });
      throw error;
    }
  }

  /** A wrong password: every key's pending attempt becomes a failure. Resolves to the locks this set. */
  async failed(keys: ThrottleKey[], now: Date): Promise<NewLock[]> {
    const locks: NewLock[] = [];
    for (const key of keys) {
      // A failure must be counted: wait longer for a busy key than an admission does.
      const lock = await this.#withLease(key, OUTCOME_WAIT_MS, async () => {
        const collection = this.#database.throttle;
        const doc = await collection.findOne({ _id: key.id });
        const failures = (doc && doc.expires_at > now ? doc.failures : 0) + 1;
        const lockMs = this.#lockMs(key, failures);
        const lockedUntil = lockMs > 0 ? new Date(now.getTime() + lockMs) : null;
        const fields = {
          failures,
          pending: Math.max(0, livePending(doc, now) - 1),
          locked_until: lockedUntil,
          last_failure_at: now,
          expires_at: new Date((lockedUntil ?? now).getTime() + this.#settings.forgetAfterMs),
        };
        await collection.updateOne({ _id: key.id }, { $set: fields }, { upsert: true });
        return lockedUntil ? { scope: key.scope, waitMs: lockMs, failures } : null;
      });
      if (lock) locks.push(lock);
    }
    return locks;
  }

  /**
   * A correct password: the pending attempt goes away, no lock is set. An
   * account or device starts afresh (failures in a row end with a success);
   * an address keeps its failures, which were other people's.
   */
  async succeeded(keys: ThrottleKey[], now: Date, options: { keepFailures?: boolean } = {}): Promise<void> {
    const collection = this.#database.throttle;
    for (const key of keys) {
      try {
        await this.#withLease(key, LEASE_WAIT_MS, async () => {
          const doc = await collection.findOne({ _id: key.id });
          if (!doc) return;
          const pending = Math.max(0, livePending(doc, now) - 1);
          const reset = key.scope !== 'address' && !options.keepFailures;
          if (reset && pending === 0) {
            await collection.deleteOne({ _id: key.id });
            return;
          }
          const changes: Partial<ThrottleDoc> = { pending };
          if (reset) Object.assign(changes, { failures: 0, locked_until: null });
          await collection.updateOne({ _id: key.id }, { $set: changes });
        });
      } catch (error) {
        // Bookkeeping: a correct password is not refused because a counter
        // stayed busy (its pending attempt lapses by itself).
        if (!isAuthError(error, 'THROTTLED')) throw error;
      }
    }
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
  async takeQuota(key: { id: string; scope: ThrottleScope }, limit: number, windowMs: number, now: Date): Promise<void> {
    const collection = this.#database.throttle;
    // An _id range: every use of this key (the character after ':' is ';').
    const uses = { _id: { $gt: `${key.id}:`, $lt: `${key.id};` }, expires_at: { $gt: now } };
    const refuse = async () => {
      const [oldest] = await collection.find(uses).sort({ expires_at: 1 }).limit(1).toArray();
      return throttled(key.scope, (oldest?.expires_at.getTime() ?? now.getTime() + windowMs) - now.getTime());
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
  async tryQuota(key: { id: string; scope: ThrottleScope }, limit: number, windowMs: number, now: Date): Promise<boolean> {
    try {
      await this.takeQuota(key, limit, windowMs, now);
      return true;
    } catch (error) {
      if (isAuthError(error, 'THROTTLED')) return false;
      throw error;
    }
  }

  /** How long a failure count of `failures` locks the key (0: within its free failures). */
  #lockMs(key: ThrottleKey, failures: number): number {
    const { baseLockMs, maxLockMs, capLockMs } = this.#settings;
    if (key.cap !== undefined && failures >= key.cap) return capLockMs;
    if (failures < key.free) return 0;
    return Math.min(baseLockMs * 2 ** Math.min(failures - key.free, 30), maxLockMs);
  }

  /** Admits one pending attempt on the key, or throws THROTTLED. */
  async #reserve(key: ThrottleKey, now: Date): Promise<void> {
    const collection = this.#database.throttle;
    await this.#withLease(key, LEASE_WAIT_MS, async () => {
      let doc = await collection.findOne({ _id: key.id });
      if (doc && doc.expires_at <= now) {
        // Quiet long enough: forget it (the TTL index may not have run yet).
        await collection.deleteOne({ _id: key.id });
        doc = null;
      }
      const wait = lockedFor(doc, now);
      if (wait > 0) throw throttled(key.scope, wait);
      const failures = doc?.failures ?? 0;
      const pending = livePending(doc, now);
      // Within the free failures, as many in flight as are still free; past
      // them (a lock has passed), one attempt at a time.
      const admitted = failures + pending < key.free || (failures >= key.free && pending === 0);
      if (!admitted) throw throttled(key.scope, BUSY_WAIT_MS);
      const pendingUntil = new Date(now.getTime() + PENDING_MS);
      const fields = {
        failures,
        pending: pending + 1,
        pending_until: pendingUntil,
        locked_until: doc?.locked_until ?? null,
        last_failure_at: doc?.last_failure_at ?? now,
        expires_at: new Date(Math.max(doc?.expires_at.getTime() ?? 0, pendingUntil.getTime() + this.#settings.forgetAfterMs)),
      };
      await collection.updateOne({ _id: key.id }, { $set: fields }, { upsert: true });
    });
  }

  /**
   * Runs `work` while holding the key's lease. Other attempts on the same key
   * wait a little; if the key stays busy, that is itself a burst: THROTTLED.
   */
  async #withLease<T>(key: ThrottleKey, waitMs: number, work: () => Promise<T>): Promise<T> {
    const collection = this.#database.throttle;
    const leaseId = `lease:${key.id}`;
    const deadline = Date.now() + waitMs;
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
    throw throttled(key.scope, BUSY_WAIT_MS);
  }
}

/** How long a key is still locked (0 when it is not, or when it has been forgotten). */
function lockedFor(doc: ThrottleDoc | null, now: Date): number {
  if (!doc || doc.expires_at <= now || !doc.locked_until) return 0;
  return Math.max(0, doc.locked_until.getTime() - now.getTime());
}

/** Attempts still in flight (those of a process that died lapse after PENDING_MS). */
function livePending(doc: ThrottleDoc | null, now: Date): number {
  if (!doc?.pending || !doc.pending_until || doc.pending_until <= now) return 0;
  return doc.pending;
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
/** About two seconds of waiting for a busy key before an admission is refused (people behind one NAT sign in at once). */
const LEASE_WAIT_MS = 2_000;
/** Recording a failure waits longer: it must not get lost in a burst. */
const OUTCOME_WAIT_MS = 5_000;
/** An admitted attempt holds its place this long at most (Argon2 takes well under a second). */
const PENDING_MS = 30_000;
/** The wait given when the free attempts are all in flight: they will be decided in a moment. */
const BUSY_WAIT_MS = 1_000;

const THROTTLED_MESSAGES: Record<ThrottleScope, string> = {
  account: 'Too many failed sign-in attempts for this account.',
  address: 'Too many failed sign-in attempts from your network.',
  device: 'Too many failed sign-in attempts from this device.',
  registration: 'Too many sign-ups from your network.',
  passkey: 'Too many passkey requests.',
};

export function throttled(scope: ThrottleScope, waitMs: number): AuthError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new AuthError('THROTTLED', `${THROTTLED_MESSAGES[scope]} Try again in ${describeWait(seconds)}.`, {
    retryAfterSeconds: seconds,
    scope,
  });
}

function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  if (seconds < 3 * 3600) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.ceil(seconds / 3600)} hours`;
}
