// Settings from options and from the environment; password and token helpers.
import { describe, expect, it } from 'vitest';
import { Argon2id } from 'oslo/password';
import { needsRehash, hashPassword, verifyPassword } from './passwords.ts';
import { authSettingsFromEnv, resolveSettings } from './settings.ts';
import { addressPrefix, throttleAddress } from './tokens.ts';
import type { Database } from '@authkit/db';

const database = {} as Database;

describe('resolveSettings', () => {
  it('has the documented defaults', () => {
    const settings = resolveSettings({ database });
    expect(settings).toMatchObject({
      cookieName: 'authkit_session',
      secureCookies: false, // NODE_ENV is "test" here
      freshWindowMs: 10 * 60_000,
      sessionIdleMs: 2 * 3_600_000,
      rememberIdleMs: 30 * 86_400_000,
      absoluteLifetimeMs: 90 * 86_400_000,
      protection: 'basic',
      protectionIncludesAddress: false,
      sessionCacheMs: 1_000,
      sessionCacheMaxEntries: 100_000,
    });
  });

  it('turns secure cookies on in production', () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      expect(resolveSettings({ database }).secureCookies).toBe(true);
      expect(resolveSettings({ database, secureCookies: false }).secureCookies).toBe(false);
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  it('merges throttle options and refuses nonsense', () => {
    expect(resolveSettings({ database, throttle: { accountFreeFailures: 9 } }).throttle).toMatchObject({
      accountFreeFailures: 9,
      addressFreeFailures: 20,
    });
    expect(() => resolveSettings({ database, sessionIdleMs: -1 })).toThrow(/sessionIdleMs/);
    expect(() => resolveSettings({ database, cookieName: 'bad name;' })).toThrow(/cookieName/);
    // The prefix is the package's to add (on https), never part of the configured name.
    expect(() => resolveSettings({ database, cookieName: '__Host-sid' })).toThrow(/__Host-/);
    expect(() => resolveSettings({ database, cookieName: '__secure-sid' })).toThrow(/__Host-/);
    expect(() => resolveSettings({ database, sessionCacheMs: -1 })).toThrow(/sessionCacheMs/);
    expect(() => resolveSettings({ database, sessionCacheMaxEntries: 0 })).toThrow(/sessionCacheMaxEntries/);
  });
});

describe('authSettingsFromEnv', () => {
  it('reads every variable', () => {
    expect(
      authSettingsFromEnv({
        SESSION_COOKIE_NAME: 'sid',
        SECURE_COOKIES: 'true',
        FRESH_WINDOW_MINUTES: '5',
        SESSION_IDLE_MINUTES: '30',
        REMEMBER_DAYS: '14',
        SESSION_ABSOLUTE_DAYS: '60',
        SESSION_PROTECTION: 'strong',
        SESSION_PROTECTION_ADDRESS: '1',
        SESSION_CACHE_MS: '250',
        SESSION_CACHE_MAX_ENTRIES: '5000',
      }),
    ).toEqual({
      cookieName: 'sid',
      secureCookies: true,
      freshWindowMs: 5 * 60_000,
      sessionIdleMs: 30 * 60_000,
      rememberIdleMs: 14 * 86_400_000,
      absoluteLifetimeMs: 60 * 86_400_000,
      protection: 'strong',
      protectionIncludesAddress: true,
      sessionCacheMs: 250,
      sessionCacheMaxEntries: 5000,
    });
    // 0 turns the session cache off.
    expect(authSettingsFromEnv({ SESSION_CACHE_MS: '0' })).toEqual({ sessionCacheMs: 0 });
  });

  it('leaves unset or empty variables to the defaults', () => {
    expect(authSettingsFromEnv({ SESSION_PROTECTION: '', OTHER: 'x' })).toEqual({});
  });

  it('fails with a message naming the variable', () => {
    expect(() => authSettingsFromEnv({ SESSION_IDLE_MINUTES: 'ten' })).toThrow(/SESSION_IDLE_MINUTES/);
    expect(() => authSettingsFromEnv({ REMEMBER_DAYS: '0' })).toThrow(/REMEMBER_DAYS/);
    expect(() => authSettingsFromEnv({ SESSION_PROTECTION: 'paranoid' })).toThrow(/SESSION_PROTECTION/);
    expect(() => authSettingsFromEnv({ SECURE_COOKIES: 'yes' })).toThrow(/SECURE_COOKIES/);
    expect(() => authSettingsFromEnv({ SESSION_COOKIE_NAME: 'a b' })).toThrow(/SESSION_COOKIE_NAME/);
    expect(() => authSettingsFromEnv({ SESSION_CACHE_MS: '-1' })).toThrow(/SESSION_CACHE_MS/);
  });
});

describe('passwords', () => {
  it('hashes with Argon2id at OWASP parameters and verifies', async () => {
    const hash = await hashPassword('violin tundra pebble orbit');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(needsRehash(hash)).toBe(false);
    expect(await verifyPassword(hash, 'violin tundra pebble orbit')).toBe(true);
    expect(await verifyPassword(hash, 'violin tundra pebble orbiT')).toBe(false);
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
  });

  it('asks for a rehash when the parameters differ', async () => {
    expect(needsRehash(await new Argon2id({ memorySize: 8_192 }).hash('x'))).toBe(true);
    expect(needsRehash(await new Argon2id({ iterations: 3 }).hash('x'))).toBe(true);
    expect(needsRehash('$2b$10$legacybcrypthash')).toBe(true);
  });
});

describe('addresses', () => {
  it('takes the /24 or /48 network for session protection', () => {
    expect(addressPrefix('198.51.100.23')).toBe('198.51.100.0/24');
    expect(addressPrefix('::ffff:198.51.100.23')).toBe('198.51.100.0/24');
    expect(addressPrefix('2001:db8:aaaa:1::1')).toBe('2001:db8:aaaa::/48');
    expect(addressPrefix('2001:0db8:000a::')).toBe('2001:db8:a::/48');
    expect(addressPrefix('not-an-ip')).toBeNull();
    expect(addressPrefix(null)).toBeNull();
  });

  it('throttles IPv6 clients by their /64', () => {
    expect(throttleAddress('192.0.2.1')).toBe('192.0.2.1');
    expect(throttleAddress('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(throttleAddress('2001:db8:1:2::99')).toBe('2001:db8:1:2::/64');
  });
});
