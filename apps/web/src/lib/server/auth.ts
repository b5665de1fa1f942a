// One Auth instance (and database connection) per server process.
import { createAuth, type Auth } from '@authkit/auth';
import { connectDatabase, type Database } from '@authkit/db';
import { getConfig } from './config.ts';

let auth: Auth | undefined;
let database: Database | undefined;
let ready = false;
let retry: ReturnType<typeof setTimeout> | undefined;

/** The process's Auth; created on first use from the configuration. */
export function getAuth(): Auth {
  if (!auth) {
    const config = getConfig();
    database = connectDatabase(config.mongodbUrl);
    auth = createAuth({ database, ...config.auth });
  }
  return auth;
}

/**
 * Creates indexes. When the database is down at start the site still starts
 * (answering 503 where it needs the database) and tries again until it works.
 */
export async function prepareAuth(): Promise<void> {
  if (ready) return;
  try {
    await getAuth().ensureReady();
    ready = true;
  } catch (error) {
    console.warn(
      `[web] database not ready (${error instanceof Error ? error.message : String(error)}); retrying in 5 s`,
    );
    clearTimeout(retry);
    retry = setTimeout(() => void prepareAuth(), 5_000);
    retry.unref();
  }
}

/**
 * At shutdown, once the HTTP server has answered its last request: stops the
 * Auth's background work (flushing what it holds back), then closes the
 * database client, whose open sockets would otherwise keep the process alive.
 */
export async function closeAuth(): Promise<void> {
  clearTimeout(retry);
  const [closing, connection] = [auth, database];
  auth = undefined;
  database = undefined;
  try {
    await closing?.close();
  } finally {
    await connection?.close();
  }
}
