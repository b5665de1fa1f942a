// Which identity providers a site offers, from the environment (validated with
// zod at start, like the rest of the config). Three kinds: a generic OpenID
// Connect provider by issuer URL (discovery), Google (OIDC, issuer
// accounts.google.com) and GitHub (plain OAuth 2.0 and its REST API). Each needs
// a client id and secret; only configured providers are offered.
import { z } from 'zod';
import { parseEnvironment } from '../environment.ts';

export interface OidcProviderConfig {
  kind: 'oidc';
  /** In URLs (`/login/provider/<id>`) and on records: `oidc`, `google`. */
  id: string;
  /** On the button: "Continue with <name>". */
  name: string;
  /** The issuer URL; its /.well-known/openid-configuration is read at first use. */
  issuer: string;
  clientId: string;
  clientSecret: string;
}

export interface GithubProviderConfig {
  kind: 'github';
  id: 'github';
  name: string;
  clientId: string;
  clientSecret: string;
  /** https://github.com: /login/oauth/authorize and /login/oauth/access_token live there. */
  webUrl: string;
  /** https://api.github.com: /user and /user/emails. Also the identity's issuer. */
  apiUrl: string;
}

export type IdentityProviderConfig = OidcProviderConfig | GithubProviderConfig;

/** The development provider's address and client (script/dev starts it when no provider is configured). */
export const DEV_OIDC = {
  issuer: 'http://127.0.0.1:3900',
  clientId: 'authkit-dev',
  clientSecret: 'authkit-dev-secret',
  name: 'the development provider',
} as const;

/**
 * http is accepted only for a loopback host (the development provider, tests):
 * anywhere else tokens and codes would cross the network in the clear.
 */
export function isLoopbackHttp(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
}

const providerUrl = z
  .url({ protocol: /^https?$/, error: 'expected an https URL' })
  .refine(
    (value) => value.startsWith('https:') || isLoopbackHttp(value),
    'expected an https URL (http only for 127.0.0.1 or localhost)',
  )
  .transform((value) => value.replace(/\/+$/, ''));
const text = z.string().trim().min(1).max(200);
const displayName = z.string().trim().min(1).max(60, 'expected at most 60 characters');

const envSchema = z.object({
  OIDC_ISSUER: providerUrl.optional(),
  OIDC_CLIENT_ID: text.optional(),
  OIDC_CLIENT_SECRET: text.optional(),
  OIDC_NAME: displayName.optional(),
  OIDC_ID: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}$/, 'expected a short lower-case id (letters, digits, -)')
    .refine((value) => value !== 'github' && value !== 'google', 'github and google are taken')
    .optional(),
  GOOGLE_CLIENT_ID: text.optional(),
  GOOGLE_CLIENT_SECRET: text.optional(),
  GOOGLE_ISSUER: providerUrl.optional(),
  GITHUB_CLIENT_ID: text.optional(),
  GITHUB_CLIENT_SECRET: text.optional(),
  GITHUB_URL: providerUrl.optional(),
  GITHUB_API_URL: providerUrl.optional(),
});

/**
 * The providers an environment configures. Throws an Error naming the first
 * bad or missing variable (a client id without its secret, an http issuer).
 */
export function identityProvidersFromEnv(
  env: Record<string, string | undefined>,
): IdentityProviderConfig[] {
  const vars = parseEnvironment(envSchema, env);
  const providers: IdentityProviderConfig[] = [];
  /** All of a group, or none of it. */
  const group = (names: (keyof typeof vars)[]): boolean => {
    const given = names.filter((name) => vars[name] !== undefined);
    if (given.length === 0) return false;
    const missing = names.find((name) => vars[name] === undefined);
    if (missing)
      throw new Error(
        `Invalid environment variable ${missing}: is required with ${given.join(', ')}`,
      );
    return true;
  };
  if (group(['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'])) {
    providers.push({
      kind: 'oidc',
      id: vars.OIDC_ID ?? 'oidc',
      name: vars.OIDC_NAME ?? 'OpenID Connect',
      issuer: vars.OIDC_ISSUER!,
      clientId: vars.OIDC_CLIENT_ID!,
      clientSecret: vars.OIDC_CLIENT_SECRET!,
    });
  }
  if (group(['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'])) {
    providers.push({
      kind: 'oidc',
      id: 'google',
      name: 'Google',
      issuer: vars.GOOGLE_ISSUER ?? 'https://accounts.google.com',
      clientId: vars.GOOGLE_CLIENT_ID!,
      clientSecret: vars.GOOGLE_CLIENT_SECRET!,
    });
  }
  if (group(['GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET'])) {
    providers.push({
      kind: 'github',
      id: 'github',
      name: 'GitHub',
      clientId: vars.GITHUB_CLIENT_ID!,
      clientSecret: vars.GITHUB_CLIENT_SECRET!,
      webUrl: vars.GITHUB_URL ?? 'https://github.com',
      apiUrl: vars.GITHUB_API_URL ?? 'https://api.github.com',
    });
  }
  return providers;
}

/**
 * In development (NODE_ENV unset or `development`) with no provider
 * configured: the development provider that `script/dev` starts. Never in
 * production or tests.
 */
export function withDevelopmentProvider(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const nodeEnv = env.NODE_ENV?.trim() || 'development';
  if (nodeEnv !== 'development') return env;
  const configured = ['OIDC_ISSUER', 'GOOGLE_CLIENT_ID', 'GITHUB_CLIENT_ID'].some((name) =>
    env[name]?.trim(),
  );
  if (configured) return env;
  return {
    ...env,
    OIDC_ISSUER: DEV_OIDC.issuer,
    OIDC_CLIENT_ID: DEV_OIDC.clientId,
    OIDC_CLIENT_SECRET: DEV_OIDC.clientSecret,
    OIDC_NAME: DEV_OIDC.name,
    OIDC_ID: 'dev',
  };
}
