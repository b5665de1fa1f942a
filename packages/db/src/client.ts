import { MongoClient, type Collection, type Db, type Document } from 'mongodb';
import { installDriverWorkaround } from './driver-workaround.ts';
import type {
  AuthEventDoc,
  EndedSessionDoc,
  OutboxMailDoc,
  PasskeyDoc,
  PendingSignInDoc,
  RecoveryCodeDoc,
  SecretDoc,
  SessionDoc,
  SessionInvalidationDoc,
  SingleUseTokenDoc,
  ThrottleDoc,
  UserDoc,
  WebauthnChallengeDoc,
  OAuthAccountDoc,
  OAuthFlowDoc,
} from './schema.ts';

/** Where `turbo dev` serves the embedded database (src/serve.ts) when MONGODB_URL is unset. */
export const DEV_MONGODB_URL = 'mongodb://127.0.0.1:27018/authkit';

/** How long session invalidation entries are kept (TTL index, or the sweep in packages/auth). */
export const INVALIDATION_RETENTION_MS = 10 * 60_000;

/**
 * Expired pending second steps stay this long before the TTL index deletes them (where the server has
 * one), so that the sweep (every 15 minutes) announces abandoned ones to their owners first.
 */
export const PENDING_SIGN_IN_GRACE_SECONDS = 24 * 60 * 60;

/** How long the reason a session ended is kept (TTL index, or the sweep in packages/auth). */
export const ENDED_SESSION_RETENTION_MS = 24 * 60 * 60_000;

export interface Collections {
  users: Collection<UserDoc>;
  sessions: Collection<SessionDoc>;
  authEvents: Collection<AuthEventDoc>;
  throttle: Collection<ThrottleDoc>;
  singleUseTokens: Collection<SingleUseTokenDoc>;
  mailOutbox: Collection<OutboxMailDoc>;
  sessionInvalidations: Collection<SessionInvalidationDoc>;
  /** Why recently ended sessions ended, by session id (see packages/auth/src/ended-sessions.ts). */
  endedSessions: Collection<EndedSessionDoc>;
  /** Keys generated per database when none is configured (see packages/auth/src/devices.ts). */
  secrets: Collection<SecretDoc>;
  recoveryCodes: Collection<RecoveryCodeDoc>;
  pendingSignIns: Collection<PendingSignInDoc>;
  passkeys: Collection<PasskeyDoc>;
  webauthnChallenges: Collection<WebauthnChallengeDoc>;
  /** Identities at providers connected to accounts (packages/auth/src/identity-providers). */
  oauthAccounts: Collection<OAuthAccountDoc>;
  /** Provider sign-ins in progress: single use, short-lived. */
  oauthFlows: Collection<OAuthFlowDoc>;
}

export interface Database extends Collections {
  client: MongoClient;
  db: Db;
  /** True when the server accepted a TTL index (found out by ensureIndexes). */
  ttlSupported: boolean;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Database name; defaults to the one in the URL, then "authkit". */
  dbName?: string;
  /** How long a request waits for an unreachable server before failing (503). */
  serverSelectionTimeoutMS?: number;
  /**
   * Emit the driver's command events (`database.client.on('commandStarted', ...)`),
   * e.g. to count a code path's round trips in a test.
   */
  monitorCommands?: boolean;
}

/**
 * Connects lazily: the client is created at once and reconnects by itself, so an
 * app can start while the database is down and recover when it comes back.
 */
export function connectDatabase(url: string, options: ConnectOptions = {}): Database {
  // Without it, a database restart can leave the client unable to reconnect (see the file).
  installDriverWorkaround();
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 2_000,
    connectTimeoutMS: 2_000,
    socketTimeoutMS: 10_000,
    maxPoolSize: 50,
    retryWrites: false,
    monitorCommands: options.monitorCommands ?? false,
  });
  const db = client.db(options.dbName ?? databaseNameFromUrl(url) ?? 'authkit');
  return {
    client,
    db,
    users: db.collection<UserDoc>('users'),
    sessions: db.collection<SessionDoc>('sessions'),
    authEvents: db.collection<AuthEventDoc>('auth_events'),
    throttle: db.collection<ThrottleDoc>('login_throttle'),
    singleUseTokens: db.collection<SingleUseTokenDoc>('single_use_tokens'),
    mailOutbox: db.collection<OutboxMailDoc>('mail_outbox'),
    sessionInvalidations: db.collection<SessionInvalidationDoc>('session_invalidations'),
    endedSessions: db.collection<EndedSessionDoc>('ended_sessions'),
    secrets: db.collection<SecretDoc>('auth_secrets'),
    recoveryCodes: db.collection<RecoveryCodeDoc>('recovery_codes'),
    pendingSignIns: db.collection<PendingSignInDoc>('pending_sign_ins'),
    passkeys: db.collection<PasskeyDoc>('passkeys'),
    webauthnChallenges: db.collection<WebauthnChallengeDoc>('webauthn_challenges'),
    oauthAccounts: db.collection<OAuthAccountDoc>('oauth_accounts'),
    oauthFlows: db.collection<OAuthFlowDoc>('oauth_flows'),
    ttlSupported: false,
    close: () => client.close(),
  };
}

export interface IndexOptions {
  /** Audit events are deleted this long after `at` (TTL index where supported). Default 90 days. */
  eventsRetentionSeconds?: number;
}

/** Creates the indexes the code relies on. Idempotent; run at start. */
export async function ensureIndexes(database: Database, options: IndexOptions = {}): Promise<void> {
  await database.users.createIndex(
    { username_key: 1 },
    { unique: true, name: 'username_key_unique' },
  );
  await database.users.createIndex({ email_key: 1 }, { unique: true, name: 'email_key_unique' });
  await database.users.createIndex({ created_at: 1 }, { name: 'created_at' });
  await database.sessions.createIndex({ user_id: 1 }, { name: 'user_id' });
  await database.authEvents.createIndex({ user_id: 1, at: -1 }, { name: 'user_id_at' });
  await database.singleUseTokens.createIndex({ user_id: 1, kind: 1 }, { name: 'user_id_kind' });
  await database.mailOutbox.createIndex(
    { sent_at: 1, next_attempt_at: 1 },
    { name: 'sent_at_next_attempt_at' },
  );
  await database.recoveryCodes.createIndex({ user_id: 1 }, { name: 'user_id' });
  await database.passkeys.createIndex({ user_id: 1 }, { name: 'user_id' });
  // Identity is (issuer, subject): one account per identity, enforced by the index.
  await database.oauthAccounts.createIndex(
    { issuer: 1, subject: 1 },
    { name: 'issuer_subject', unique: true },
  );
  await database.oauthAccounts.createIndex({ user_id: 1 }, { name: 'user_id' });

  // TTL indexes delete expired documents server-side. Not every MongoDB-compatible
  // server accepts them, so try, and fall back to a plain index (the sweep in
  // packages/auth deletes expired sessions either way).
  database.ttlSupported = await createTtlIndex(database.db, database.sessions, 'expires_at');
  await createTtlIndex(database.db, database.throttle, 'expires_at');
  await createTtlIndex(
    database.db,
    database.authEvents,
    'at',
    options.eventsRetentionSeconds ?? 90 * 86_400,
  );
  await createTtlIndex(database.db, database.singleUseTokens, 'expires_at');
  // Not deleted at expiry: the sweep must see an expired, unused second step first, to tell the
  // owner that somebody entered their password and went no further (packages/auth sign-in.ts).
  // An expired one grants nothing (the code checks expires_at); the TTL only clears what is left.
  await createTtlIndex(
    database.db,
    database.pendingSignIns,
    'expires_at',
    PENDING_SIGN_IN_GRACE_SECONDS,
  );
  await createTtlIndex(database.db, database.webauthnChallenges, 'expires_at');
  await createTtlIndex(database.db, database.oauthFlows, 'expires_at');
  // The feed is read by `at` (server time); old entries go after the retention.
  await createTtlIndex(
    database.db,
    database.sessionInvalidations,
    'at',
    INVALIDATION_RETENTION_MS / 1000,
  );
  await createTtlIndex(
    database.db,
    database.endedSessions,
    'at',
    ENDED_SESSION_RETENTION_MS / 1000,
  );
}

async function createTtlIndex<Doc extends Document>(
  db: Db,
  collection: Collection<Doc>,
  field: string,
  expireAfterSeconds = 0,
): Promise<boolean> {
  const name = `${field}_ttl`;
  try {
    await collection.createIndex({ [field]: 1 }, { name, expireAfterSeconds });
    return true;
  } catch (error) {
    // The index exists with another expiry (the retention was changed): change it in place.
    if (isIndexOptionsConflict(error)) {
      try {
        await db.command({
          collMod: collection.collectionName,
          index: { name, expireAfterSeconds },
        });
        return true;
      } catch {
        // Falls through to a plain index; the sweep deletes expired documents.
      }
    }
    await collection.createIndex({ [field]: 1 }, { name: field });
    return false;
  }
}

function isIndexOptionsConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 85 || code === 86;
}

/** One cheap round trip; throws when the server is unreachable. */
export async function pingDatabase(database: Database): Promise<void> {
  await database.db.command({ ping: 1 });
}

/** The database name in a connection string, if it names one. */
export function databaseNameFromUrl(url: string): string | undefined {
  const path = new URL(url).pathname.replace(/^\//, '');
  return path ? decodeURIComponent(path) : undefined;
}
