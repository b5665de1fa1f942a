// The API process: `pnpm --filter api start` (production) or `dev`.
import { setTimeout as sleep } from 'node:timers/promises';
import { createAuth } from '@authkit/auth';
import { connectDatabase } from '@authkit/db';
import { ConfigError, loadConfig, startupWarnings, type Config } from './config.ts';
import { createLogger } from './logger.ts';
import { createApiServer } from './server.ts';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const logger = createLogger(config);
for (const warning of startupWarnings(config)) logger.warn(warning);
// A crash is logged as one fatal line, and the exit writes out the lines still
// buffered (the log destination is asynchronous: logger.ts).
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.once(event, (error: unknown) => {
    logger.fatal(
      { err: error },
      event === 'uncaughtException' ? 'uncaught exception' : 'unhandled rejection',
    );
    process.exit(1);
  });
}

// Connects lazily and reconnects by itself: the API starts while the database
// is down, answers 503 meanwhile, and recovers when it is back.
const database = connectDatabase(config.mongodbUrl, { serverSelectionTimeoutMS: 2_000 });
const auth = createAuth({ ...config.auth, database });

let ready = false;
const shutdown = new AbortController();
const api = createApiServer({ auth, config, logger, isReady: () => ready });

// Indexes (unique usernames and emails among them) must exist before the API
// takes writes; keep trying in the background until the database answers.
async function prepareDatabase(): Promise<void> {
  for (let attempt = 1; !shutdown.signal.aborted; attempt++) {
    try {
      await auth.ensureReady();
      ready = true;
      logger.info('database ready');
      return;
    } catch (error) {
      const delayMs = Math.min(5_000, 250 * 2 ** attempt);
      logger.warn(
        { attempt, retryInMs: delayMs, cause: (error as Error).message },
        'database not ready',
      );
      await sleep(delayMs, undefined, { signal: shutdown.signal }).catch(() => {});
    }
  }
}

// Expired sessions go by the TTL index where the server has one; this sweep
// covers servers without it (and the time before the TTL monitor runs).
const SWEEP_INTERVAL_MS = 15 * 60_000;
const sweep = setInterval(() => {
  if (!ready) return;
  auth.deleteExpiredSessions().then(
    (deleted) => deleted > 0 && logger.info({ deleted }, 'expired sessions deleted'),
    (error: unknown) => logger.warn({ cause: (error as Error).message }, 'session sweep failed'),
  );
}, SWEEP_INTERVAL_MS);
sweep.unref();

try {
  const { url } = await api.listen();
  logger.info({ url, env: config.nodeEnv }, 'api listening');
} catch (error) {
  logger.fatal({ err: error }, 'cannot listen');
  await database.close();
  process.exit(1);
}
void prepareDatabase();

async function stop(signal: string): Promise<void> {
  if (shutdown.signal.aborted) return;
  shutdown.abort();
  clearInterval(sweep);
  logger.info({ signal }, 'shutting down');
  await api.close(); // stop accepting, finish in-flight requests
  // Background work stops and write-behind state is flushed while the database is still open.
  try {
    await auth.close();
  } catch (error) {
    logger.warn({ cause: (error as Error).message }, 'auth did not close cleanly');
  }
  await database.close();
  logger.info('stopped');
  // Nothing left (a pending retry, a driver timer) may hold the process after a stop.
  process.exit(0);
}
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
