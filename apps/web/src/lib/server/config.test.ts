import { fileURLToPath } from 'node:url';
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

  it('a build is production whatever NODE_ENV says: no dev defaults, Secure cookies, both variables required', () => {
    expect(() => parseConfig({}, { built: true })).toThrow(/MONGODB_URL: is required/);
    expect(() => parseConfig({ NODE_ENV: 'development' }, { built: true })).toThrow(/MONGODB_URL/);
    expect(() => parseConfig({ MONGODB_URL: 'mongodb://db/x' }, { built: true })).toThrow(
      /AUTH_SECRET_KEY: is required/,
    );
    const key = Buffer.alloc(32, 7).toString('base64');
    const built = parseConfig(
      { MONGODB_URL: 'mongodb://db/x', AUTH_SECRET_KEY: key },
      { built: true },
    );
    expect(built.production).toBe(true);
    expect(built.auth.secureCookies).toBe(true);
    expect(built.auth.smtpUrl).toBeUndefined();
    expect(built.apiUrl).toBeUndefined();
    // SECURE_COOKIES still decides when given (a site served over plain http on purpose).
    expect(
      parseConfig(
        { MONGODB_URL: 'mongodb://db/x', AUTH_SECRET_KEY: key, SECURE_COOKIES: 'false' },
        { built: true },
      ).auth.secureCookies,
    ).toBe(false);
  });

  it('the dev server follows NODE_ENV (unset: development, plain cookies, the dev API for passkeys)', () => {
    const development = parseConfig({});
    expect(development.production).toBe(false);
    expect(development.auth.secureCookies).toBe(false);
    expect(development.apiUrl).toBe('http://127.0.0.1:4000');
    expect(parseConfig({ API_URL: 'http://api.internal:3001/' }).apiUrl).toBe(
      'http://api.internal:3001',
    );
    expect(parseConfig({ NODE_ENV: 'test', MONGODB_URL: 'mongodb://db/x' }).apiUrl).toBeUndefined();
  });

  it('passkeys: on with API_URL and a host name; off without API_URL or on an IP address', () => {
    const env = {
      NODE_ENV: 'test',
      MONGODB_URL: 'mongodb://db/x',
      API_URL: 'http://127.0.0.1:4000',
    };
    expect(parseConfig({ ...env, SITE_URL: 'http://localhost:5173' }).passkeys).toBe('on');
    expect(parseConfig({ ...env, SITE_URL: 'http://127.0.0.1:5173' }).passkeys).toBe('ip-address');
    expect(parseConfig({ ...env, ORIGIN: 'http://[::1]:3000' }).passkeys).toBe('ip-address');
    expect(parseConfig({ ...env, API_URL: undefined }).passkeys).toBe('no-api-url');
  });

  it('IP_LOCATION_MODULE: off by default; an absolute path to an existing file', () => {
    const base = { MONGODB_URL: 'mongodb://127.0.0.1:27017/authkit' };
    expect(parseConfig(base).ipLocationModule).toBeUndefined();
    const path = fileURLToPath(import.meta.url);
    expect(parseConfig({ ...base, IP_LOCATION_MODULE: path }).ipLocationModule).toBe(path);
    expect(() => parseConfig({ ...base, IP_LOCATION_MODULE: 'locate.mjs' })).toThrow(
      /IP_LOCATION_MODULE="locate.mjs": must be an absolute path/,
    );
    expect(() => parseConfig({ ...base, IP_LOCATION_MODULE: '/nowhere/locate.mjs' })).toThrow(
      /IP_LOCATION_MODULE="\/nowhere\/locate.mjs": names no file/,
    );
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
    [{ MONGODB_URL: 'mongodb://db/x', ORIGIN: 'example.com' }, /ORIGIN="example.com": must be an http\(s\) URL/],
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
