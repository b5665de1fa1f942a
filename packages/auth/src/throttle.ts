// Sign-in throttling per account, per client address and per trusted device,
// with its state in the `login_throttle` collection so that it holds across
// API instances. Registration has its own per-address quota here too.
//
// Every key has `free` slots, documents `<key>#0` .. `<key>#<free-1>`. An
// attempt takes a slot on each of its keys *before* the password is checked
// (a unique insert: atomic on every server we support, where $inc and
// conditional updates are not atomic on FerretDB; measured: twelve parallel
// $inc of one document there add up to 2). A correct password gives the slot
// back; a wrong one keeps it, marked as a failure. So failures plus attempts in
// flight never exceed `free`: a parallel burst of wrong guesses cannot have
// more than `free` of them checked before the key locks, and no attempt is
// ever refused because others are in flight: it waits for a slot (at most
// queueWaitMs, then a 429 that says "busy", not "failed").
//
// Once every slot holds a failure the key is locked for baseLockMs, doubling
// with each further failure up to maxLockMs. After a lock has passed, one
// attempt at a time (the `<key>#s` slot) is checked; its failure is kept as a
// `<key>#x<id>` record. A success never sets or extends a lock; on an account
// or device it ends the failures in a row (an address keeps them: they were
// other people's). A key's failures are forgotten forgetAfterMs after its
// last failure (lock included). A key with `cap` is locked for capLockMs once
// it holds `cap` failures (the account's hard cap, NIST SP 800-63B).
//
// The common path costs two commands for all the keys of an attempt: one
// insert of their slots and one delete. The slots are chosen without reading
// (the lowest this process neither holds nor saw a failure on); only a taken
// slot makes it read. Within a process, attempts never race for one slot: a
// slot is reserved here before it is inserted, and an attempt whose key has
// every slot in flight here waits in a queue without a command (holding its
// slots on the keys before that one, in a fixed order). It is handed
// the slot of an attempt that succeeded (the document stays: no command), or
// refused at once when a failure here locks the key (a lock this process has
// seen is refused without a command until it passes). Only the first waiter
// of a key looks at the database, now and then, and only while no attempt
// here holds a slot of it (the slots are held by other processes). So a burst
// of N attempts behind one address costs about N times the commands of one
// attempt, not N squared (measured on FerretDB: 200 wrong guesses went from
// 3,300 commands and 72 s to 300 commands and under a second).
import type { Database, ThrottleDoc } from '@authkit/db';
import { MongoBulkWriteError, type Filter } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { AuthError, isAuthError, type ThrottleScope } from './errors.ts';
import { sha256hex, throttleAddress } from './tokens.ts';
import type { AuthSettings } from './types.ts';

export interface ThrottleKey {
  id: string;
  scope: ThrottleScope;
  /** Failures let through before the first lock (the last of them sets it); also the most attempts in flight. */
  free: number;
  /** Failures in a row after which the key is locked for capLockMs. */
  cap?: number;
  /** A correct password leaves the key's failures on record (an address: they were other people's). */
  keepFailures?: boolean;
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

/** An admitted attempt: the slot it holds on each key (same order). Pass it to `failed` or `succeeded`. */
export interface Admission {
  keys: ThrottleKey[];
  slots: string[];
}

/** What wakes a waiting attempt: a slot handed to it, or a reason to look again. */
type Wake = { slot: string } | 'local' | 'poll';
type Waiter = (outcome: Wake | 'timeout') => void;

interface InsertBatch {
  docs: ThrottleDoc[];
  taken: Promise<Set<number>>;
}

interface DeleteBatch {
  clauses: Filter<ThrottleDoc>[];
  done: Promise<void>;
}

/** Resolves after the other work of this turn of the event loop (what it started joins the batch). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Remembers a value in a map of bounded size (the oldest entries go first). */
function remember<T>(map: Map<string, T>, key: string, value: T): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value!);
}

/** Keys whose locks and failures a process remembers (hints and refusals without a command). */
const MAX_REMEMBERED = 10_000;

/** A key as read from the database. */
interface KeyState {
  failures: number;
  lastFailureAt: number;
  /** Live slot and failure documents. */
  taken: Set<string>;
}

export class Throttle {
  readonly #database: Database;
  readonly #settings: AuthSettings['throttle'];
  /** Slots this process holds or is taking, with when they lapse (real time): two attempts here never try one slot. */
  readonly #held = new Map<string, number>();
  /** Attempts of this process waiting for a slot of a key, first come first served. */
  readonly #waiters = new Map<string, Waiter[]>();
  /** Locks this process has seen (read or set), by key: until when (clock time). Refused here without a command. */
  readonly #locks = new Map<string, number>();
  /** The failure documents this process last saw on a key: a hint of which slots not to try blindly. */
  readonly #failureHints = new Map<string, Set<string>>();
  /** Slot inserts and deletes gathered for one command (see #insertSlots). */
  #insertBatch: InsertBatch | null = null;
  #deleteBatch: DeleteBatch | null = null;

  constructor(database: Database, settings: AuthSettings['throttle']) {
    this.#database = database;
    this.#settings = settings;
  }

  /**
   * The keys an attempt is counted on. Anybody on the account (hashed: people
   * type passwords into the username field) and on the address; a trusted
   * device on its own key instead, so that the locks strangers earned on the
   * account and the address do not apply to it. Every attempt, a trusted
   * device's too, counts toward the account's hard cap.
   */
  async keysFor(attempt: Attempt): Promise<ThrottleKey[]> {
    const settings = this.#settings;
    const account = await sha256hex(attempt.account);
    const cap: ThrottleKey = {
      id: `cap:${account}`,
      scope: 'account',
      free: settings.accountHardCap,
      cap: settings.accountHardCap,
    };
    if (attempt.deviceId) {
      return [
        {
          id: `device:${await sha256hex(attempt.deviceId)}`,
          scope: 'device',
          free: settings.deviceFreeFailures,
        },
        cap,
      ];
    }
    const keys: ThrottleKey[] = [
      { id: `account:${account}`, scope: 'account', free: settings.accountFreeFailures },
      cap,
    ];
    if (attempt.ip) {
      keys.push({
        id: `address:${throttleAddress(attempt.ip)}`,
        scope: 'address',
        free: settings.addressFreeFailures,
        keepFailures: true,
      });
    }
    return keys;
  }

  /**
   * Takes a slot on every key, waiting (at most queueWaitMs) while the free
   * slots are all in flight. Throws THROTTLED when a key is locked by its
   * failures, or, after the wait, with a "busy" message.
   *
   * Keys are taken in one order (account or device, cap, address); an
   * attempt waits on the first key whose slots are all in flight, holding the
   * slots before it only, so no two attempts wait on each other. The waiting
   * costs no command: a waiter here is handed the slot of an attempt that
   * succeeded (no command either; it goes straight to the hash), or is woken
   * when this process sees the key locked (refused at once) or gives a slot
   * back. The first waiter looks at the database now and then only while no
   * attempt here holds a slot of the key (the slots are held by other
   * processes).
   */
  async admit(keys: ThrottleKey[], now: Date): Promise<Admission> {
    const slots: (string | null)[] = keys.map(() => null);
    const deadline = Date.now() + this.#settings.queueWaitMs;
    // Keys to read before choosing a slot.
    const toRead = new Set(keys.filter((key) => key.free === 0).map((key) => key.id));
    try {
      for (;;) {
        const missing = keys
          .map((key, index) => ({ key, index }))
          .filter(({ index }) => !slots[index]);
        // A lock seen here: refused without a command.
        for (const { key } of missing) {
          const waitMs = this.#knownLockMs(key.id, now);
          if (waitMs > 0) throw throttled(key.scope, waitMs);
        }
        if (Date.now() >= deadline) throw busy(missing[0]!.key.scope);
        const reading = missing.filter(({ key }) => toRead.has(key.id)).map(({ key }) => key);
        const states =
          reading.length > 0 ? await this.#read(reading, now) : new Map<string, KeyState>();

        // In key order (account or device, cap, address), choose and reserve
        // a slot on each, up to the first key that has to wait or be read.
        const chosen: { index: number; id: string; key: ThrottleKey; verify: boolean }[] = [];
        let stop: { key: ThrottleKey; index: number; wait: boolean } | null = null;
        for (const { key, index } of missing) {
          const state = states.get(key.id);
          const choice = state ? this.#choose(key, state, now) : this.#chooseUnread(key);
          if (choice === 'wait' || choice === 'read') {
            stop = { key, index, wait: choice === 'wait' };
            break;
          }
          this.#held.set(choice, Date.now() + PENDING_MS);
          // The one-at-a-time slot taken without reading: the lock is read after taking it.
          chosen.push({ index, id: choice, key, verify: !state && choice.endsWith('#s') });
        }
        let lost = false;
        if (chosen.length > 0) {
          const inserted = await this.#insertSlots(
            chosen.map(({ id }) => id),
            now,
          );
          for (const { index, id, key } of chosen) {
            if (inserted.has(id)) {
              slots[index] = id;
            } else {
              // Taken by another process, or a failure this process did not know of: read the key.
              this.#unreserve(id);
              toRead.add(key.id);
              lost = true;
            }
          }
          const verify = chosen.filter(({ id, verify }) => verify && inserted.has(id));
          if (verify.length > 0) {
            const read = await this.#read(
              verify.map(({ key }) => key),
              now,
            );
            for (const { index, id, key } of verify) {
              const state = read.get(key.id)!;
              const waitMs = this.#lockWaitMs(key, state, now);
              if (waitMs > 0) throw throttled(key.scope, waitMs);
              if (state.failures < key.free) {
                // The hint was stale (the failures are gone): take an ordinary slot instead.
                slots[index] = null;
                await this.#database.throttle.deleteOne({ _id: id });
                this.#unreserve(id);
                toRead.add(key.id);
                lost = true;
              }
            }
          }
        }
        if (slots.every(Boolean)) return { keys, slots: slots as string[] };
        if (lost || !stop) continue;
        if (!stop.wait) {
          toRead.add(stop.key.id);
          continue;
        }
        // Waiting on a key, an attempt holds slots of the keys before it only
        // (one order for everybody: no two attempts wait on each other). The
        // slots it holds let a slot handed to it go straight to the hash.
        const later = keys
          .map((_, index) => index)
          .filter((index) => index > stop.index && slots[index]);
        if (later.length > 0) {
          await this.#release(later.map((index) => slots[index]!));
          for (const index of later) slots[index] = null;
        }
        const woken = await this.#wait(stop.key.id, deadline);
        if (woken === 'timeout') throw busy(stop.key.scope);
        if (woken === 'poll') toRead.add(stop.key.id);
        else if (woken !== 'local') {
          slots[stop.index] = woken.slot;
          // Handed the last slot it needed: admitted, however late.
          if (slots.every(Boolean)) return { keys, slots: slots as string[] };
        }
      }
    } catch (error) {
      // Refused on one key: the others get their slot back.
      const held = slots.filter((slot): slot is string => slot !== null);
      if (held.length > 0) await this.#release(held).catch(() => {});
      throw error;
    }
  }

  /** A wrong password: every slot becomes a failure. Resolves to the locks this set. */
  async failed(admission: Admission, now: Date): Promise<NewLock[]> {
    const collection = this.#database.throttle;
    const { keys, slots } = admission;
    const forgetAfterMs = this.#settings.forgetAfterMs;
    // A slot below `free` stays taken, as the failure; the one-at-a-time slot
    // is freed for the next attempt, its failure kept under an id of its own.
    const inPlace = slots.filter((id) => !id.endsWith('#s'));
    const serial = slots.filter((id) => id.endsWith('#s'));
    try {
      if (inPlace.length > 0) {
        await collection.updateMany(
          { _id: { $in: inPlace } },
          { $set: { ...failureFields(now, forgetAfterMs) } },
        );
      }
      if (serial.length > 0) {
        await collection.insertMany(
          serial.map((id) => ({
            _id: `${keyOf(id)}#x${randomUUID()}`,
            ...failureFields(now, forgetAfterMs),
          })),
        );
        await collection.deleteMany({ _id: { $in: serial } });
      }
      // Read back: the locks this failure set, and every failure of a key
      // remembered until forgetAfterMs after its last lock.
      const states = await this.#read(keys, now);
      const locks: NewLock[] = [];
      for (const key of keys) {
        const state = states.get(key.id)!;
        const failures = state.failures;
        const lockMs = this.#lockMs(key, failures);
        // Remembered here: the attempts waiting here for the key are refused at once.
        this.#lockWaitMs(key, state, now);
        if (failures > 1) {
          await collection.updateMany(
            { ...rangeOf(key.id), failures: { $gte: 1 } },
            { $set: { expires_at: new Date(now.getTime() + lockMs + forgetAfterMs) } },
          );
        }
        if (lockMs > 0) locks.push({ scope: key.scope, waitMs: lockMs, failures });
      }
      return locks;
    } finally {
      // The in-place slots stay taken (failures): nobody to hand them to. The
      // waiters of the serial slot look again (the key is locked now).
      for (const id of slots) this.#held.delete(id);
      for (const id of serial) this.#wakeFirst(keyOf(id));
    }
  }

  /**
   * A correct password: the slots are given back, no lock is set. An account
   * or device starts afresh (failures in a row end with a success); an address
   * keeps its failures, which were other people's. A slot with a waiter here
   * is handed to it (no command); the others are deleted in one command.
   */
  async succeeded(admission: Admission, now: Date): Promise<void> {
    void now;
    const resetKeys = admission.keys.filter((key) => !key.keepFailures);
    const toDelete = admission.slots.filter((id) => !this.#handOff(id, now));
    for (const key of resetKeys) this.#failureHints.delete(key.id);
    try {
      await this.#deleteTogether([
        { _id: { $in: toDelete } },
        ...resetKeys.map((key) => ({ ...rangeOf(key.id), failures: { $gte: 1 } })),
      ]);
    } finally {
      for (const id of toDelete) this.#held.delete(id);
      // Failures ended: every waiter of a reset key may find a free slot now.
      for (const key of resetKeys) this.#wakeAll(key.id);
      for (const id of toDelete) this.#wakeFirst(keyOf(id));
    }
  }

  /** Gives the slots back without an outcome (the attempt was abandoned or refused on another key). */
  async #release(slots: string[]): Promise<void> {
    const toDelete = slots.filter((id) => !this.#handOff(id, null));
    if (toDelete.length === 0) return;
    try {
      await this.#deleteTogether([{ _id: { $in: toDelete } }]);
    } finally {
      for (const id of toDelete) this.#unreserve(id);
    }
  }

  /**
   * Hands a slot this process holds to the first attempt here waiting for its
   * key: the slot document stays as it is, so this costs no command (a slot
   * handed on for long has its lapse time pushed back). False: nobody waits.
   */
  #handOff(id: string, now: Date | null): boolean {
    const queue = this.#waiters.get(keyOf(id));
    const next = queue?.[0];
    if (!next) return false;
    const until = this.#held.get(id) ?? 0;
    if (until - Date.now() < PENDING_MS / 2) {
      this.#held.set(id, Date.now() + PENDING_MS);
      const at = now ?? new Date();
      const pendingUntil = new Date(at.getTime() + PENDING_MS);
      void this.#database.throttle
        .updateOne(
          { _id: id, failures: 0 },
          { $set: { pending_until: pendingUntil, expires_at: pendingUntil } },
        )
        .catch(() => {});
    }
    next({ slot: id });
    return true;
  }

  /** Drops a reservation (or a slot given back) and lets the first waiter of its key look again. */
  #unreserve(id: string): void {
    this.#held.delete(id);
    this.#wakeFirst(keyOf(id));
  }

  #wakeFirst(keyId: string): void {
    this.#waiters.get(keyId)?.[0]?.('local');
  }

  #wakeAll(keyId: string): void {
    for (const waiter of [...(this.#waiters.get(keyId) ?? [])]) waiter('local');
  }

  /**
   * The slot to take on a key as read: a free one below `free`, or the
   * one-at-a-time slot after a lock; 'wait' when they are all taken. Throws
   * THROTTLED when the key is locked.
   */
  #choose(key: ThrottleKey, state: KeyState, now: Date): string | 'wait' {
    const waitMs = this.#lockWaitMs(key, state, now);
    if (waitMs > 0) throw throttled(key.scope, waitMs);
    for (let index = 0; index < key.free; index++) {
      const id = `${key.id}#${index}`;
      if (!state.taken.has(id) && !this.#holds(id)) return id;
    }
    if (state.failures < key.free) return 'wait';
    const serial = `${key.id}#s`;
    return state.taken.has(serial) || this.#holds(serial) ? 'wait' : serial;
  }

  /**
   * A slot to try without reading: the lowest that this process neither holds
   * nor saw a failure on. 'wait' when the others are held here (a release here
   * wakes the waiter); 'read' when only failures seen earlier stand in the way.
   * After a lock (failures seen on every slot) the one-at-a-time slot, whose
   * lock is read once it is taken.
   */
  #chooseUnread(key: ThrottleKey): string | 'wait' | 'read' {
    const failures = this.#failureHints.get(key.id);
    let heldHere = false;
    for (let index = 0; index < key.free; index++) {
      const id = `${key.id}#${index}`;
      if (this.#holds(id)) heldHere = true;
      else if (!failures?.has(id)) return id;
    }
    if (heldHere) return 'wait';
    if ((failures?.size ?? 0) < key.free) return 'read';
    const serial = `${key.id}#s`;
    return this.#holds(serial) ? 'wait' : serial;
  }

  #holds(id: string): boolean {
    const until = this.#held.get(id);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#held.delete(id);
    return false;
  }

  #holdsAny(keyId: string): boolean {
    for (const id of this.#held.keys()) if (keyOf(id) === keyId && this.#holds(id)) return true;
    return false;
  }

  /** How long a key as read is still locked (0: not locked); a lock is remembered here. */
  #lockWaitMs(key: ThrottleKey, state: KeyState, now: Date): number {
    if (state.failures === 0) return 0;
    const until = state.lastFailureAt + this.#lockMs(key, state.failures);
    if (until <= now.getTime()) return 0;
    remember(this.#locks, key.id, until);
    // Everybody here waiting on the key is refused now, without a command each.
    this.#wakeAll(key.id);
    return until - now.getTime();
  }

  /** A lock of the key seen here that still holds (ms left), else 0. */
  #knownLockMs(keyId: string, now: Date): number {
    const until = this.#locks.get(keyId);
    if (until === undefined) return 0;
    if (until > now.getTime()) return until - now.getTime();
    this.#locks.delete(keyId);
    return 0;
  }

  /** The live slots and failures of `keys`, in one query; lapsed ones (a crashed holder, forgotten failures) are deleted. */
  async #read(keys: ThrottleKey[], now: Date): Promise<Map<string, KeyState>> {
    const collection = this.#database.throttle;
    const docs = await collection.find({ $or: keys.map((key) => rangeOf(key.id)) }).toArray();
    const states = new Map<string, KeyState>(
      keys.map((key) => [key.id, { failures: 0, lastFailureAt: 0, taken: new Set<string>() }]),
    );
    const failureIds = new Map<string, Set<string>>();
    const lapsed: string[] = [];
    for (const doc of docs) {
      const keyId = keyOf(doc._id);
      const state = states.get(keyId);
      if (!state) continue;
      if (doc.expires_at <= now) {
        lapsed.push(doc._id);
        continue;
      }
      state.taken.add(doc._id);
      if (doc.failures >= 1) {
        state.failures += 1;
        state.lastFailureAt = Math.max(state.lastFailureAt, doc.last_failure_at.getTime());
        const ids = failureIds.get(keyId) ?? new Set<string>();
        failureIds.set(keyId, ids);
        ids.add(doc._id);
      }
    }
    for (const key of keys) {
      const ids = failureIds.get(key.id);
      if (ids) remember(this.#failureHints, key.id, ids);
      else this.#failureHints.delete(key.id);
    }
    if (lapsed.length > 0)
      await collection.deleteMany({ _id: { $in: lapsed }, expires_at: { $lte: now } });
    return states;
  }

  /**
   * Inserts the slots; resolves to those this attempt got (the others were
   * taken). The inserts of all attempts started here in the same turn of the
   * event loop go in one command (a crowd costs one write, not one each).
   */
  async #insertSlots(ids: string[], now: Date): Promise<Set<string>> {
    const pendingUntil = new Date(now.getTime() + PENDING_MS);
    const docs: ThrottleDoc[] = ids.map((id) => ({
      _id: id,
      failures: 0,
      pending: 1,
      pending_until: pendingUntil,
      locked_until: null,
      last_failure_at: now,
      expires_at: pendingUntil,
    }));
    let batch = this.#insertBatch;
    if (!batch) {
      const started: InsertBatch = { docs: [], taken: Promise.resolve(new Set()) };
      started.taken = nextTurn().then(() => {
        this.#insertBatch = null;
        return this.#insertAll(started.docs);
      });
      this.#insertBatch = batch = started;
    }
    const offset = batch.docs.length;
    batch.docs.push(...docs);
    const taken = await batch.taken;
    return new Set(ids.filter((_, index) => !taken.has(offset + index)));
  }

  /** One unordered insert; resolves to the indexes whose slot was taken already (duplicate key). */
  async #insertAll(docs: ThrottleDoc[]): Promise<Set<number>> {
    try {
      await this.#database.throttle.insertMany(docs, { ordered: false });
      return new Set();
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const writeErrors = [error.writeErrors].flat();
      if (writeErrors.length === 0 || writeErrors.some((writeError) => writeError.code !== 11000))
        throw error;
      return new Set(writeErrors.map((writeError) => writeError.index));
    }
  }

  /** Deletes what any of `clauses` matches; the deletes of one turn of the event loop go in one command. */
  async #deleteTogether(clauses: Filter<ThrottleDoc>[]): Promise<void> {
    let batch = this.#deleteBatch;
    if (!batch) {
      const started: DeleteBatch = { clauses: [], done: Promise.resolve() };
      started.done = nextTurn().then(async () => {
        this.#deleteBatch = null;
        await this.#database.throttle.deleteMany({ $or: started.clauses });
      });
      this.#deleteBatch = batch = started;
    }
    batch.clauses.push(...clauses);
    await batch.done;
  }

  /**
   * Waits in this process's queue for the key: handed a slot, woken to look
   * again ('local'), sent to the database ('poll': only the first waiter, and
   * only while no attempt here holds a slot of the key, since a release here
   * wakes it), or out of time.
   */
  #wait(keyId: string, deadline: number): Promise<Wake | 'timeout'> {
    return new Promise((resolve) => {
      const queue = this.#waiters.get(keyId) ?? [];
      this.#waiters.set(keyId, queue);
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = (outcome) => {
        clearTimeout(timer);
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        if (queue.length === 0 && this.#waiters.get(keyId) === queue) this.#waiters.delete(keyId);
        resolve(outcome);
      };
      queue.push(waiter);
      const arm = () => {
        const left = deadline - Date.now();
        if (left <= 0) return waiter('timeout');
        timer = setTimeout(
          () => {
            if (Date.now() >= deadline) waiter('timeout');
            else if (queue[0] === waiter && !this.#holdsAny(keyId)) waiter('poll');
            else arm();
          },
          Math.min(POLL_MS * (0.5 + Math.random()), left),
        );
      };
      arm();
    });
  }

  /**
   * Counts one use of a sliding-window quota (registrations per address), or
   * throws THROTTLED with the time until the oldest use leaves the window.
   * One document per use and no lease: parallel uses do not queue behind one
   * another. Each use is written first and then counted with the others, so
   * parallel uses can only undercount the room left, never exceed the limit.
   * A key already at its limit is refused before anything is written: a flood
   * of refused calls costs reads only. `key.reason` says what is limited in
   * the refusal (default: the sign-in wording of its scope).
   */
  async takeQuota(
    key: { id: string; scope: ThrottleScope; reason?: string },
    limit: number,
    windowMs: number,
    now: Date,
  ): Promise<void> {
    const collection = this.#database.throttle;
    // An _id range: every use of this key (the character after ':' is ';').
    const uses = { _id: { $gt: `${key.id}:`, $lt: `${key.id};` }, expires_at: { $gt: now } };
    const refuse = async () => {
      const [oldest] = await collection.find(uses).sort({ expires_at: 1 }).limit(1).toArray();
      return throttled(key.scope, (oldest?.expires_at.getTime() ?? now.getTime() + windowMs) - now.getTime(), key.reason);
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
}

/** The key a slot or failure document belongs to (`<key>#...`). */
function keyOf(id: string): string {
  return id.slice(0, id.lastIndexOf('#'));
}

/** Every slot and failure document of a key: ids `<key>#...` (the character after '#' is '$'). */
function rangeOf(keyId: string) {
  return { _id: { $gt: `${keyId}#`, $lt: `${keyId}$` } };
}

/** A slot's fields once its attempt failed. */
function failureFields(now: Date, forgetAfterMs: number) {
  return {
    failures: 1,
    pending: 0,
    pending_until: null,
    locked_until: null,
    last_failure_at: now,
    expires_at: new Date(now.getTime() + forgetAfterMs),
  };
}

/** An admitted attempt holds its slots this long at most (Argon2 takes well under a second). */
const PENDING_MS = 30_000;
/** How often a waiting attempt looks for slots given back by other processes. */
const POLL_MS = 200;

const THROTTLED_MESSAGES: Record<ThrottleScope, string> = {
  account: 'Too many failed sign-in attempts for this account.',
  address: 'Too many failed sign-in attempts from your network.',
  device: 'Too many failed sign-in attempts from this device.',
  registration: 'Too many sign-ups from your network.',
  passkey: 'Too many passkey requests.',
};

/** A 429: `reason` says what is throttled (by default the sign-in wording of `scope`), the message adds the wait. */
export function throttled(scope: ThrottleScope, waitMs: number, reason = THROTTLED_MESSAGES[scope]): AuthError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new AuthError('THROTTLED', `${reason} Try again in ${describeWait(seconds)}.`, {
    retryAfterSeconds: seconds,
    scope,
    waitReason: reason,
  });
}

const BUSY_MESSAGES: Record<ThrottleScope, string> = {
  account: 'Too many sign-ins in progress for this account.',
  address: 'Too many sign-ins in progress from your network.',
  device: 'Too many sign-ins in progress from this device.',
  registration: 'Too many sign-ups in progress from your network.',
  passkey: 'Too many passkey requests in progress.',
};

/** Refused after waiting queueWaitMs for a slot: load, not failures (the message says so). */
export function busy(scope: ThrottleScope): AuthError {
  return new AuthError('THROTTLED', `${BUSY_MESSAGES[scope]} Try again in a few seconds.`, {
    retryAfterSeconds: BUSY_RETRY_SECONDS,
    scope,
    waitReason: BUSY_MESSAGES[scope],
  });
}

/** What a busy refusal asks to wait: the slots in flight are decided within about that. */
const BUSY_RETRY_SECONDS = 2;

function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  if (seconds < 3 * 3600) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.ceil(seconds / 3600)} hours`;
}

/** The failures on record for a throttle key id (for tests and operators: what a key holds now). */
export async function failuresOnRecord(
  database: Database,
  keyId: string,
  now: Date,
): Promise<number> {
  return database.throttle.countDocuments({
    ...rangeOf(keyId),
    failures: { $gte: 1 },
    expires_at: { $gt: now },
  });
}
