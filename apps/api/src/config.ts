// The API's configuration, read once from the environment and validated; a bad
// value stops the process at start with a message naming the variable.
import {
  authSettingsFromEnv,
  defaultSettings,
  relyingPartyWarning,
  withDevelopmentDefaults,
} from '@authkit/auth';
import { z } from 'zod';
import { parseTrustProxy, type TrustProxy } from './proxy.ts';

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
  // Behind reverse proxies: how many (true = 1), or their addresses/CIDRs; the
  // client address is then taken from X-Forwarded-For past them.
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value, context) => {
      const parsed = parseTrustProxy(value);
      if (parsed === null) {
        context.addIssue({
          code: 'custom',
          message:
            'expected true, false, a number of proxies, or a comma list of proxy addresses/CIDRs',
        });
        return z.NEVER;
      }
      return parsed;
    }),
});

export interface Config {
  port: number;
  host: string;
  mongodbUrl: string;
  webOrigin: string;
  nodeEnv: 'development' | 'production' | 'test';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  trustProxy: TrustProxy;
  /** Auth settings (cookie, session lifetimes, throttling, mail: SITE_URL, SMTP_URL, ...). */
  auth: ReturnType<typeof authSettingsFromEnv>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(given: Record<string, string | undefined> = process.env): Config {
  // In development an unset MONGODB_URL (SMTP_URL) means what `turbo dev` serves.
  const env = withDevelopmentDefaults(given);
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
  if (values.NODE_ENV === 'production' && !auth.secretKey) {
    // Device cookies are signed with it; a key made up at start would void them at every restart.
    throw new ConfigError(
      'Invalid environment:\n  AUTH_SECRET_KEY: is required in production (32+ random bytes, hex or base64: `openssl rand -base64 32`)',
    );
  }
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
  // Passkeys are bound to SITE_URL's host, which a browser refuses when it is an IP address.
  const passkeys = relyingPartyWarning(config.auth.siteUrl ?? defaultSettings.siteUrl);
  if (passkeys) warnings.push(passkeys);
  return warnings;
}
