// The API's configuration, read once from the environment and validated; a bad
// value stops the process at start with a message naming the variable.
import { authSettingsFromEnv } from '@authkit/auth';
import { z } from 'zod';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .default('false')
  .transform((value) => value === 'true' || value === '1');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  MONGODB_URL: z
    .string({ error: 'is required (e.g. mongodb://127.0.0.1:27017/authkit)' })
    .min(1, 'is required (e.g. mongodb://127.0.0.1:27017/authkit)')
    .refine(
      (value) => /^mongodb(\+srv)?:\/\//.test(value),
      'must start with mongodb:// or mongodb+srv://',
    ),
  // The SvelteKit site: the only origin allowed by CORS and by the CSRF check.
  WEB_ORIGIN: z
    .url()
    .default('http://localhost:5173')
    .transform((value) => new URL(value).origin),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Behind a reverse proxy: take the client address from X-Forwarded-For.
  TRUST_PROXY: booleanFlag,
});

export interface Config {
  port: number;
  host: string;
  mongodbUrl: string;
  webOrigin: string;
  nodeEnv: 'development' | 'production' | 'test';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  trustProxy: boolean;
  /** Auth settings (cookie, session lifetimes, throttling, mail: SITE_URL, SMTP_URL, ...). */
  auth: ReturnType<typeof authSettingsFromEnv>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  let auth: Config['auth'];
  try {
    auth = authSettingsFromEnv(env);
  } catch (error) {
    throw new ConfigError(
      `Invalid environment: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const values = parsed.data;
  return {
    port: values.PORT,
    host: values.HOST,
    mongodbUrl: values.MONGODB_URL,
    webOrigin: values.WEB_ORIGIN,
    nodeEnv: values.NODE_ENV,
    logLevel: values.LOG_LEVEL,
    trustProxy: values.TRUST_PROXY,
    auth,
  };
}

/** What a start should warn about: it works, but probably not as the operator meant. */
export function startupWarnings(config: Config): string[] {
  const warnings: string[] = [];
  // Production without SMTP_URL is allowed: another process (or a later start) may send.
  if (config.nodeEnv === 'production' && !config.auth.smtpUrl) {
    warnings.push(
      'SMTP_URL is not set: mail is kept in the outbox until a process with SMTP_URL sends it.',
    );
  }
  return warnings;
}
