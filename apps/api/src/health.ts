import type { Database } from '@authkit/db';

/** One ping with a short deadline, so a health check answers fast while the database is down. */
export async function databaseUp(database: Database, timeoutMS = 1_000): Promise<boolean> {
  try {
    await database.db.command({ ping: 1 }, { timeoutMS });
    return true;
  } catch {
    return false;
  }
}
