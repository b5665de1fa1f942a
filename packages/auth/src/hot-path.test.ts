// The user loader runs on every request: count the database commands it sends,
// with the session cache on (a hit costs nothing, a miss one read) and off
// (strict: one read on every request).
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { CommandStartedEvent } from 'mongodb';
import { useTestDatabase } from '@authkit/db/testing';
import { createAuth } from './auth.ts';
import { createSignedInUser, createTestClock, testRequest } from './testing.ts';

// The test database's client reports every command it sends.
const database = useTestDatabase({ monitorCommands: true });
const clock = createTestClock();
const commands: CommandStartedEvent[] = [];
database.current.client.on('commandStarted', (event) => commands.push(event));

const cached = createAuth({ database: database.current, now: clock.now, sessionCacheMs: 1_000 });
const strict = createAuth({ database: database.current, now: clock.now, sessionCacheMs: 0 });
afterAll(async () => {
  await cached.close();
  await strict.close();
});

// Only what the loader sends: the cache's feed reader polls in the background.
const FEED = 'session_invalidations';
async function commandsOf(work: () => Promise<unknown>): Promise<string[]> {
  commands.length = 0;
  await work();
  return commands
    .map((event) => `${event.commandName} ${String(event.command[event.commandName])}`)
    .filter((command) => !command.endsWith(FEED));
}

describe('loadUser with the session cache on', () => {
  it('a miss costs one read by _id; a hit costs nothing', async () => {
    const { token } = await createSignedInUser(cached);
    // The first load starts the feed reader; cached entries count once it has read the feed.
    expect(await commandsOf(() => cached.loadUser(token, testRequest))).toEqual(['find sessions']);
    expect(Object.keys(commands.find((event) => event.command.find === 'sessions')?.command.filter ?? {})).toEqual(['_id']);
    await vi.waitFor(() => expect(cached.sessionCacheStats().trusted).toBe(true));
    clock.advance(1_000);
    expect(await commandsOf(() => cached.loadUser(token, testRequest))).toEqual([]);
    expect(await commandsOf(() => cached.loadUser(token, testRequest))).toEqual([]);
  });

  it('the sliding expiry of a hit is written behind, in a batch', async () => {
    const { token, session } = await createSignedInUser(cached);
    await cached.loadUser(token, testRequest);
    await vi.waitFor(() => expect(cached.sessionCacheStats().trusted).toBe(true));
    clock.advance(30 * 60_000);
    expect(await commandsOf(() => cached.loadUser(token, testRequest))).toEqual([]);
    const expected = clock.now().getTime() + 2 * 60 * 60_000;
    await vi.waitFor(async () =>
      expect((await database.current.sessions.findOne({ _id: session.id }))?.expires_at.getTime()).toBe(expected),
    );
  });
});

describe('loadUser with the session cache off (strict)', () => {
  it('costs one read by _id, and no write on a quick repeat request', async () => {
    const { token } = await createSignedInUser(strict);
    await strict.loadUser(token, testRequest);
    clock.advance(1_000);
    expect(await commandsOf(() => strict.loadUser(token, testRequest))).toEqual(['find sessions']);
    expect(await commandsOf(() => strict.loadUser(token, testRequest))).toEqual(['find sessions']);
    const [sessionRead] = commands;
    expect(Object.keys(sessionRead?.command.filter ?? {})).toEqual(['_id']);
  });

  it('adds one write when the sliding expiry moves', async () => {
    const { token } = await createSignedInUser(strict);
    clock.advance(30 * 60_000);
    expect(await commandsOf(() => strict.loadUser(token, testRequest))).toEqual(['find sessions', 'update sessions']);
  });
});

describe('either way', () => {
  it('sends nothing to the database for a missing or malformed token', async () => {
    for (const auth of [cached, strict]) {
      expect(await commandsOf(() => auth.loadUser(null, testRequest))).toEqual([]);
      expect(await commandsOf(() => auth.loadUser('not-a-token', testRequest))).toEqual([]);
    }
  });
});
