// @authkit/auth: Flask-Login-style sessions (Lucia v3 in MongoDB) for the monorepo.
// Framework-free; the SvelteKit and tRPC helpers live under their own entry points.
export { createAuth } from './auth.ts';
export {
  authSettingsFromEnv,
  defaultSettings,
  DEV_SMTP_URL,
  withDevelopmentDefaults,
  type AuthEnvSettings,
} from './settings.ts';
export { parseEnvironment } from './environment.ts';
export { sessionCookieName } from './cookies.ts';
export {
  relyingPartyId,
  relyingPartyIsAddress,
  relyingPartyWarning,
} from './second-factors/relying-party.ts';
export { AuthError, isAuthError, httpStatus } from './errors.ts';
export type { AuthErrorCode, FieldErrors, ThrottleScope } from './errors.ts';
export { DEVICE_COOKIE_NAME, DEVICE_TOKEN_HEADER, deviceCookieName } from './devices.ts';
export {
  argon2Parameters,
  hashPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyPassword,
} from './passwords.ts';
export { RECENT_PASSKEY_MS } from './recovery.ts';
export { USER_SEARCH_MAX_LENGTH } from './limits.ts';
export {
  DEV_OIDC,
  identityProvidersFromEnv,
  type GithubProviderConfig,
  type IdentityProviderConfig,
  type OidcProviderConfig,
} from './identity-providers/config.ts';
export { PROVIDER_FLOW_MS, REFUSAL_MESSAGES } from './identity-providers/flows.ts';
export type {
  AnonymousUser,
  Auth,
  AuthEvent,
  AuthEventListener,
  AuthOptions,
  AuthSettings,
  AdminUserListItem,
  AuthenticatedUser,
  ConnectedAccount,
  CurrentUser,
  DeviceCookie,
  LoadResult,
  LoginResult,
  CompletedSignIn,
  SignInOutcome,
  AuthMethod,
  PasskeyInfo,
  PendingEmailChange,
  ProviderInfo,
  ProviderIntent,
  ProviderOutcome,
  ProviderRefusal,
  PublicUser,
  RequestInfo,
  ResetPasskey,
  SecondFactorChallenge,
  SecondFactorProof,
  SessionCookie,
  SessionInfo,
  SessionListItem,
  SessionProtection,
  SignInMethods,
  TotpEnrolment,
  UserListQuery,
  TwoStepStatus,
  UserPage,
} from './types.ts';
export type { AuthEventType, Role, SessionEndReason } from '@authkit/db';
export type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
