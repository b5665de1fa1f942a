import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';

describe('parseConfig', () => {
  it('reads the variables with defaults', () => {
    const config = parseConfig({ MONGODB_URL: 'mongodb://127.0.0.1:27017/authkit' });
    expect(config).toMatchObject({
      mongodbUrl: 'mongodb://127.0.0.1:27017/authkit',
      origin: undefined,
      auth: {},
    });
  });

  it('in development only, defaults MONGODB_URL and SMTP_URL to what `turbo dev` serves', () => {
    const config = parseConfig({});
    expect(config.mongodbUrl).toBe('mongodb://127.0.0.1:27018/authkit');
    expect(config.auth.smtpUrl).toBe('smtp://127.0.0.1:1025');
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(/MONGODB_URL/);
  });

  it('takes ORIGIN and the auth settings', () => {
    const config = parseConfig({
      MONGODB_URL: 'mongodb+srv://cluster.example/authkit',
      ORIGIN: 'https://example.com',
      SECURE_COOKIES: 'false',
      FRESH_WINDOW_MINUTES: '5',
    });
    expect(config.origin).toBe('https://example.com');
    expect(config.auth).toMatchObject({ secureCookies: false, freshWindowMs: 5 * 60_000 });
  });

  it.each([
    [{ NODE_ENV: 'production' }, /MONGODB_URL: is required/],
    [{ NODE_ENV: 'test', MONGODB_URL: '   ' }, /MONGODB_URL: is required/],
    [{ MONGODB_URL: 'postgres://db/x' }, /MONGODB_URL: must be a mongodb/],
    [{ MONGODB_URL: 'mongodb://db/x', ORIGIN: 'example.com' }, /ORIGIN: must be an http\(s\) URL/],
    [{ MONGODB_URL: 'mongodb://db/x', SESSION_PROTECTION: 'maybe' }, /SESSION_PROTECTION/],
    [{ MONGODB_URL: 'mongodb://db/x', NODE_ENV: 'production' }, /AUTH_SECRET_KEY: is required/],
    [
      { MONGODB_URL: 'mongodb://db/x', AUTH_SECRET_KEY: 'dG9vLXNob3J0' },
      /AUTH_SECRET_KEY: expected at least 32 bytes/,
    ],
    [
      { MONGODB_URL: 'mongodb://db/x', THROTTLE_ADDRESS_FAILURES: 'lots' },
      /THROTTLE_ADDRESS_FAILURES/,
    ],
  ])('names the bad variable: %j', (env, message) => {
    expect(() => parseConfig(env)).toThrow(message);
  });
});
