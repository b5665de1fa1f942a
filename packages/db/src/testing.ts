// Test helpers: a fresh, uniquely named database per test file, dropped afterwards.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { connectDatabase, ensureIndexes, type Database } from './client.ts';

export { startTestServer } from './testing-server.ts';

/** A database name that no other test file uses. */
export function uniqueDatabaseName(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** The connection string of a fresh database on the test run's server. */
export function testDatabaseUrl(dbName = uniqueDatabaseName()): string {
  return `${inject('mongodbUrl')}/${dbName}`;
}

/**
 * Registers beforeAll/afterAll hooks that create a fresh database with its
 * indexes and drop it at the end. Read `.current` inside tests.
 */
export function useTestDatabase(): { current: Database; url: string } {
  const handle = { current: undefined as unknown as Database, url: '' };
  beforeAll(async () => {
    handle.url = testDatabaseUrl();
    handle.current = connectDatabase(handle.url);
    await ensureIndexes(handle.current);
  });
  afterAll(async () => {
    await handle.current?.db.dropDatabase().catch(() => {});
    await handle.current?.close();
  });
  return handle;
}
