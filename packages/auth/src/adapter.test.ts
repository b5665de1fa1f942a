// Lucia's own adapter conformance suite, against our adapter on the embedded database.
import { databaseUser, testAdapter } from '@lucia-auth/adapter-test';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@authkit/db/testing';
import { MongodbAdapter } from '@lucia-auth/adapter-mongodb';
import { TwoReadMongodbAdapter } from './lucia.ts';

const database = useTestDatabase();

describe('TwoReadMongodbAdapter', () => {
  it('passes @lucia-auth/adapter-test', async () => {
    // The suite expects its user to exist with exactly these attributes.
    await database.current.db
      .collection<{ _id: string; [key: string]: unknown }>('users')
      .insertOne({ _id: databaseUser.id, ...(databaseUser.attributes as object) });
    const adapter = new TwoReadMongodbAdapter(database.current.sessions, database.current.users);
    await expect(testAdapter(adapter)).resolves.toBeUndefined();
  });

  it('reads session and user without $lookup, and never returns the password hash', async () => {
    await database.current.users.insertOne({
      _id: 'u_lookup',
      username: 'lookup',
      username_key: 'lookup',
      email: 'lookup@example.test',
      email_key: 'lookup@example.test',
      password_hash: 'secret-hash',
      role: 'user',
      active: true,
      created_at: new Date(),
      updated_at: new Date(),
    });
    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
    await database.current.db.collection<{ _id: string; [key: string]: unknown }>('sessions').insertOne({
      _id: 's_lookup',
      user_id: 'u_lookup',
      expires_at: expiresAt,
      remember: false,
    });
    const adapter = new TwoReadMongodbAdapter(database.current.sessions, database.current.users);
    const [session, user] = await adapter.getSessionAndUser('s_lookup');
    expect(session).toEqual({ id: 's_lookup', userId: 'u_lookup', expiresAt, attributes: { remember: false } });
    expect(user?.id).toBe('u_lookup');
    expect(user?.attributes).not.toHaveProperty('password_hash');
    expect(await adapter.getSessionAndUser('missing')).toEqual([null, null]);
  });

  it('replaces a method that needs $lookup, which FerretDB lacks', async () => {
    const buildInfo = await database.current.db.admin().command({ buildInfo: 1 });
    const original = new MongodbAdapter(database.current.sessions as never, database.current.users as never);
    const ours = new TwoReadMongodbAdapter(database.current.sessions, database.current.users);
    if ('ferretdbVersion' in buildInfo) {
      await expect(original.getSessionAndUser('s_lookup')).rejects.toThrow(/lookup/i);
    } else {
      // On MongoDB both agree, except that ours leaves out the password hash.
      const [session, user] = await original.getSessionAndUser('s_lookup');
      const { password_hash: _hash, ...attributes } = user?.attributes as Record<string, unknown>;
      expect(await ours.getSessionAndUser('s_lookup')).toEqual([session, { ...user, attributes }]);
    }
  });
});
