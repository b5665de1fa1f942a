// The user loader runs on every request: count the database commands it sends.
import { describe, expect, it } from 'vitest';
import type { CommandStartedEvent } from 'mongodb';
import { useTestAuth } from './test-support.ts';
import { createSignedInUser, testRequest } from './testing.ts';

// The test database's client reports every command it sends.
const { database, clock, auth } = useTestAuth({}, { monitorCommands: true });
const commands: CommandStartedEvent[] = [];
database.current.client.on('commandStarted', (event) => commands.push(event));

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
