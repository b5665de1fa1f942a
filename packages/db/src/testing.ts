// Test helpers: a fresh, uniquely named database per test file, dropped afterwards.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { connectDatabase, ensureIndexes, type ConnectOptions, type Database } from './client.ts';

export { startTestServer } from './testing-server.ts';

// What the global setup (testing-global-setup.ts) hands to every test file: the
// test run's server address. Declared here, in the module every test imports,
// so `inject('mongodbUrl')` is typed in any package without further imports.
declare module 'vitest' {
  export interface ProvidedContext {
    mongodbUrl: string;
  }
}

/** A database name that no other test file uses. */
export function uniqueDatabaseName(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** The connection string of a fresh database on the test run's server. */
export function testDatabaseUrl(dbName = uniqueDatabaseName()): string {
  return `${inject('mongodbUrl')}/${dbName}`;
}

/**
 * A fresh database for the calling test file: the client is made at once (it
 * connects lazily, so `.current` can be handed to code under test straight
 * away), a beforeAll hook creates the indexes and an afterAll hook drops the
 * database. Call it at the top of a test file.
 */
export function useTestDatabase(
  options: Omit<ConnectOptions, 'dbName'> = {},
): { readonly current: Database; readonly url: string } {
  const url = testDatabaseUrl();
  const current = connectDatabase(url, options);
  beforeAll(async () => {
    await ensureIndexes(current);
  });
  afterAll(async () => {
    await current.db.dropDatabase().catch(() => {});
    await current.close();
  });
  return { current, url };
}
