import { describe, expect, it } from 'vitest';
import { useTestDatabase } from './testing.ts';
import { isDuplicateKeyError } from './errors.ts';
import type { UserDoc } from './schema.ts';

const database = useTestDatabase();

function user(id: string, username: string, email: string): UserDoc {
  const now = new Date();
  return {
    _id: id,
    username,
    username_key: username.toLowerCase(),
    email,
    email_key: email.toLowerCase(),
    password_hash: 'x',
    role: 'user',
    active: true,
    created_at: now,
    updated_at: now,
  };
}

describe('embedded database', () => {
  it('stores and reads back a user', async () => {
    await database.current.users.insertOne(user('u1', 'Alice', 'alice@example.com'));
    const found = await database.current.users.findOne({ username_key: 'alice' });
    expect(found?._id).toBe('u1');
    expect(found?.created_at).toBeInstanceOf(Date);
  });

  it('enforces unique usernames and emails through indexes', async () => {
    await expect(database.current.users.insertOne(user('u2', 'ALICE', 'other@example.com'))).rejects.toSatisfy(
      isDuplicateKeyError,
    );
    await expect(database.current.users.insertOne(user('u3', 'bob', 'Alice@Example.com'))).rejects.toSatisfy(
      isDuplicateKeyError,
    );
    expect(await database.current.users.countDocuments()).toBe(1);
  });

  it('has its own database per test file', () => {
    expect(database.current.db.databaseName).toMatch(/^t_/);
  });
});
