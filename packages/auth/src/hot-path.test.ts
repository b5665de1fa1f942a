// The user loader runs on every request: count the database commands it sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, type CommandStartedEvent } from 'mongodb';
import type { AuthEventDoc, Database, SessionDoc, ThrottleDoc, UserDoc } from '@authkit/db';
import { useTestDatabase } from '@authkit/db/testing';
import { createAuth } from './auth.ts';
import { createSignedInUser, createTestClock, testRequest } from './testing.ts';
import type { Auth } from './types.ts';

const testDatabase = useTestDatabase();
const clock = createTestClock();
const commands: CommandStartedEvent[] = [];
let client: MongoClient;
let auth: Auth;

beforeAll(() => {
  // Same database as useTestDatabase, through a client that reports every command.
  client = new MongoClient(testDatabase.url, { monitorCommands: true });
  client.on('commandStarted', (event) => commands.push(event));
  const db = client.db();
  const database: Database = {
    client,
    db,
    users: db.collection<UserDoc>('users'),
    sessions: db.collection<SessionDoc>('sessions'),
    authEvents: db.collection<AuthEventDoc>('auth_events'),
    throttle: db.collection<ThrottleDoc>('login_throttle'),
    ttlSupported: testDatabase.current.ttlSupported,
    close: () => client.close(),
  };
  auth = createAuth({ database, now: clock.now });
});

afterAll(() => client.close());

async function commandsOf(work: () => Promise<unknown>): Promise<string[]> {
  commands.length = 0;
  await work();
  return commands.map((event) => `${event.commandName} ${String(event.command[event.commandName])}`);
}

describe('loadUser', () => {
  it('costs two reads by _id, and no write on a quick repeat request', async () => {
    const { token } = await createSignedInUser(auth);
    await auth.loadUser(token, testRequest);
    clock.advance(1_000);
    expect(await commandsOf(() => auth.loadUser(token, testRequest))).toEqual(['find sessions', 'find users']);
    const [sessionRead, userRead] = commands;
    expect(Object.keys(sessionRead?.command.filter ?? {})).toEqual(['_id']);
    expect(Object.keys(userRead?.command.filter ?? {})).toEqual(['_id']);
  });

  it('adds one write when the sliding expiry moves', async () => {
    const { token } = await createSignedInUser(auth);
    clock.advance(30 * 60_000);
    expect(await commandsOf(() => auth.loadUser(token, testRequest))).toEqual([
      'find sessions',
      'find users',
      'update sessions',
    ]);
  });

  it('sends nothing to the database for a missing or malformed token', async () => {
    expect(await commandsOf(() => auth.loadUser(null, testRequest))).toEqual([]);
    expect(await commandsOf(() => auth.loadUser('not-a-token', testRequest))).toEqual([]);
  });
});
