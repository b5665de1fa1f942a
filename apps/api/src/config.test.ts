import { defaultSettings } from '@authkit/auth';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, startupWarnings } from './config.ts';

const base = { MONGODB_URL: 'mongodb://127.0.0.1:27017/authkit' };

describe('loadConfig', () => {
  it('has defaults for everything but MONGODB_URL', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      mongodbUrl: base.MONGODB_URL,
      webOrigin: 'http://localhost:5173',
      nodeEnv: 'development',
      logLevel: 'info',
      trustProxy: false,
      auth: {},
    });
  });

  it('reads the variables', () => {
    const config = loadConfig({
      ...base,
      PORT: '8080',
      HOST: '0.0.0.0',
      WEB_ORIGIN: 'https://app.example.com/',
      NODE_ENV: 'production',
      AUTH_SECRET_KEY: 'a'.repeat(64),
      LOG_LEVEL: 'warn',
      TRUST_PROXY: 'true',
      SESSION_PROTECTION: 'strong',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      webOrigin: 'https://app.example.com',
      nodeEnv: 'production',
      logLevel: 'warn',
      trustProxy: true,
      auth: { protection: 'strong' },
    });
  });

  it('fails with a message naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/MONGODB_URL/);
    expect(() => loadConfig({ NODE_ENV: 'test' })).toThrow(/MONGODB_URL/);
    expect(() => loadConfig({ ...base, PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ ...base, WEB_ORIGIN: 'localhost' })).toThrow(/WEB_ORIGIN/);
    expect(() => loadConfig({ ...base, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ MONGODB_URL: 'postgres://x' })).toThrow(/MONGODB_URL/);
    expect(() => loadConfig({ ...base, SESSION_PROTECTION: 'paranoid' })).toThrow(
      /SESSION_PROTECTION/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
  });

  it('takes TRUST_PROXY as true/false, a number of hops, or proxy addresses and CIDRs', () => {
    const trust = (value: string) => loadConfig({ ...base, TRUST_PROXY: value }).trustProxy;
    expect([trust('true'), trust('1'), trust('false'), trust('0'), trust('')]).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(trust('2')).toBe(2);
    expect(trust('10.0.0.0/8, 192.0.2.1,2001:db8::/32')).toEqual([
      '10.0.0.0/8',
      '192.0.2.1',
      '2001:db8::/32',
    ]);
    for (const bad of ['yes', '10.0.0.0/33', 'proxy.example', '-1', '1.2.3.4/8/9']) {
      expect(() => trust(bad), bad).toThrow(/TRUST_PROXY/);
    }
  });

  it('needs AUTH_SECRET_KEY (32+ bytes) in production, and never shows it', () => {
    const production = { ...base, NODE_ENV: 'production' };
    expect(() => loadConfig(production)).toThrow(/AUTH_SECRET_KEY: is required in production/);
    const short = 'c2hvcnQta2V5';
    expect(() => loadConfig({ ...production, AUTH_SECRET_KEY: short })).toThrow(
      /AUTH_SECRET_KEY.*32 bytes/,
    );
    expect(() => loadConfig({ ...production, AUTH_SECRET_KEY: short })).not.toThrow(
      new RegExp(short),
    );
    const key = Buffer.alloc(32, 7);
    expect(
      loadConfig({ ...production, AUTH_SECRET_KEY: key.toString('base64') }).auth.secretKey,
    ).toEqual(key);
    expect(
      loadConfig({ ...production, AUTH_SECRET_KEY: key.toString('hex') }).auth.secretKey,
    ).toEqual(key);
    // Without it in development, a key made once per database is used.
    expect(loadConfig(base).auth.secretKey).toBeUndefined();
  });

  it('reads the throttle limits', () => {
    const config = loadConfig({
      ...base,
      THROTTLE_ACCOUNT_FAILURES: '4',
      THROTTLE_ADDRESS_FAILURES: '50',
      THROTTLE_DEVICE_FAILURES: '8',
      THROTTLE_ACCOUNT_CAP: '60',
      REGISTRATION_PER_HOUR: '3',
      PASSKEY_CHALLENGES_PER_WINDOW: '12',
      AUTH_EVENTS_RETENTION_DAYS: '30',
    });
    expect(config.auth).toMatchObject({
      throttle: {
        accountFreeFailures: 4,
        addressFreeFailures: 50,
        deviceFreeFailures: 8,
        accountHardCap: 60,
        registrationsPerHour: 3,
        passkeyChallengesPerWindow: 12,
      },
      eventsRetentionMs: 30 * 86_400_000,
    });
    expect(() => loadConfig({ ...base, THROTTLE_ACCOUNT_CAP: '0' })).toThrow(
      /THROTTLE_ACCOUNT_CAP/,
    );
    expect(() => loadConfig({ ...base, REGISTRATION_PER_HOUR: 'many' })).toThrow(
      /REGISTRATION_PER_HOUR/,
    );
    expect(() => loadConfig({ ...base, PASSKEY_CHALLENGES_PER_WINDOW: '0' })).toThrow(
      /PASSKEY_CHALLENGES_PER_WINDOW/,
    );
  });

  it('passes the mail and verification variables to the auth settings', () => {
    const config = loadConfig({
      ...base,
      SITE_URL: 'https://accounts.example.com/',
      SITE_NAME: 'Example',
      SMTP_URL: 'smtp://mailer:secret@smtp.example.com:587',
      MAIL_FROM: 'Example <no-reply@example.com>',
      REQUIRE_VERIFIED_EMAIL: 'true',
    });
    expect(config.auth).toMatchObject({
      siteUrl: 'https://accounts.example.com/',
      siteName: 'Example',
      smtpUrl: 'smtp://mailer:secret@smtp.example.com:587',
      mailFrom: 'Example <no-reply@example.com>',
      requireVerifiedEmail: true,
    });
    // A bad SMTP_URL is named, without repeating a value that may hold a password.
    expect(() => loadConfig({ ...base, SMTP_URL: 'http://user:hunter2@x' })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ ...base, SMTP_URL: 'http://user:hunter2@x' })).not.toThrow(/hunter2/);
  });
});

describe('REQUIRE_MFA_FOR_ADMINS', () => {
  it('is on unless set to false, and a bad value is named', () => {
    // Unset: the default applies, which is on.
    expect(loadConfig(base).auth.requireMfaForAdmins).toBeUndefined();
    expect(defaultSettings.requireMfaForAdmins).toBe(true);
    expect(loadConfig({ ...base, REQUIRE_MFA_FOR_ADMINS: 'false' }).auth.requireMfaForAdmins).toBe(false);
    expect(loadConfig({ ...base, REQUIRE_MFA_FOR_ADMINS: 'true' }).auth.requireMfaForAdmins).toBe(true);
    expect(() => loadConfig({ ...base, REQUIRE_MFA_FOR_ADMINS: 'maybe' })).toThrow(/REQUIRE_MFA_FOR_ADMINS/);
  });
});

describe('startupWarnings', () => {
  it('warns once about a production start without SMTP_URL', () => {
    const production = { ...base, NODE_ENV: 'production', AUTH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') };
    expect(startupWarnings(loadConfig(production))).toEqual([
      'SMTP_URL is not set: mail is kept in the outbox until a process with SMTP_URL sends it.',
    ]);
    expect(
      startupWarnings(loadConfig({ ...production, SMTP_URL: 'smtp://127.0.0.1:1025' })),
    ).toEqual([]);
    expect(startupWarnings(loadConfig(base))).toEqual([]);
  });

  it('warns that passkeys are off when SITE_URL names an IP address (no valid RP ID)', () => {
    const warnings = startupWarnings(loadConfig({ ...base, SITE_URL: 'http://127.0.0.1:5173' }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /SITE_URL \(http:\/\/127\.0\.0\.1:5173\) names an IP address.*passkeys are off/,
    );
    expect(startupWarnings(loadConfig({ ...base, SITE_URL: 'http://localhost:5173' }))).toEqual([]);
  });

  it('in development, defaults MONGODB_URL and SMTP_URL to what `turbo dev` serves', () => {
    for (const env of [{}, { NODE_ENV: 'development' }]) {
      const config = loadConfig(env);
      expect(config.mongodbUrl).toBe('mongodb://127.0.0.1:27018/authkit');
      expect(config.auth.smtpUrl).toBe('smtp://127.0.0.1:1025');
    }
    // Set ones win.
    const own = loadConfig({ MONGODB_URL: 'mongodb://db.internal/x', SMTP_URL: 'smtp://mail:25' });
    expect(own.mongodbUrl).toBe('mongodb://db.internal/x');
    expect(own.auth.smtpUrl).toBe('smtp://mail:25');
  });
});
