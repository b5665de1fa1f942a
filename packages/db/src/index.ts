export { connectDatabase, ensureIndexes, INVALIDATION_RETENTION_MS, pingDatabase, databaseNameFromUrl } from './client.ts';
export type { Collections, ConnectOptions, Database } from './client.ts';
export type {
  AuthEventDoc,
  AuthEventType,
  OutboxMailDoc,
  PasskeyDoc,
  PendingSignInDoc,
  RecoveryCodeDoc,
  Role,
  SecretDoc,
  SessionDoc,
  SessionInvalidationDoc,
  SessionUserCopy,
  SingleUseTokenDoc,
  SingleUseTokenKind,
  ThrottleDoc,
  TotpDoc,
  UserDoc,
  WebauthnChallengeDoc,
} from './schema.ts';
export { isDatabaseUnavailable, isDuplicateKeyError } from './errors.ts';
