// One Auth instance (and database connection) per server process.
import { createAuth, type Auth } from '@authkit/auth';
import { connectDatabase } from '@authkit/db';
import { getConfig } from './config.ts';

let auth: Auth | undefined;
let ready = false;
let retry: ReturnType<typeof setTimeout> | undefined;

/** The process's Auth; created on first use from the configuration. */
export function getAuth(): Auth {
  if (!auth) {
    const config = getConfig();
    const database = connectDatabase(config.mongodbUrl);
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
