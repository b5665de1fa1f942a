// The web app's configuration, read once from the environment and validated
// with zod. A bad or missing value stops the app at start with a message that
// names the variable.
import {
  authSettingsFromEnv,
  defaultSettings,
  parseEnvironment,
  relyingPartyIsAddress,
  withDevelopmentDefaults,
} from '@authkit/auth';
import type { AuthEnvSettings } from '@authkit/auth';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { dev } from '$app/env';

/** Where `turbo dev` runs the API (apps/api's PORT and HOST defaults): the dev site forwards /trpc there. */
export const DEV_API_URL = 'http://127.0.0.1:4000';

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
  // Optional: an ES module whose default export gives an address's approximate location (see location.ts).
  IP_LOCATION_MODULE: z
    .string()
    .trim()
    .refine((path) => isAbsolute(path), 'must be an absolute path to an ES module')
    .refine((path) => existsSync(path), 'names no file')
    .optional(),
});

/**
 * Whether the site offers passkeys: 'on', or why not (no API to run the
 * ceremonies; SITE_URL names an IP address, which browsers refuse as RP ID).
 */
export type PasskeysStatus = 'on' | 'no-api-url' | 'ip-address';

export interface WebConfig {
  /** A build (adapter-node) always; the dev server with NODE_ENV=production. */
  production: boolean;
  mongodbUrl: string;
  origin: string | undefined;
  /** The API (no trailing slash), or undefined: no /trpc forwarding, no passkeys. */
  apiUrl: string | undefined;
  passkeys: PasskeysStatus;
  /** An ES module giving sessions' approximate locations, or undefined (the default: none shown). */
  ipLocationModule: string | undefined;
  auth: AuthEnvSettings;
}

/**
 * Parses an environment; throws an Error naming the first bad variable.
 * `built`: the site runs from its build, which is production whatever
 * NODE_ENV says (`node build` sets none), so it never falls back to the dev
 * database, the dev mail server or plain-named cookies. The dev server (and
 * the unit tests) follow NODE_ENV, unset meaning development.
 */
export function parseConfig(
  given: Record<string, string | undefined>,
  { built = false }: { built?: boolean } = {},
): WebConfig {
  const production = built || given.NODE_ENV?.trim() === 'production';
  // In development an unset MONGODB_URL (SMTP_URL, API_URL) means what `turbo dev` serves.
  const env = {
    ...withDevelopmentDefaults(production ? { ...given, NODE_ENV: 'production' } : given),
  };
  const development = !production && (env.NODE_ENV?.trim() || 'development') === 'development';
  if (development && !env.API_URL?.trim()) env.API_URL = DEV_API_URL;
  const vars = parseEnvironment(envSchema, env);
  const auth = authSettingsFromEnv(env);
  // Secure (`__Host-`) cookies in production unless SECURE_COOKIES says otherwise;
  // decided here, not by the auth package's NODE_ENV default, which a build leaves unset.
  auth.secureCookies ??= production;
  if (production && !auth.secretKey) {
    // Device cookies are signed with it; a key made up at start would void them at every restart.
    throw new Error(
      'Invalid environment variable AUTH_SECRET_KEY: is required in production (32+ random bytes, hex or base64)',
    );
  }
  const apiUrl = vars.API_URL?.replace(/\/+$/, '');
  let passkeys: PasskeysStatus = 'on';
  if (!apiUrl) passkeys = 'no-api-url';
  else if (relyingPartyIsAddress(auth.siteUrl ?? defaultSettings.siteUrl)) passkeys = 'ip-address';
  return {
    production,
    mongodbUrl: vars.MONGODB_URL,
    origin: vars.ORIGIN,
    apiUrl,
    passkeys,
    ipLocationModule: vars.IP_LOCATION_MODULE,
    auth,
  };
}

let config: WebConfig | undefined;

/** The process's configuration (parsed on first use). */
export function getConfig(): WebConfig {
  // SvelteKit's `dev` is false in a build: a built site is production.
  config ??= parseConfig(process.env, { built: !dev });
  return config;
}
