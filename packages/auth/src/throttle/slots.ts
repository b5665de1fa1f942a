// The sign-in throttle's documents in the `login_throttle` collection: a slot
// `<key>#<n>` (or the one-at-a-time slot `<key>#s`) per attempt in flight or
// failure kept, and `<key>#x<id>` for a failure of the one-at-a-time slot.
// Which slot to take, and waiting for one, are throttle.ts's; this file only
// reads and writes them, gathering the inserts and deletes of one turn of the
// event loop into one command each.
import type { Database, ThrottleDoc } from '@authkit/db';
import { MongoBulkWriteError, type Filter } from 'mongodb';
import { randomUUID } from 'node:crypto';
import type { ThrottleKey } from './keys.ts';

/** An admitted attempt holds its slots this long at most (Argon2 takes well under a second). */
export const PENDING_MS = 30_000;

/** A key as read from the database. */
export interface KeyState {
  failures: number;
  lastFailureAt: number;
  /** Live slot and failure documents. */
  taken: Set<string>;
}

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

/** The key a slot or failure document belongs to (`<key>#...`). */
export function keyOf(id: string): string {
  return id.slice(0, id.lastIndexOf('#'));
}

/** Every slot and failure document of a key: ids `<key>#...` (the character after '#' is '$'). */
export function rangeOf(keyId: string) {
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

export class SlotStore {
  readonly #database: Database;
  /** Slot inserts and deletes gathered for one command (see insertSlots). */
  #insertBatch: InsertBatch | null = null;
  #deleteBatch: DeleteBatch | null = null;

  constructor(database: Database) {
    this.#database = database;
  }

  /**
   * The live slots and failures of `keys`, in one query, with the failure
   * documents of each key and the lapsed documents (a crashed holder,
   * forgotten failures) for `deleteLapsed`.
   */
  async find(
    keys: ThrottleKey[],
    now: Date,
  ): Promise<{
    states: Map<string, KeyState>;
    failureIds: Map<string, Set<string>>;
    lapsed: string[];
  }> {
    const docs = await this.#database.throttle
      .find({ $or: keys.map((key) => rangeOf(key.id)) })
      .toArray();
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
    return { states, failureIds, lapsed };
  }

  /** Deletes documents `find` saw lapsed (unless renewed since). */
  async deleteLapsed(ids: string[], now: Date): Promise<void> {
    if (ids.length > 0)
      await this.#database.throttle.deleteMany({ _id: { $in: ids }, expires_at: { $lte: now } });
  }

  /**
   * Inserts the slots; resolves to those this attempt got (the others were
   * taken). The inserts of all attempts started here in the same turn of the
   * event loop go in one command (a crowd costs one write, not one each).
   */
  async insertSlots(ids: string[], now: Date): Promise<Set<string>> {
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
  async deleteTogether(clauses: Filter<ThrottleDoc>[]): Promise<void> {
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

  /** Deletes one slot at once (not batched). */
  async deleteSlot(id: string): Promise<void> {
    await this.#database.throttle.deleteOne({ _id: id });
  }

  /**
   * The slots of a failed attempt become failures: a slot below `free` stays
   * taken, as the failure; the one-at-a-time slot is freed for the next
   * attempt, its failure kept under an id of its own.
   */
  async markFailed(slots: string[], now: Date, forgetAfterMs: number): Promise<void> {
    const collection = this.#database.throttle;
    const inPlace = slots.filter((id) => !id.endsWith('#s'));
    const serial = slots.filter((id) => id.endsWith('#s'));
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
  }

  /** Keeps every failure of a key until `expiresAt`. */
  async keepFailuresUntil(keyId: string, expiresAt: Date): Promise<void> {
    await this.#database.throttle.updateMany(
      { ...rangeOf(keyId), failures: { $gte: 1 } },
      { $set: { expires_at: expiresAt } },
    );
  }

  /** Pushes back the lapse of a slot still in flight (handed on to another attempt). */
  async extendPending(id: string, pendingUntil: Date): Promise<void> {
    await this.#database.throttle.updateOne(
      { _id: id, failures: 0 },
      { $set: { pending_until: pendingUntil, expires_at: pendingUntil } },
    );
  }
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
