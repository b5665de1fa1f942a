// The session invalidation feed (collection session_invalidations): whatever
// ends or narrows a session writes an entry in the same code path; every
// process reads the feed with one indexed query per interval and drops its
// cached copies. Polling only: it works on every server we support (FerretDB
// has no change streams), and its cost does not grow with traffic.
//
// Why no invalidation is missed (see also packages/auth/README.md):
// - An entry's `at` is set by the database server's clock ($currentDate), so
//   the app processes' clocks never need to agree.
// - A reader keeps a cursor: the highest `at` it has seen. It asks for
//   `at >= cursor - FEED_MARGIN_MS` and skips entries it has already applied
//   (by _id). An entry becomes visible a few ms after the server stamped it,
//   so an entry committed after a poll carries an `at` at most that much below
//   the cursor: the margin (seconds) covers it, and small steps of the
//   server's clock too.
// - A cached entry is trusted only while a poll that STARTED within the bound
//   (SESSION_CACHE_MS) succeeded: every invalidation committed before that
//   poll started was in its answer. So a copy is used at most the bound after
//   an invalidation, and not at all while the feed cannot be read.
// - A read that raced with an invalidation is not cached (SessionCache's
//   generation), and after a gap in reading longer than the bound the whole
//   cache is dropped (entries may have been missed, or swept after retention).
import { isDatabaseUnavailable, type Database, type SessionDoc } from '@authkit/db';
import { ObjectId } from 'mongodb';
import type { SessionCache } from './session-cache.ts';

/** How far below its cursor a reader looks again (late-visible entries, small clock steps). */
export const FEED_MARGIN_MS = 5_000;

export interface InvalidationTarget {
  sessionId?: string | null;
  userId?: string | null;
}

type Touch = Pick<SessionDoc, 'expires_at' | 'last_seen_at'>;

export class InvalidationFeed {
  readonly #database: Database;
  readonly #cache: SessionCache | null;
  readonly #boundMs: number;
  /** Highest server `at` seen; null until the first poll found where the feed stands. */
  #cursor: number | null = null;
  /** Entries within the margin already applied, by _id, with their `at`. */
  readonly #applied = new Map<string, number>();
  /** performance.now() when the last successful poll started. */
  #lastPollStart: number | null = null;
  /** Feed entries whose write failed (database down): written by the next tick. */
  #unwritten: InvalidationTarget[] = [];
  /** Write-behind sliding-expiry touches of cache hits, by session id. */
  #touches = new Map<string, Touch>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(database: Database, cache: SessionCache | null, boundMs: number) {
    this.#database = database;
    this.#cache = cache;
    this.#boundMs = boundMs;
  }

  /** A cached entry may be used: the feed was read within the bound. */
  trusted(): boolean {
    return this.#lastPollStart !== null && performance.now() - this.#lastPollStart <= this.#boundMs;
  }

  /**
   * Drops this process's copies at once and tells the other processes. Called
   * after the database change it announces. A write lost to an outage is
   * kept and retried by the next tick: the change itself stands, and the
   * other processes do not trust their copies while they cannot read the feed.
   */
  async record(target: InvalidationTarget): Promise<void> {
    this.evict(target);
    try {
      await this.#write(target);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      this.#unwritten.push(target);
      this.start();
    }
  }

  evict(target: InvalidationTarget): void {
    if (target.sessionId) this.#cache?.evictSession(target.sessionId);
    if (target.userId) this.#cache?.evictUser(target.userId);
  }

  /** Queues a sliding-expiry write for a cache hit; flushed in batches by the tick and by close(). */
  queueTouch(sessionId: string, touch: Touch): void {
    this.#touches.set(sessionId, touch);
    this.start();
  }

  /** Starts the reader (once; a no-op without a cache, or after close). */
  start(): void {
    if (this.#timer || this.#running || this.#closed) return;
    this.#schedule(0);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
    // What is still held goes out now; an outage at shutdown loses only touches.
    await this.#flush().catch(() => {});
    await this.#writeUnwritten().catch(() => {});
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const started = performance.now();
      this.#running = this.#tick().finally(() => {
        this.#running = null;
        // Ticks start one interval apart, however long each took.
        if (!this.#closed) this.#schedule(Math.max(0, this.#intervalMs() - (performance.now() - started)));
      });
    }, delayMs);
    // Never keeps a process alive.
    this.#timer.unref();
  }

  /** Half the bound: a poll may take up to the other half before cached entries stop being trusted. */
  #intervalMs(): number {
    return this.#cache ? Math.max(25, this.#boundMs / 2) : 1_000;
  }

  async #tick(): Promise<void> {
    // Each step on its own: an outage fails them all, and each is retried next time.
    await this.#writeUnwritten().catch(() => {});
    await this.#flush().catch(() => {});
    if (this.#cache) await this.#poll().catch(() => {});
  }

  async #poll(): Promise<void> {
    const cache = this.#cache;
    if (!cache) return;
    const started = performance.now();
    const feed = this.#database.sessionInvalidations;
    if (this.#cursor === null) {
      const newest = await feed.find({}, { projection: { at: 1 } }).sort({ at: -1 }).limit(1).next();
      this.#cursor = newest?.at.getTime() ?? 0;
    }
    const entries = await feed
      .find({ at: { $gte: new Date(this.#cursor - FEED_MARGIN_MS) } }, { projection: { session_id: 1, user_id: 1, at: 1 } })
      .toArray();
    // A gap in reading: entries may have been missed; none of the copies may be kept.
    if (this.#lastPollStart !== null && started - this.#lastPollStart > this.#boundMs) cache.clear();
    for (const entry of entries) {
      const id = entry._id.toHexString();
      if (this.#applied.has(id)) continue;
      this.#applied.set(id, entry.at.getTime());
      this.evict({ sessionId: entry.session_id, userId: entry.user_id });
      this.#cursor = Math.max(this.#cursor, entry.at.getTime());
    }
    for (const [id, at] of this.#applied) if (at < this.#cursor - FEED_MARGIN_MS) this.#applied.delete(id);
    this.#lastPollStart = started;
  }

  async #write(target: InvalidationTarget): Promise<void> {
    // An upsert on a fresh _id is a plain insert (atomic everywhere); $currentDate stamps the server's time.
    await this.#database.sessionInvalidations.updateOne(
      { _id: new ObjectId() },
      {
        $currentDate: { at: true },
        $setOnInsert: { session_id: target.sessionId ?? null, user_id: target.userId ?? null },
      },
      { upsert: true },
    );
  }

  async #writeUnwritten(): Promise<void> {
    while (this.#unwritten.length > 0) {
      await this.#write(this.#unwritten[0]!);
      this.#unwritten.shift();
    }
  }

  async #flush(): Promise<void> {
    if (this.#touches.size === 0) return;
    const batch = this.#touches;
    this.#touches = new Map();
    try {
      // No upsert: a session ended meanwhile stays gone.
      await this.#database.sessions.bulkWrite(
        [...batch].map(([sessionId, touch]) => ({ updateOne: { filter: { _id: sessionId }, update: { $set: touch } } })),
        { ordered: false },
      );
    } catch (error) {
      // Kept for the next tick, unless a newer touch of the same session came meanwhile.
      for (const [sessionId, touch] of batch) if (!this.#touches.has(sessionId)) this.#touches.set(sessionId, touch);
      throw error;
    }
  }
}
