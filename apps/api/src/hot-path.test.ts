// Round trips to the database per request: the user loader's two reads by _id
// (session, then user) and nothing more for a signed-in read, whichever way
// the token comes; none for an anonymous caller.
import { beforeAll, describe, expect, it } from 'vitest';
import { query, signUp, useTestApi } from './test-helpers.ts';

const api = useTestApi({}, { monitorCommands: true });
const commands: string[] = [];
beforeAll(() => {
  api.database.client.on('commandStarted', (event) =>
    commands.push(`${event.commandName} ${String(event.command[event.commandName])}`),
  );
});

/** The commands one request sent to the database. */
async function commandsOf(work: () => Promise<{ status: number }>): Promise<string[]> {
  commands.length = 0;
  expect((await work()).status).toBeLessThan(500);
  return [...commands];
}

describe('database commands per request', () => {
  it('a signed-in read costs the session read and the user read', async () => {
    const user = await signUp(api, { via: 'both' });
    for (const headers of [user.bearer, { cookie: user.cookie }]) {
      expect(await commandsOf(() => query(api, 'auth.me', undefined, headers))).toEqual([
        'find sessions',
        'find users',
      ]);
    }
  });

  it('an anonymous or malformed credential costs nothing, as does ping', async () => {
    expect(await commandsOf(() => query(api, 'auth.me'))).toEqual([]);
    const ping = await query(api, 'ping');
    expect(ping.body.result.data).toEqual({ ok: true });
    expect(await commandsOf(() => query(api, 'ping'))).toEqual([]);
    expect(
      await commandsOf(() => query(api, 'auth.me', undefined, { authorization: 'Bearer x' })),
    ).toEqual([]);
  });
});
