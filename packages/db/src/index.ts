export {
  connectDatabase,
  DEV_MONGODB_URL,
  ENDED_SESSION_RETENTION_MS,
  ensureIndexes,
  INVALIDATION_RETENTION_MS,
  PENDING_SIGN_IN_GRACE_SECONDS,
  pingDatabase,
  databaseNameFromUrl,
} from './client.ts';
export type { Collections, ConnectOptions, Database } from './client.ts';
export type {
  AuthEventDoc,
  AuthEventType,
  AuthMethod,
  EndedSessionDoc,
  OutboxMailDoc,
  PasskeyDoc,
  PendingSignInDoc,
  RecoveryCodeDoc,
  Role,
  SecretDoc,
  SessionDoc,
  SessionInvalidationDoc,
  SessionEndReason,
  SessionUserCopy,
  SessionUserField,
  SingleUseTokenDoc,
  SingleUseTokenKind,
  ThrottleDoc,
  TotpDoc,
  UserDoc,
  WebauthnChallengeDoc,
  OAuthAccountDoc,
  OAuthFlowDoc,
} from './schema.ts';
export { SESSION_USER_FIELDS } from './schema.ts';
export { isDatabaseUnavailable, isDuplicateKeyError } from './errors.ts';
export { scrub, serializeError, type LoggedError, type LoggedValue } from './log.ts';
