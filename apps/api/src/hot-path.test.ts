// Round trips to the database per request, whichever way the token comes.
// With the session cache on (the default): one read by _id on a miss, none on
// a hit. Off (SESSION_CACHE_MS=0, strict): one read on every request (the
// session carries its user's fields). None for an anonymous caller.
import { beforeAll, describe, expect, it } from 'vitest';
import { query, signUp, useTestApi, type TestApi } from './test-helpers/index.ts';

const cached = useTestApi({ sessionCacheMs: 1_000 }, { monitorCommands: true });
const strict = useTestApi({ sessionCacheMs: 0 }, { monitorCommands: true });
const commands = new Map<TestApi, string[]>([
  [cached, []],
  [strict, []],
]);
beforeAll(() => {
  for (const [api, sent] of commands) {
    api.database.client.on('commandStarted', (event) => {
      const command = `${event.commandName} ${String(event.command[event.commandName])}`;
      // The cache's feed reader polls in the background: not the request's doing.
      if (!command.endsWith('session_invalidations')) sent.push(command);
    });
  }
});

/** The commands one request sent to the database. */
async function commandsOf(api: TestApi, work: () => Promise<{ status: number }>): Promise<string[]> {
  const sent = commands.get(api)!;
  sent.length = 0;
  expect((await work()).status).toBeLessThan(500);
  return [...sent];
}

describe('database commands per request', () => {
  it('with the cache: one read on a miss, none on a hit', async () => {
    const user = await signUp(cached, { via: 'both' });
    for (const headers of [user.bearer, { cookie: user.cookie }]) {
      expect(await commandsOf(cached, () => query(cached, 'auth.me', undefined, headers))).toEqual([
        'find sessions',
      ]);
    }
    // Once the feed has been read, both are hits.
    await expect
      .poll(() => commandsOf(cached, () => query(cached, 'auth.me', undefined, user.bearer)))
      .toEqual([]);
    for (const headers of [user.bearer, { cookie: user.cookie }]) {
      expect(await commandsOf(cached, () => query(cached, 'auth.me', undefined, headers))).toEqual([]);
    }
  });

  it('without the cache (strict): one read on every request', async () => {
    const user = await signUp(strict, { via: 'both' });
    for (let round = 0; round < 2; round++) {
      for (const headers of [user.bearer, { cookie: user.cookie }]) {
        expect(await commandsOf(strict, () => query(strict, 'auth.me', undefined, headers))).toEqual([
          'find sessions',
        ]);
      }
    }
  });

  it('an anonymous or malformed credential costs nothing, as does ping', async () => {
    for (const api of [cached, strict]) {
      expect(await commandsOf(api, () => query(api, 'auth.me'))).toEqual([]);
      expect(
        await commandsOf(api, () => query(api, 'auth.me', undefined, { authorization: 'Bearer x' })),
      ).toEqual([]);
      expect((await query(api, 'ping')).body.result.data).toEqual({ ok: true });
      expect(await commandsOf(api, () => query(api, 'ping'))).toEqual([]);
    }
  });
});
