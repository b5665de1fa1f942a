// An OpenID Connect provider (the generic one, Google, the development
// provider) through openid-client 6: discovery, PKCE (S256), state, nonce, the
// RFC 9207 `iss` check, and the ID token's signature, issuer, audience,
// expiry and nonce checks all come from the library. The email is read from
// userinfo (with the expected `sub`), where oidc-provider and others put it.
import * as client from 'openid-client';
import { isLoopbackHttp, type OidcProviderConfig } from './config.ts';
import {
  ProviderError,
  type CallbackChecks,
  type ProviderClient,
  type ProviderIdentity,
} from './provider.ts';

/** Discovery is retried after this long when it failed (the provider was down at start). */
const DISCOVERY_RETRY_MS = 30_000;

export function createOidcClient(config: OidcProviderConfig): ProviderClient {
  let discovered: Promise<client.Configuration> | null = null;
  let failedAt = 0;

  async function configuration(): Promise<client.Configuration> {
    if (discovered === null || (failedAt > 0 && Date.now() - failedAt > DISCOVERY_RETRY_MS)) {
      failedAt = 0;
      discovered = client
        .discovery(
          new URL(config.issuer),
          config.clientId,
          config.clientSecret,
          client.ClientSecretPost(config.clientSecret),
          // http only for loopback issuers (config.ts refuses the others).
          isLoopbackHttp(config.issuer)
            ? { execute: [client.allowInsecureRequests], timeout: 10 }
            : { timeout: 10 },
        )
        .catch((error: unknown) => {
          failedAt = Date.now();
          throw new ProviderError(`Could not reach ${config.name}.`, 'provider_error', {
            cause: error,
          });
        });
    }
    return discovered;
  }

  return {
    config,
    supportsReauthentication: true,

    async authorizationUrl({ redirectUri, state, codeChallenge, nonce, reauthenticate }) {
      const parameters: Record<string, string> = {
        redirect_uri: redirectUri,
        scope: 'openid email profile',
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
        state,
      };
      if (nonce) parameters.nonce = nonce;
      if (reauthenticate) {
        parameters.prompt = 'login';
        parameters.max_age = '0';
      }
      return client.buildAuthorizationUrl(await configuration(), parameters);
    },

    async identity(
      callbackParams: URLSearchParams,
      checks: CallbackChecks,
    ): Promise<ProviderIdentity> {
      const configured = await configuration();
      // The redirect URI the flow registered, whatever host or scheme the request came in by (proxies).
      const currentUrl = new URL(checks.redirectUri);
      for (const [name, value] of callbackParams) currentUrl.searchParams.append(name, value);
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(configured, currentUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          // An ID token is required, and its nonce must be this flow's (a missing one is refused).
          expectedNonce: checks.nonce ?? undefined,
          idTokenExpected: true,
          // max_age=0 was asked: auth_time must be present and now.
          ...(checks.reauthenticate ? { maxAge: 0 } : {}),
        });
      } catch (error) {
        if (error instanceof client.AuthorizationResponseError && error.error === 'access_denied') {
          throw new ProviderError(`${config.name} did not allow the sign-in.`, 'access_denied', {
            cause: error,
          });
        }
        throw new ProviderError(
          `${config.name} answered something we could not accept.`,
          'provider_error',
          {
            cause: error,
          },
        );
      }
      const claims = tokens.claims();
      if (!claims) throw new ProviderError(`${config.name} sent no ID token.`);
      if (checks.reauthenticate) {
        // max_age=0: the provider must have authenticated the user just now (a minute's leeway for clocks).
        const authTime = typeof claims.auth_time === 'number' ? claims.auth_time : 0;
        if (Date.now() / 1000 - authTime > 60)
          throw new ProviderError(`${config.name} did not ask you to sign in again.`);
      }
      let info: client.UserInfoResponse;
      try {
        // Checks that userinfo speaks of the same `sub` as the ID token.
        info = await client.fetchUserInfo(configured, tokens.access_token, claims.sub);
      } catch (error) {
        throw new ProviderError(
          `${config.name} answered something we could not accept.`,
          'provider_error',
          {
            cause: error,
          },
        );
      }
      const email =
        typeof info.email === 'string'
          ? info.email
          : typeof claims.email === 'string'
            ? claims.email
            : null;
      const verified =
        email !== null &&
        (info.email === email ? info.email_verified : claims.email_verified) === true;
      return {
        issuer: claims.iss,
        subject: claims.sub,
        email,
        emailVerified: verified,
        username: stringOrNull(
          info.preferred_username ?? claims.preferred_username ?? info.nickname,
        ),
        name: stringOrNull(info.name ?? claims.name),
      };
    },
  };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}
