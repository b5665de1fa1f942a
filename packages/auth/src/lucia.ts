// Lucia v3 over @lucia-auth/adapter-mongodb, with one method replaced.
import { MongodbAdapter } from '@lucia-auth/adapter-mongodb';
import { Lucia, TimeSpan, type DatabaseSession, type DatabaseUser } from 'lucia';
import type { Collection, Document } from 'mongodb';
import type { Database, SessionDoc, UserDoc } from '@authkit/db';

/** What Lucia sees of a session document besides `_id`, `user_id` and `expires_at`. */
export type DatabaseSessionAttributes = Omit<SessionDoc, '_id' | 'user_id' | 'expires_at'>;
/** What Lucia sees of a user document: everything but `_id`, and never the password hash. */
export type DatabaseUserAttributes = Omit<UserDoc, '_id' | 'password_hash'>;

declare module 'lucia' {
  interface Register {
    DatabaseSessionAttributes: DatabaseSessionAttributes;
    DatabaseUserAttributes: DatabaseUserAttributes;
  }
}

/**
 * The package's MongoDB adapter, except for getSessionAndUser.
 *
 * Why: the original joins the user with an aggregation `$lookup`, which FerretDB
 * (our embedded dev/test server) does not implement, and which on MongoDB is no
 * faster than two point reads. Here it is two reads by `_id` (both on the
 * primary-key index). The user read leaves out the password hash. (loadUser
 * does not call it: sessions carry a copy of their user's fields, one read.)
 */
export class TwoReadMongodbAdapter extends MongodbAdapter {
  readonly #sessions: Collection<SessionDoc>;
  readonly #users: Collection<UserDoc>;

  constructor(sessions: Collection<SessionDoc>, users: Collection<UserDoc>) {
    // The adapter's declared collection types are its own; ours are structurally the same documents.
    super(sessions as never, users as never);
    this.#sessions = sessions;
    this.#users = users;
  }

  override async getSessionAndUser(
    sessionId: string,
  ): Promise<[session: DatabaseSession | null, user: DatabaseUser | null]> {
    const sessionDoc: Document | null = await this.#sessions.findOne({ _id: sessionId });
    if (!sessionDoc) return [null, null];
    const userDoc: Document | null = await this.#users.findOne({ _id: sessionDoc.user_id }, { projection: { password_hash: 0 } });
    if (!userDoc) return [null, null];

    // Same shapes as the package's own transformIntoDatabaseSession/User.
    const { _id: id, user_id: userId, expires_at: expiresAt, __v: _sv, ...sessionAttributes } = sessionDoc;
    const { _id: uid, __v: _uv, ...userAttributes } = userDoc;
    return [
      { id, userId, expiresAt, attributes: sessionAttributes as DatabaseSessionAttributes },
      { id: uid, attributes: userAttributes as DatabaseUserAttributes },
    ];
  }
}

export function createLucia(database: Database, sessionIdleMs: number) {
  const adapter = new TwoReadMongodbAdapter(database.sessions, database.users);
  const lucia = new Lucia(adapter, {
    // Lucia has one global expiry; ours differs per session (remember or not),
    // so createAuth passes each session's own `expires_at` and slides it itself.
    sessionExpiresIn: new TimeSpan(Math.max(1, Math.round(sessionIdleMs / 1000)), 's'),
    sessionCookie: { expires: false },
    // No attribute mappers: the package only creates and invalidates sessions
    // through Lucia and never reads its validateSession results.
  });
  return { lucia, adapter };
}
