// Defaults, option resolution and the environment reader for AuthSettings.
import { z } from 'zod';
import type { AuthOptions, AuthSettings } from './types.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const defaultSettings: Omit<AuthSettings, 'secureCookies'> = {
  cookieName: 'authkit_session',
  freshWindowMs: 10 * MINUTE,
  sessionIdleMs: 2 * HOUR,
  rememberIdleMs: 30 * DAY,
  absoluteLifetimeMs: 90 * DAY,
  protection: 'basic',
  protectionIncludesAddress: false,
  throttle: {
    accountFreeFailures: 5,
    // Higher: many people can share one address (offices, mobile carriers).
    addressFreeFailures: 20,
    baseLockMs: 30_000,
    maxLockMs: 15 * MINUTE,
    forgetAfterMs: HOUR,
  },
};

/** Options over defaults; secure cookies default to on in production. */
export function resolveSettings(options: AuthOptions): AuthSettings {
  const settings: AuthSettings = {
    cookieName: options.cookieName ?? defaultSettings.cookieName,
    secureCookies: options.secureCookies ?? process.env.NODE_ENV === 'production',
    freshWindowMs: options.freshWindowMs ?? defaultSettings.freshWindowMs,
    sessionIdleMs: options.sessionIdleMs ?? defaultSettings.sessionIdleMs,
    rememberIdleMs: options.rememberIdleMs ?? defaultSettings.rememberIdleMs,
    absoluteLifetimeMs: options.absoluteLifetimeMs ?? defaultSettings.absoluteLifetimeMs,
    protection: options.protection ?? defaultSettings.protection,
    protectionIncludesAddress: options.protectionIncludesAddress ?? defaultSettings.protectionIncludesAddress,
    throttle: { ...defaultSettings.throttle, ...options.throttle },
  };
  const durations = {
    freshWindowMs: settings.freshWindowMs,
    sessionIdleMs: settings.sessionIdleMs,
    rememberIdleMs: settings.rememberIdleMs,
    absoluteLifetimeMs: settings.absoluteLifetimeMs,
    'throttle.baseLockMs': settings.throttle.baseLockMs,
    'throttle.maxLockMs': settings.throttle.maxLockMs,
    'throttle.forgetAfterMs': settings.throttle.forgetAfterMs,
  };
  for (const [name, value] of Object.entries(durations)) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`auth setting ${name} must be a positive number`);
  }
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(settings.cookieName)) {
    throw new Error(`auth setting cookieName is not a valid cookie name: ${settings.cookieName}`);
  }
  // The __Host- prefix is added to a Secure cookie's name (and must not be on a plain one).
  if (/^__(host|secure)-/i.test(settings.cookieName)) {
    throw new Error(
      `auth setting cookieName must not start with __Host- or __Secure- (added on https): ${settings.cookieName}`,
    );
  }
  return settings;
}

const booleanVar = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');
const wholeNumberVar = z
  .string()
  .regex(/^\d+$/, 'expected a whole number')
  .transform(Number)
  .refine((value) => value > 0, 'expected a number above 0');

const envSchema = z.object({
  SESSION_COOKIE_NAME: z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected a cookie name (letters, digits, - _ . and a few symbols)')
    .optional(),
  SECURE_COOKIES: booleanVar.optional(),
  FRESH_WINDOW_MINUTES: wholeNumberVar.optional(),
  SESSION_IDLE_MINUTES: wholeNumberVar.optional(),
  REMEMBER_DAYS: wholeNumberVar.optional(),
  SESSION_ABSOLUTE_DAYS: wholeNumberVar.optional(),
  SESSION_PROTECTION: z.enum(['off', 'basic', 'strong']).optional(),
  SESSION_PROTECTION_ADDRESS: booleanVar.optional(),
});

/**
 * Reads the auth variables from an environment (unset or empty variables keep
 * the defaults). Throws an Error naming the first bad variable.
 */
export function authSettingsFromEnv(env: Record<string, string | undefined> = process.env): Partial<AuthSettings> {
  const present = Object.fromEntries(
    Object.keys(envSchema.shape)
      .map((name) => [name, env[name]?.trim()] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new Error(`Invalid environment variable ${name}=${JSON.stringify(present[name])}: ${issue?.message}`);
  }
  const vars = parsed.data;
  const settings: Partial<AuthSettings> = {};
  if (vars.SESSION_COOKIE_NAME !== undefined) settings.cookieName = vars.SESSION_COOKIE_NAME;
  if (vars.SECURE_COOKIES !== undefined) settings.secureCookies = vars.SECURE_COOKIES;
  if (vars.FRESH_WINDOW_MINUTES !== undefined) settings.freshWindowMs = vars.FRESH_WINDOW_MINUTES * MINUTE;
  if (vars.SESSION_IDLE_MINUTES !== undefined) settings.sessionIdleMs = vars.SESSION_IDLE_MINUTES * MINUTE;
  if (vars.REMEMBER_DAYS !== undefined) settings.rememberIdleMs = vars.REMEMBER_DAYS * DAY;
  if (vars.SESSION_ABSOLUTE_DAYS !== undefined) settings.absoluteLifetimeMs = vars.SESSION_ABSOLUTE_DAYS * DAY;
  if (vars.SESSION_PROTECTION !== undefined) settings.protection = vars.SESSION_PROTECTION;
  if (vars.SESSION_PROTECTION_ADDRESS !== undefined) settings.protectionIncludesAddress = vars.SESSION_PROTECTION_ADDRESS;
  return settings;
}
