// What every kind of identity provider offers the flows (flows.ts): an
// authorization URL for a started flow, and the identity behind a callback.
import type { IdentityProviderConfig } from './config.ts';

/** Who the provider says signed in. Identity is (issuer, subject); the rest is information. */
export interface ProviderIdentity {
  issuer: string;
  subject: string;
  /** The address the provider gives, or null. Never used to find an account. */
  email: string | null;
  /** True only when the provider says the address is verified (OIDC `email_verified === true`, GitHub's primary verified). */
  emailVerified: boolean;
  /** A name to derive a username from (preferred_username, login), or null. */
  username: string | null;
  /** A display name, or null. */
  name: string | null;
}

/** What a flow checks at the callback (from its server-side record). */
export interface CallbackChecks {
  redirectUri: string;
  state: string;
  codeVerifier: string;
  nonce: string | null;
  /** The flow asked for a new authentication (prompt=login, max_age=0): auth_time must be recent. */
  reauthenticate: boolean;
}

export interface ProviderClient {
  readonly config: IdentityProviderConfig;
  /** True when the provider can be asked to authenticate the user again (OIDC prompt=login/max_age=0). */
  readonly supportsReauthentication: boolean;
  /** Where to send the browser. */
  authorizationUrl(params: {
    redirectUri: string;
    state: string;
    codeChallenge: string;
    nonce: string | null;
    reauthenticate: boolean;
  }): Promise<URL>;
  /**
   * The identity behind a callback (the code exchanged at the token
   * endpoint, the ID token and userinfo checked). Throws ProviderError when
   * the provider or its answer is not acceptable.
   */
  identity(callbackParams: URLSearchParams, checks: CallbackChecks): Promise<ProviderIdentity>;
}

/** The provider refused, failed, or answered something we do not accept. */
export class ProviderError extends Error {
  readonly reason: 'provider_error' | 'access_denied';

  constructor(
    message: string,
    reason: 'provider_error' | 'access_denied' = 'provider_error',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderError';
    this.reason = reason;
  }
}
