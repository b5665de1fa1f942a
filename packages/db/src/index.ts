export { connectDatabase, ensureIndexes, pingDatabase, databaseNameFromUrl } from './client.ts';
export type { Collections, ConnectOptions, Database } from './client.ts';
export type { AuthEventDoc, AuthEventType, Role, SecretDoc, SessionDoc, ThrottleDoc, UserDoc } from './schema.ts';
export { isDatabaseUnavailable, isDuplicateKeyError } from './errors.ts';
