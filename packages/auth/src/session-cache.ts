// The per-process session cache: validated (session, user) pairs by session id
// (the token's hash), bounded in entries (LRU) and in age. Whether an entry may
// be trusted at all is the invalidation feed's call (invalidation-feed.ts); this
// module only holds entries and drops them.
import { LRUCache } from 'lru-cache';
import type { SessionDoc } from '@authkit/db';
import type { PublicUser } from './types.ts';

/**
 * An entry is re-read from the database at least this often, whatever the
 * feed says: a backstop, well inside the feed's retention, so that an entry
 * never outlives the feed entries that could invalidate it.
 */
export const CACHE_ENTRY_MAX_AGE_MS = 60_000;

export interface CachedSession {
  doc: SessionDoc;
  user: PublicUser;
}

export class SessionCache {
  readonly #entries: LRUCache<string, CachedSession>;
  /** Session ids by user id, for user-wide invalidations. */
  readonly #byUser = new Map<string, Set<string>>();
  /**
   * Bumped by every eviction. A miss notes it before its database read and
   * caches the result only if it is unchanged afterwards: an invalidation that
   * landed while the read was in flight must not be undone by a late insert.
   */
  #generation = 0;

  constructor(maxEntries: number) {
    this.#entries = new LRUCache<string, CachedSession>({
      max: maxEntries,
      // lru-cache measures age with performance.now(): real time, not a test clock.
      ttl: CACHE_ENTRY_MAX_AGE_MS,
      updateAgeOnGet: false,
      dispose: (value, sessionId) => this.#unlink(value.doc.user_id, sessionId),
    });
  }

  get size(): number {
    return this.#entries.size;
  }

  get generation(): number {
    return this.#generation;
  }

  get(sessionId: string): CachedSession | undefined {
    return this.#entries.get(sessionId);
  }

  /** Caches what a miss read, unless an eviction happened since `generation` was noted. */
  add(sessionId: string, entry: CachedSession, generation: number): void {
    if (generation !== this.#generation) return;
    this.#put(sessionId, entry);
  }

  /** Replaces an entry that is still cached (a touch on a hit); never adds one. */
  replace(sessionId: string, entry: CachedSession): void {
    if (this.#entries.has(sessionId)) this.#put(sessionId, entry);
  }

  /** Drops an entry the database no longer has (no race to guard: nothing staler can come of it). */
  forget(sessionId: string): void {
    this.#entries.delete(sessionId);
  }

  evictSession(sessionId: string): void {
    this.#generation++;
    this.#entries.delete(sessionId);
  }

  evictUser(userId: string): void {
    this.#generation++;
    for (const sessionId of [...(this.#byUser.get(userId) ?? [])]) this.#entries.delete(sessionId);
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }

  #put(sessionId: string, entry: CachedSession): void {
    this.#entries.set(sessionId, entry);
    let ids = this.#byUser.get(entry.doc.user_id);
    if (!ids) this.#byUser.set(entry.doc.user_id, (ids = new Set()));
    ids.add(sessionId);
  }

  #unlink(userId: string, sessionId: string): void {
    const ids = this.#byUser.get(userId);
    if (!ids) return;
    ids.delete(sessionId);
    if (ids.size === 0) this.#byUser.delete(userId);
  }
}
