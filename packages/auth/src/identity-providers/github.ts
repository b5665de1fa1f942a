// GitHub: plain OAuth 2.0 (no ID token, no discovery). Authorize at
// github.com/login/oauth/authorize (with PKCE and state), the code for an
// access token at /login/oauth/access_token (GitHub answers errors with HTTP
// 200 and an `error` field), then GET /user (the numeric id is the subject)
// and /user/emails (the primary entry, if verified, is the email). The token
// is used for those two reads and then dropped: nothing of it is stored.
import type { GithubProviderConfig } from './config.ts';
import {
  ProviderError,
  type CallbackChecks,
  type ProviderClient,
  type ProviderIdentity,
} from './provider.ts';

const TIMEOUT_MS = 10_000;

export function createGithubClient(config: GithubProviderConfig): ProviderClient {
  const failed = (what: string, cause?: unknown) =>
    new ProviderError(
      `${config.name} answered something we could not accept (${what}).`,
      'provider_error',
      { cause },
    );

  async function fetchJson(url: string, init: RequestInit): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (error) {
      throw new ProviderError(`Could not reach ${config.name}.`, 'provider_error', {
        cause: error,
      });
    }
    if (!response.ok) throw failed(`HTTP ${response.status} from ${new URL(url).pathname}`);
    try {
      return await response.json();
    } catch (error) {
      throw failed('not JSON', error);
    }
  }

  return {
    config,
    // GitHub cannot be asked to authenticate the user again.
    supportsReauthentication: false,

    async authorizationUrl({ redirectUri, state, codeChallenge }) {
      const url = new URL(`${config.webUrl}/login/oauth/authorize`);
      url.search = new URLSearchParams({
        client_id: config.clientId,
        redirect_uri: redirectUri,
        scope: 'read:user user:email',
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
        allow_signup: 'true',
      }).toString();
      return url;
    },

    async identity(params: URLSearchParams, checks: CallbackChecks): Promise<ProviderIdentity> {
      // flows.ts has compared the state already; checked again here, before the token endpoint.
      if (params.get('state') !== checks.state) throw failed('state');
      const error = params.get('error');
      if (error === 'access_denied')
        throw new ProviderError(`${config.name} did not allow the sign-in.`, 'access_denied');
      if (error) throw failed(error);
      const code = params.get('code');
      if (!code) throw failed('no code');

      const token = await fetchJson(`${config.webUrl}/login/oauth/access_token`, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          client_id: config.clientId,
          client_secret: config.clientSecret,
          code,
          redirect_uri: checks.redirectUri,
          code_verifier: checks.codeVerifier,
        }),
      });
      // GitHub answers a refused exchange with 200 and { error, error_description }.
      if (
        !isRecord(token) ||
        typeof token.error === 'string' ||
        typeof token.access_token !== 'string'
      ) {
        throw failed(
          isRecord(token) && typeof token.error === 'string' ? token.error : 'no access token',
        );
      }
      const headers = {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${token.access_token}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': 'authkit',
      };
      const user = await fetchJson(`${config.apiUrl}/user`, { headers });
      if (!isRecord(user) || typeof user.id !== 'number' || !Number.isSafeInteger(user.id))
        throw failed('/user');
      const emails = await fetchJson(`${config.apiUrl}/user/emails`, { headers });
      const primary = Array.isArray(emails)
        ? emails.find(
            (entry): entry is { email: string; verified: unknown } =>
              isRecord(entry) && entry.primary === true && typeof entry.email === 'string',
          )
        : undefined;
      return {
        // Identity is (API origin, numeric id): logins can be renamed, ids cannot.
        issuer: config.apiUrl,
        subject: String(user.id),
        email: primary?.email ?? null,
        emailVerified: primary?.verified === true,
        username: typeof user.login === 'string' ? user.login : null,
        name: typeof user.name === 'string' ? user.name : null,
      };
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
