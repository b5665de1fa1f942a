// The web app's configuration, read once from the environment and validated
// with zod. A bad or missing value stops the app at start with a message that
// names the variable.
import { authSettingsFromEnv, withDevelopmentDefaults } from '@authkit/auth';
import type { AuthEnvSettings } from '@authkit/auth';
import { z } from 'zod';

const envSchema = z.object({
  MONGODB_URL: z
    .string({ error: 'is required (a MongoDB connection string, database name in the path)' })
    .trim()
    .regex(/^mongodb(\+srv)?:\/\/.+/, 'must be a mongodb:// or mongodb+srv:// connection string'),
  ORIGIN: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://example.com' })
    .optional(),
  // The API's base URL as this server reaches it; the site forwards /trpc/* there (passkeys).
  API_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:3001' })
    .optional(),
});

export interface WebConfig {
  mongodbUrl: string;
  origin: string | undefined;
  /** The API (no trailing slash), or undefined: no /trpc forwarding, no passkeys. */
  apiUrl: string | undefined;
  auth: AuthEnvSettings;
}

/** Parses an environment; throws an Error naming the first bad variable. */
export function parseConfig(given: Record<string, string | undefined>): WebConfig {
  // In development an unset MONGODB_URL (SMTP_URL) means what `turbo dev` serves.
  const env = withDevelopmentDefaults(given);
  const present = Object.fromEntries(
    Object.entries(env).filter(
      ([name, value]) => name in envSchema.shape && value !== undefined && value.trim() !== '',
    ),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new Error(`Invalid environment variable ${name}: ${issue?.message ?? 'invalid value'}`);
  }
  const auth = authSettingsFromEnv(env);
  if (env.NODE_ENV === 'production' && !auth.secretKey) {
    // Device cookies are signed with it; a key made up at start would void them at every restart.
    throw new Error(
      'Invalid environment variable AUTH_SECRET_KEY: is required in production (32+ random bytes, hex or base64)',
    );
  }
  return {
    mongodbUrl: parsed.data.MONGODB_URL,
    origin: parsed.data.ORIGIN,
    apiUrl: parsed.data.API_URL?.replace(/\/+$/, ''),
    auth,
  };
}

let config: WebConfig | undefined;

/** The process's configuration (parsed on first use). */
export function getConfig(): WebConfig {
  config ??= parseConfig(process.env);
  return config;
}
