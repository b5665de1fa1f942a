// Defaults, option resolution and the environment reader for AuthSettings.
import { z } from 'zod';
import { DEV_MONGODB_URL } from '@authkit/db';
import type { AuthOptions, AuthSettings } from './types.ts';
import { parseEnvironment } from './environment.ts';
import { identityProvidersFromEnv, withDevelopmentProvider } from './identity-providers/config.ts';

/** What the environment can set: AuthOptions without the database and the clock. */
export type AuthEnvSettings = Omit<AuthOptions, 'database' | 'now'>;

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
  maxSessionsPerUser: 50,
  siteUrl: 'http://localhost:5173',
  siteName: 'authkit',
  smtpUrl: null,
  mailFrom: 'authkit <no-reply@localhost>',
  requireVerifiedEmail: false,
  requireMfaForAdmins: true,
  passwordResetTokenMs: 30 * MINUTE,
  emailTokenMs: 24 * HOUR,
  sessionCacheMs: 1_000,
  sessionCacheMaxEntries: 100_000,
  throttle: {
    accountFreeFailures: 5,
    // Higher: many people can share one address (offices, mobile carriers).
    addressFreeFailures: 20,
    deviceFreeFailures: 10,
    // NIST SP 800-63B: at most 100 failed attempts in a row on an account.
    accountHardCap: 100,
    baseLockMs: 30_000,
    maxLockMs: 15 * MINUTE,
    capLockMs: 24 * HOUR,
    forgetAfterMs: HOUR,
    registrationsPerHour: 10,
    queueWaitMs: 10_000,
    maxDevicesPerAccount: 10,
    // A sign-in page asks for one; many people may share an address.
    passkeyChallengesPerWindow: 30,
  },
  deviceLifetimeMs: 180 * DAY,
  eventsRetentionMs: 90 * DAY,
  secretKey: null,
  identityProviders: [],
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
    protectionIncludesAddress:
      options.protectionIncludesAddress ?? defaultSettings.protectionIncludesAddress,
    maxSessionsPerUser: options.maxSessionsPerUser ?? defaultSettings.maxSessionsPerUser,
    siteUrl: (options.siteUrl ?? defaultSettings.siteUrl).replace(/\/+$/, ''),
    siteName: options.siteName ?? defaultSettings.siteName,
    smtpUrl: options.smtpUrl ?? defaultSettings.smtpUrl,
    mailFrom: options.mailFrom ?? defaultSettings.mailFrom,
    requireVerifiedEmail: options.requireVerifiedEmail ?? defaultSettings.requireVerifiedEmail,
    requireMfaForAdmins: options.requireMfaForAdmins ?? defaultSettings.requireMfaForAdmins,
    passwordResetTokenMs: options.passwordResetTokenMs ?? defaultSettings.passwordResetTokenMs,
    emailTokenMs: options.emailTokenMs ?? defaultSettings.emailTokenMs,
    sessionCacheMs: options.sessionCacheMs ?? defaultSettings.sessionCacheMs,
    sessionCacheMaxEntries:
      options.sessionCacheMaxEntries ?? defaultSettings.sessionCacheMaxEntries,
    throttle: { ...defaultSettings.throttle, ...options.throttle },
    deviceLifetimeMs: options.deviceLifetimeMs ?? defaultSettings.deviceLifetimeMs,
    eventsRetentionMs: options.eventsRetentionMs ?? defaultSettings.eventsRetentionMs,
    secretKey: options.secretKey ?? null,
    identityProviders: options.identityProviders ?? [],
  };
  const providerIds = settings.identityProviders.map((provider) => provider.id);
  if (new Set(providerIds).size !== providerIds.length)
    throw new Error('auth setting identityProviders has two providers with one id');
  const durations = {
    freshWindowMs: settings.freshWindowMs,
    sessionIdleMs: settings.sessionIdleMs,
    rememberIdleMs: settings.rememberIdleMs,
    absoluteLifetimeMs: settings.absoluteLifetimeMs,
    passwordResetTokenMs: settings.passwordResetTokenMs,
    emailTokenMs: settings.emailTokenMs,
    'throttle.baseLockMs': settings.throttle.baseLockMs,
    'throttle.maxLockMs': settings.throttle.maxLockMs,
    'throttle.forgetAfterMs': settings.throttle.forgetAfterMs,
    'throttle.capLockMs': settings.throttle.capLockMs,
    'throttle.queueWaitMs': settings.throttle.queueWaitMs,
    deviceLifetimeMs: settings.deviceLifetimeMs,
    eventsRetentionMs: settings.eventsRetentionMs,
  };
  for (const [name, value] of Object.entries(durations)) {
    if (!Number.isFinite(value) || value <= 0)
      throw new Error(`auth setting ${name} must be a positive number`);
  }
  if (!Number.isInteger(settings.maxSessionsPerUser) || settings.maxSessionsPerUser < 1) {
    throw new Error('auth setting maxSessionsPerUser must be a whole number of at least 1');
  }
  // 0 turns the session cache off (every request reads the database).
  if (!Number.isFinite(settings.sessionCacheMs) || settings.sessionCacheMs < 0) {
    throw new Error('auth setting sessionCacheMs must be 0 (off) or a positive number');
  }
  if (!Number.isInteger(settings.sessionCacheMaxEntries) || settings.sessionCacheMaxEntries <= 0) {
    throw new Error('auth setting sessionCacheMaxEntries must be a positive whole number');
  }
  const {
    accountFreeFailures,
    addressFreeFailures,
    deviceFreeFailures,
    accountHardCap,
    registrationsPerHour,
  } = settings.throttle;
  const { maxDevicesPerAccount, passkeyChallengesPerWindow } = settings.throttle;
  const counts = {
    accountFreeFailures,
    addressFreeFailures,
    deviceFreeFailures,
    accountHardCap,
    registrationsPerHour,
    maxDevicesPerAccount,
    passkeyChallengesPerWindow,
  };
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`auth setting throttle.${name} must be a whole number`);
  }
  if (settings.secretKey && settings.secretKey.length < 32) {
    throw new Error('auth setting secretKey must have at least 32 bytes');
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

const booleanVar = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');
const wholeNumberVar = z
  .string()
  .regex(/^\d+$/, 'expected a whole number')
  .transform(Number)
  .refine((value) => value > 0, 'expected a number above 0');
const zeroOrMoreVar = z
  .string()
  .regex(/^\d+$/, 'expected a whole number (0 or more)')
  .transform(Number);

const envSchema = z.object({
  SESSION_COOKIE_NAME: z
    .string()
    .regex(
      /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/,
      'expected a cookie name (letters, digits, - _ . and a few symbols)',
    )
    .optional(),
  SECURE_COOKIES: booleanVar.optional(),
  FRESH_WINDOW_MINUTES: wholeNumberVar.optional(),
  SESSION_IDLE_MINUTES: wholeNumberVar.optional(),
  REMEMBER_DAYS: wholeNumberVar.optional(),
  SESSION_ABSOLUTE_DAYS: wholeNumberVar.optional(),
  SESSION_PROTECTION: z.enum(['off', 'basic', 'strong']).optional(),
  SESSION_PROTECTION_ADDRESS: booleanVar.optional(),
  MAX_SESSIONS_PER_USER: wholeNumberVar.optional(),
  SITE_URL: z
    .url({
      protocol: /^https?$/,
      error: "expected the site's http(s) address, e.g. https://example.com",
    })
    .optional(),
  WEB_ORIGIN: z.url({ protocol: /^https?$/, error: 'expected an http(s) origin' }).optional(),
  ORIGIN: z.url({ protocol: /^https?$/, error: 'expected an http(s) origin' }).optional(),
  SITE_NAME: z.string().max(80, 'expected at most 80 characters').optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, 'expected smtp://host:port or smtps://user:password@host:port')
    .optional(),
  MAIL_FROM: z
    .string()
    .max(200)
    .regex(/@/, 'expected an address, e.g. "Example <no-reply@example.com>"')
    .optional(),
  REQUIRE_VERIFIED_EMAIL: booleanVar.optional(),
  REQUIRE_MFA_FOR_ADMINS: booleanVar.optional(),
  SESSION_CACHE_MS: zeroOrMoreVar.optional(),
  SESSION_CACHE_MAX_ENTRIES: wholeNumberVar.optional(),
  THROTTLE_ACCOUNT_FAILURES: wholeNumberVar.optional(),
  THROTTLE_ADDRESS_FAILURES: wholeNumberVar.optional(),
  THROTTLE_DEVICE_FAILURES: wholeNumberVar.optional(),
  THROTTLE_ACCOUNT_CAP: wholeNumberVar.optional(),
  THROTTLE_LOCK_SECONDS: wholeNumberVar.optional(),
  THROTTLE_MAX_LOCK_MINUTES: wholeNumberVar.optional(),
  THROTTLE_CAP_LOCK_HOURS: wholeNumberVar.optional(),
  REGISTRATION_PER_HOUR: wholeNumberVar.optional(),
  PASSKEY_CHALLENGES_PER_WINDOW: wholeNumberVar.optional(),
  DEVICE_COOKIE_DAYS: wholeNumberVar.optional(),
  AUTH_EVENTS_RETENTION_DAYS: wholeNumberVar.optional(),
  AUTH_SECRET_KEY: z
    .string()
    .transform(parseSecretKey)
    .refine(
      (key) => key.length >= 32,
      'expected at least 32 bytes, hex or base64 (e.g. `openssl rand -base64 32`)',
    )
    .optional(),
});

/** Hex when it reads as hex, otherwise base64 (or base64url); an unreadable value decodes to nothing. */
function parseSecretKey(value: string): Uint8Array {
  if (/^(?:[0-9a-fA-F]{2})+$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return Buffer.from(value, 'base64');
  return new Uint8Array(0);
}

/** Where `turbo dev` serves Mailpit's SMTP (src/mail/serve-mailpit.ts) when SMTP_URL is unset. */
export const DEV_SMTP_URL = 'smtp://127.0.0.1:1025';

/**
 * In development (NODE_ENV unset or `development`), an unset MONGODB_URL means
 * the dev database and an unset SMTP_URL the dev Mailpit, both served by
 * `turbo dev`. In production and tests nothing is filled in: production
 * requires MONGODB_URL. Returns a new environment; the given one is untouched.
 */
export function withDevelopmentDefaults(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const nodeEnv = env.NODE_ENV?.trim() || 'development';
  if (nodeEnv !== 'development') return env;
  const unset = (name: string) => !env[name]?.trim();
  return {
    // With no provider configured, the development provider script/dev starts.
    ...withDevelopmentProvider(env),
    ...(unset('MONGODB_URL') ? { MONGODB_URL: DEV_MONGODB_URL } : {}),
    ...(unset('SMTP_URL') ? { SMTP_URL: DEV_SMTP_URL } : {}),
  };
}

/**
 * Reads the auth variables from an environment (unset or empty variables keep
 * the defaults). Throws an Error naming the first bad variable.
 */
export function authSettingsFromEnv(
  env: Record<string, string | undefined> = process.env,
): AuthEnvSettings {
  const vars = parseEnvironment(envSchema, env);
  const settings: AuthEnvSettings = {};
  if (vars.SESSION_COOKIE_NAME !== undefined) settings.cookieName = vars.SESSION_COOKIE_NAME;
  if (vars.SECURE_COOKIES !== undefined) settings.secureCookies = vars.SECURE_COOKIES;
  if (vars.FRESH_WINDOW_MINUTES !== undefined)
    settings.freshWindowMs = vars.FRESH_WINDOW_MINUTES * MINUTE;
  if (vars.SESSION_IDLE_MINUTES !== undefined)
    settings.sessionIdleMs = vars.SESSION_IDLE_MINUTES * MINUTE;
  if (vars.REMEMBER_DAYS !== undefined) settings.rememberIdleMs = vars.REMEMBER_DAYS * DAY;
  if (vars.SESSION_ABSOLUTE_DAYS !== undefined)
    settings.absoluteLifetimeMs = vars.SESSION_ABSOLUTE_DAYS * DAY;
  if (vars.SESSION_PROTECTION !== undefined) settings.protection = vars.SESSION_PROTECTION;
  if (vars.SESSION_PROTECTION_ADDRESS !== undefined)
    settings.protectionIncludesAddress = vars.SESSION_PROTECTION_ADDRESS;
  if (vars.MAX_SESSIONS_PER_USER !== undefined)
    settings.maxSessionsPerUser = vars.MAX_SESSIONS_PER_USER;
  // Links in mails: SITE_URL, else the web origin the API knows (WEB_ORIGIN) or the site's own (ORIGIN).
  const siteUrl = vars.SITE_URL ?? vars.WEB_ORIGIN ?? vars.ORIGIN;
  if (siteUrl !== undefined) settings.siteUrl = siteUrl;
  if (vars.SITE_NAME !== undefined) settings.siteName = vars.SITE_NAME;
  if (vars.SMTP_URL !== undefined) settings.smtpUrl = vars.SMTP_URL;
  if (vars.MAIL_FROM !== undefined) settings.mailFrom = vars.MAIL_FROM;
  if (vars.REQUIRE_VERIFIED_EMAIL !== undefined)
    settings.requireVerifiedEmail = vars.REQUIRE_VERIFIED_EMAIL;
  if (vars.REQUIRE_MFA_FOR_ADMINS !== undefined)
    settings.requireMfaForAdmins = vars.REQUIRE_MFA_FOR_ADMINS;
  if (vars.SESSION_CACHE_MS !== undefined) settings.sessionCacheMs = vars.SESSION_CACHE_MS;
  if (vars.SESSION_CACHE_MAX_ENTRIES !== undefined)
    settings.sessionCacheMaxEntries = vars.SESSION_CACHE_MAX_ENTRIES;
  const throttle: Partial<AuthSettings['throttle']> = {};
  if (vars.THROTTLE_ACCOUNT_FAILURES !== undefined)
    throttle.accountFreeFailures = vars.THROTTLE_ACCOUNT_FAILURES;
  if (vars.THROTTLE_ADDRESS_FAILURES !== undefined)
    throttle.addressFreeFailures = vars.THROTTLE_ADDRESS_FAILURES;
  if (vars.THROTTLE_DEVICE_FAILURES !== undefined)
    throttle.deviceFreeFailures = vars.THROTTLE_DEVICE_FAILURES;
  if (vars.THROTTLE_ACCOUNT_CAP !== undefined) throttle.accountHardCap = vars.THROTTLE_ACCOUNT_CAP;
  if (vars.THROTTLE_LOCK_SECONDS !== undefined)
    throttle.baseLockMs = vars.THROTTLE_LOCK_SECONDS * 1000;
  if (vars.THROTTLE_MAX_LOCK_MINUTES !== undefined)
    throttle.maxLockMs = vars.THROTTLE_MAX_LOCK_MINUTES * MINUTE;
  if (vars.THROTTLE_CAP_LOCK_HOURS !== undefined)
    throttle.capLockMs = vars.THROTTLE_CAP_LOCK_HOURS * HOUR;
  if (vars.REGISTRATION_PER_HOUR !== undefined)
    throttle.registrationsPerHour = vars.REGISTRATION_PER_HOUR;
  if (vars.PASSKEY_CHALLENGES_PER_WINDOW !== undefined) {
    throttle.passkeyChallengesPerWindow = vars.PASSKEY_CHALLENGES_PER_WINDOW;
  }
  if (Object.keys(throttle).length > 0) settings.throttle = throttle;
  if (vars.DEVICE_COOKIE_DAYS !== undefined)
    settings.deviceLifetimeMs = vars.DEVICE_COOKIE_DAYS * DAY;
  if (vars.AUTH_EVENTS_RETENTION_DAYS !== undefined)
    settings.eventsRetentionMs = vars.AUTH_EVENTS_RETENTION_DAYS * DAY;
  if (vars.AUTH_SECRET_KEY !== undefined) settings.secretKey = vars.AUTH_SECRET_KEY;
  const identityProviders = identityProvidersFromEnv(env);
  if (identityProviders.length > 0) settings.identityProviders = identityProviders;
  return settings;
}
