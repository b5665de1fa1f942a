// What the operators' tools share: parsing the command line, connecting with
// the environment's settings, and saying why the database could not be reached.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { authSettingsFromEnv, createAuth, isAuthError, type Auth, type AuthOptions } from '@authkit/auth';
import { connectDatabase, isDatabaseUnavailable, type Database } from '@authkit/db';

/** Prints `message` to stderr and exits with `code` (1: bad usage or input, 2: anything else). */
export function fail(message: string, code: number): never {
  console.error(message);
  process.exit(code);
}

/** The command line's values (`config` needs a boolean `help`); `--help` prints `usage`, a bad option fails with it. */
export function parseCommandLine<const T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ReturnType<typeof parseArgs<T>>['values'] {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    fail(`${(error as Error).message}\n${usage}`, 1);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed.values;
}

/** An Auth on MONGODB_URL with the environment's settings (a bad one fails with its name). */
export function authFromEnvironment(overrides: Partial<AuthOptions> = {}): {
  auth: Auth;
  database: Database;
  /** The settings the environment gave (without defaults). */
  given: ReturnType<typeof authSettingsFromEnv>;
} {
  const mongodbUrl = process.env.MONGODB_URL;
  if (!mongodbUrl) fail('MONGODB_URL is required (e.g. mongodb://127.0.0.1:27017/authkit).', 1);
  let given;
  try {
    given = authSettingsFromEnv(process.env);
  } catch (error) {
    fail((error as Error).message, 1);
  }
  const database = connectDatabase(mongodbUrl);
  return { auth: createAuth({ ...given, ...overrides, database }), database, given };
}

/** The driver's own message when the database was out of reach (it names the address), else null. */
export function unreachableDatabase(error: unknown): string | null {
  if (!isAuthError(error, 'UNAVAILABLE') && !isDatabaseUnavailable(error)) return null;
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return `Cannot reach the database at MONGODB_URL: ${(cause as Error).message}`;
}
