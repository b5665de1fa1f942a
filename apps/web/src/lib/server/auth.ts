// One Auth instance (and database connection) per server process.
import { createAuth, type Auth } from '@authkit/auth';
import { connectDatabase, type Database } from '@authkit/db';
import { getConfig } from './config.ts';
import { useSignedCookies } from './signed-cookie.ts';

let auth: Auth | undefined;
let database: Database | undefined;
let ready = false;
let attempt: Promise<boolean> | undefined;
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

/** True once the indexes exist (unique usernames and emails among them). */
export function isAuthReady(): boolean {
  return ready;
}

/**
 * Creates the indexes; resolves to whether they exist now. When the database
 * is down at start the site still starts (answering 503 where it needs the
 * database) and tries again every 5 s until it works. Calls made while an
 * attempt runs share it.
 */
export function prepareAuth(): Promise<boolean> {
  if (ready) return Promise.resolve(true);
  attempt ??= tryPrepare().finally(() => {
    attempt = undefined;
  });
  return attempt;
}

async function tryPrepare(): Promise<boolean> {
  try {
    const instance = getAuth();
    // After a first connection that failed (database down at start), the
    // driver's client stays closed ("Topology is closed") until connected again.
    await instance.database.client.connect();
    // The key of the site's signed cookies (flash, pending form): derived from
    // AUTH_SECRET_KEY, or in development read from the database (until then,
    // those cookies are neither set nor believed).
    const key = await instance.siteCookieKey();
    useSignedCookies({ key, secureCookies: instance.settings.secureCookies });
    await instance.ensureReady();
    ready = true;
    clearTimeout(retry);
    return true;
  } catch (error) {
    console.warn(
      `[web] database not ready (${error instanceof Error ? error.message : String(error)}); retrying in 5 s`,
    );
    clearTimeout(retry);
    retry = setTimeout(() => void prepareAuth(), 5_000);
    retry.unref();
    return false;
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
