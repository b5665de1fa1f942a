import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDatabase, pingDatabase } from './client.ts';
import { isDatabaseUnavailable } from './errors.ts';
import { startEmbeddedServer } from './embedded.ts';

// Dev keeps its data in .data/ across restarts, and the API's recovery tests stop
// and restart a server on the same port: both rest on this behaviour.
describe('embedded server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'authkit-embedded-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps data across a restart on the same port, and clients recover by themselves', async () => {
    const first = await startEmbeddedServer({ dataDir });
    const database = connectDatabase(`${first.uri}/restart_check`, { serverSelectionTimeoutMS: 500 });
    try {
      await database.db.collection('notes').insertOne({ _id: 'n1' as never, text: 'kept' });
      await first.stop();

      const whileDown = await pingDatabase(database).then(() => null, (error: unknown) => error);
      expect(isDatabaseUnavailable(whileDown)).toBe(true);

      const second = await startEmbeddedServer({ dataDir, port: first.port });
      try {
        expect(second.kind).toBe(first.kind);
        const note = await database.db.collection('notes').findOne({ _id: 'n1' as never });
        expect(note?.text).toBe('kept');
      } finally {
        await second.stop();
      }
    } finally {
      await database.close();
    }
  });

  it('explains what to install when no server can be had', async () => {
    const path = process.env.PATH;
    process.env.PATH = ''; // no mongod to be found
    try {
      await expect(startEmbeddedServer({ dataDir, only: 'mongod' })).rejects.toThrow(/Set MONGODB_URL/);
    } finally {
      process.env.PATH = path;
    }
  });
});
