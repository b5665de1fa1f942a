// The linking rules and the username derivation, as pure functions; and the
// providers' configuration from the environment.
import { describe, expect, it } from 'vitest';
import { usernameSchema } from '../rules.ts';
import { identityProvidersFromEnv, withDevelopmentProvider } from './config.ts';
import { baseUsername, decideNewIdentity, usernameCandidates } from './linking.ts';

describe('decideNewIdentity', () => {
  it('creates an account only for a verified address nobody has', () => {
    expect(decideNewIdentity({ email: 'a@example.test', emailVerified: true }, false)).toEqual({
      action: 'create',
    });
  });
  it('never links to the account an address belongs to', () => {
    expect(decideNewIdentity({ email: 'a@example.test', emailVerified: true }, true)).toEqual({
      action: 'refuse',
      reason: 'account_exists',
    });
  });
  it('refuses an unverified address before saying whether it has an account', () => {
    expect(decideNewIdentity({ email: 'a@example.test', emailVerified: false }, true)).toEqual({
      action: 'refuse',
      reason: 'email_unverified',
    });
    expect(decideNewIdentity({ email: 'a@example.test', emailVerified: false }, false)).toEqual({
      action: 'refuse',
      reason: 'email_unverified',
    });
  });
  it('refuses an identity without an address', () => {
    expect(decideNewIdentity({ email: null, emailVerified: false }, false)).toEqual({
      action: 'refuse',
      reason: 'email_missing',
    });
  });
});

describe('baseUsername', () => {
  const cases: [Parameters<typeof baseUsername>[0], string][] = [
    [{ username: 'octocat', name: null, email: null }, 'octocat'],
    [{ username: 'Jane Doe', name: null, email: null }, 'Jane-Doe'],
    [{ username: null, name: 'José Ñúñez', email: null }, 'José-Ñúñez'],
    [{ username: '--x--', name: null, email: 'mary.smith@example.test' }, 'mary.smith'],
    [{ username: 'a', name: '!!', email: 'b@example.test' }, 'user'],
    [{ username: 'x'.repeat(60), name: null, email: null }, 'x'.repeat(25)],
    [{ username: 'has@sign', name: null, email: null }, 'has-sign'],
    [{ username: null, name: null, email: null }, 'user'],
  ];
  it.each(cases)('%j -> %s', (identity, expected) => {
    expect(baseUsername(identity)).toBe(expected);
  });
  it('always gives names the username rules accept, suffixes included', () => {
    for (const [identity] of cases) {
      for (const candidate of usernameCandidates(baseUsername(identity)))
        expect(usernameSchema.safeParse(candidate).success).toBe(true);
    }
  });
  it('tries the base, numbered names, then random ones', () => {
    const candidates = usernameCandidates('jane', () => 0.5);
    expect(candidates.slice(0, 3)).toEqual(['jane', 'jane-2', 'jane-3']);
    expect(candidates.at(-1)).toBe('jane-550000');
  });
});

describe('identityProvidersFromEnv', () => {
  it('reads the three kinds, with the defaults', () => {
    const providers = identityProvidersFromEnv({
      OIDC_ISSUER: 'https://id.example.com/',
      OIDC_CLIENT_ID: 'a',
      OIDC_CLIENT_SECRET: 'b',
      OIDC_NAME: 'Example ID',
      GOOGLE_CLIENT_ID: 'g',
      GOOGLE_CLIENT_SECRET: 'gs',
      GITHUB_CLIENT_ID: 'h',
      GITHUB_CLIENT_SECRET: 'hs',
    });
    expect(providers).toEqual([
      {
        kind: 'oidc',
        id: 'oidc',
        name: 'Example ID',
        issuer: 'https://id.example.com',
        clientId: 'a',
        clientSecret: 'b',
      },
      {
        kind: 'oidc',
        id: 'google',
        name: 'Google',
        issuer: 'https://accounts.google.com',
        clientId: 'g',
        clientSecret: 'gs',
      },
      {
        kind: 'github',
        id: 'github',
        name: 'GitHub',
        clientId: 'h',
        clientSecret: 'hs',
        webUrl: 'https://github.com',
        apiUrl: 'https://api.github.com',
      },
    ]);
    expect(identityProvidersFromEnv({})).toEqual([]);
  });
  it('names the missing or bad variable', () => {
    expect(() => identityProvidersFromEnv({ GITHUB_CLIENT_ID: 'h' })).toThrow(
      /GITHUB_CLIENT_SECRET/,
    );
    expect(() =>
      identityProvidersFromEnv({
        OIDC_ISSUER: 'http://id.example.com',
        OIDC_CLIENT_ID: 'a',
        OIDC_CLIENT_SECRET: 'b',
      }),
    ).toThrow(/OIDC_ISSUER/);
    expect(() => identityProvidersFromEnv({ GITHUB_URL: 'ftp://x' })).toThrow(/GITHUB_URL/);
  });
  it('accepts http only on loopback', () => {
    expect(
      identityProvidersFromEnv({
        OIDC_ISSUER: 'http://127.0.0.1:3900',
        OIDC_CLIENT_ID: 'a',
        OIDC_CLIENT_SECRET: 'b',
      }),
    ).toHaveLength(1);
  });
  it('offers the development provider in development only, when none is configured', () => {
    expect(identityProvidersFromEnv(withDevelopmentProvider({}))).toMatchObject([
      { id: 'dev', issuer: 'http://127.0.0.1:3900' },
    ]);
    expect(identityProvidersFromEnv(withDevelopmentProvider({ NODE_ENV: 'production' }))).toEqual(
      [],
    );
    expect(identityProvidersFromEnv(withDevelopmentProvider({ NODE_ENV: 'test' }))).toEqual([]);
    expect(
      identityProvidersFromEnv(
        withDevelopmentProvider({ GITHUB_CLIENT_ID: 'h', GITHUB_CLIENT_SECRET: 'hs' }),
      ),
    ).toMatchObject([{ id: 'github' }]);
  });
});
