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
    expect(() => loadConfig({})).toThrow(/MONGODB_URL/);
    expect(() => loadConfig({ ...base, PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ ...base, WEB_ORIGIN: 'localhost' })).toThrow(/WEB_ORIGIN/);
    expect(() => loadConfig({ ...base, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ MONGODB_URL: 'postgres://x' })).toThrow(/MONGODB_URL/);
    expect(() => loadConfig({ ...base, SESSION_PROTECTION: 'paranoid' })).toThrow(
      /SESSION_PROTECTION/,
    );
    expect(() => loadConfig({})).toThrow(ConfigError);
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

describe('startupWarnings', () => {
  it('warns once about a production start without SMTP_URL', () => {
    const production = { ...base, NODE_ENV: 'production' };
    expect(startupWarnings(loadConfig(production))).toEqual([
      'SMTP_URL is not set: mail is kept in the outbox until a process with SMTP_URL sends it.',
    ]);
    expect(
      startupWarnings(loadConfig({ ...production, SMTP_URL: 'smtp://127.0.0.1:1025' })),
    ).toEqual([]);
    expect(startupWarnings(loadConfig(base))).toEqual([]);
  });
});
