// Seeding for the benchmark: one signed-in user per database, and as many
// other sessions as asked for (written directly: only their number matters).
import { randomBytes } from 'node:crypto';
import { createAuth } from '@authkit/auth';
import { connectDatabase, ensureIndexes, type Database, type SessionDoc, type UserDoc } from '@authkit/db';

export const PASSWORD = 'correct horse battery staple 42';

/** One database with a signed-in user and `sessionCount` sessions in all. */
export async function seed(url: string, sessionCount: number) {
  const database = connectDatabase(url);
  await ensureIndexes(database);
  const auth = createAuth({ database });
  const username = `bench_${randomBytes(3).toString('hex')}`;
  const user = await auth.registerUser({ username, email: `${username}@example.com`, password: PASSWORD }, noRequest);
  const { token } = await auth.loginUser(user, { remember: true }, noRequest);
  await fillSessions(database, sessionCount - 1);
  await database.close();
  return { token, username, cookieName: auth.settings.cookieName };
}

const noRequest = { ip: '127.0.0.1', userAgent: 'bench' };

/** Other users' sessions. */
async function fillSessions(database: Database, count: number) {
  const now = new Date();
  const later = new Date(now.getTime() + 30 * 24 * 3600_000);
  // Small enough that one insert stays within the driver's timeout on a busy machine.
  const batch = 1_000;
  for (let done = 0; done < count; done += batch) {
    const size = Math.min(batch, count - done);
    const users: UserDoc[] = [];
    const sessions: SessionDoc[] = [];
    for (let i = 0; i < size; i++) {
      const id = randomBytes(10).toString('hex');
      if (i % 10 === 0) {
        users.push({
          _id: id,
          username: id,
          username_key: id,
          email: `${id}@example.com`,
          email_key: `${id}@example.com`,
          password_hash: 'unused',
          role: 'user',
          active: true,
          created_at: now,
          updated_at: now,
        });
      }
      sessions.push({
        _id: randomBytes(32).toString('hex'),
        user_id: users[users.length - 1]!._id,
        expires_at: later,
        created_at: now,
        authenticated_at: now,
        fresh: true,
        remember: true,
        absolute_expires_at: later,
        last_seen_at: now,
        user_agent: 'seed',
        ip: '127.0.0.1',
        fingerprint: 'seed',
      });
    }
    await database.users.insertMany(users, { ordered: false });
    await database.sessions.insertMany(sessions, { ordered: false });
  }
}
