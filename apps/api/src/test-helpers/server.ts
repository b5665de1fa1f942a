// The API in this process for a test file: a real server on a free port over a
// fresh database, with the production logger writing into memory.
import { Writable } from 'node:stream';
import { createAuth, type Auth, type AuthOptions } from '@authkit/auth';
import { connectDatabase, type Database } from '@authkit/db';
import { testDatabaseUrl } from '@authkit/db/testing';
import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '../logger.ts';
import { createApiServer } from '../server.ts';

export const WEB_ORIGIN = 'http://localhost:5173';

export interface TestApi {
  url: string;
  auth: Auth;
  database: Database;
  /** Every log line the server wrote, parsed. */
  logs: Record<string, unknown>[];
  /** The raw log output. */
  logText(): string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Keep every log line for `logs` (the default); false writes them to nowhere, for long runs. */
  keepLogs?: boolean;
  /** Let the database client emit `commandStarted` (for counting round trips). */
  monitorCommands?: boolean;
  /** TRUST_PROXY: believe X-Forwarded-For and X-Forwarded-Proto (default false). */
  trustProxy?: boolean;
}

export async function startTestApi(
  options: Partial<Omit<AuthOptions, 'database'>> = {},
  harness: HarnessOptions = {},
): Promise<TestApi> {
  const database = connectDatabase(testDatabaseUrl(), {
    monitorCommands: harness.monitorCommands ?? false,
  });
  const auth = createAuth({
    // Tests sign in many times from one address: only the account throttle matters here.
    throttle: {
      accountFreeFailures: 3,
      addressFreeFailures: 1_000,
      baseLockMs: 60_000,
      registrationsPerHour: 10_000,
    },
    // Admins in tests not about second factors work without one; those tests turn the rule on.
    requireMfaForAdmins: false,
    ...options,
    database,
  });
  await auth.ensureReady();
  const lines: string[] = [];
  const keepLogs = harness.keepLogs ?? true;
  const stream = new Writable({
    write(chunk, _encoding, done) {
      if (keepLogs) lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  // The production logger (its redaction included), at a level that keeps everything.
  const logger = createLogger({ logLevel: 'debug' }, stream);
  const api = createApiServer({
    auth,
    config: {
      host: '127.0.0.1',
      port: 0,
      webOrigin: WEB_ORIGIN,
      trustProxy: harness.trustProxy ?? false,
    },
    logger,
  });
  const { url } = await api.listen();
  return {
    url,
    auth,
    database,
    get logs() {
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    logText: () => lines.join('\n'),
    async close() {
      await api.close();
      // Stops the mail sender and the feed reader (as main.ts does) before the database goes.
      await auth.close();
      await database.db.dropDatabase().catch(() => {});
      await database.close();
    },
  };
}

/**
 * The test API of the calling test file: started by a beforeAll hook on its
 * own fresh database, closed (and the database dropped) by an afterAll hook.
 * Call it at the top of a test file; read its fields inside tests.
 */
export function useTestApi(
  options: Partial<Omit<AuthOptions, 'database'>> = {},
  harness: HarnessOptions = {},
): TestApi {
  let current: TestApi | undefined;
  beforeAll(async () => {
    current = await startTestApi(options, harness);
  });
  afterAll(async () => {
    await current?.close();
  });
  const started = (): TestApi => {
    if (!current) throw new Error('the test API starts in beforeAll: use it inside tests');
    return current;
  };
  return {
    get url() {
      return started().url;
    },
    get auth() {
      return started().auth;
    },
    get database() {
      return started().database;
    },
    get logs() {
      return started().logs;
    },
    logText: () => started().logText(),
    close: () => started().close(),
  };
}
