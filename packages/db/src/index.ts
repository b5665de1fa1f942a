export { connectDatabase, ensureIndexes, INVALIDATION_RETENTION_MS, pingDatabase, databaseNameFromUrl } from './client.ts';
export type { Collections, ConnectOptions, Database } from './client.ts';
export type {
  AuthEventDoc,
  AuthEventType,
  OutboxMailDoc,
  Role,
  SecretDoc,
  SessionDoc,
  SessionInvalidationDoc,
  SessionUserCopy,
  SingleUseTokenDoc,
  SingleUseTokenKind,
  ThrottleDoc,
  UserDoc,
} from './schema.ts';
export { isDatabaseUnavailable, isDuplicateKeyError } from './errors.ts';
