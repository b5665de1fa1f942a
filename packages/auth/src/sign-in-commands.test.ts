// How many database commands one password sign-in costs (issue 20 aims at 6
// for an account with no failures on record, not counting the audit event;
// see the README's throttling section for the 7 it takes and why).
// Counted with the MongoDB driver's command monitoring: the sequence the API's
// auth.login runs (authenticate, failed sign-ins since the last visit, the
// session, the device token).
import type { CommandStartedEvent } from 'mongodb';
import { expect, it } from 'vitest';
import { useTestAuth } from './test-harness.ts';
import { strongTestPassword, testRequest } from './testing.ts';
import type { RequestInfo } from './types.ts';

const { database, auth } = useTestAuth({}, { monitorCommands: true });

/** The commands (name and collection) of one password sign-in, as the API's auth.login runs it. */
async function commandsOfSignIn(username: string, password: string, request: RequestInfo) {
  const commands: string[] = [];
  const listener = (event: CommandStartedEvent) => {
    const collection = event.command[event.commandName];
    commands.push(
      `${event.commandName} ${typeof collection === 'string' ? collection : ''}`.trim(),
    );
  };
  database.current.client.on('commandStarted', listener);
  let deviceToken: string;
  try {
    const user = await auth.authenticate(username, password, request);
    await auth.failedSignInsSinceLastVisit(user.id);
    await auth.loginUser(user, {}, request);
    deviceToken = (await auth.trustDevice(user, request)).token;
  } finally {
    database.current.client.off('commandStarted', listener);
  }
  return { commands, deviceToken };
}

const auditEvent = 'insert auth_events';

it('a password sign-in of an account with no failures on record takes 7 commands besides the audit event (8 from a new device; 24 before)', async () => {
  const password = strongTestPassword();
  await auth.registerUser(
    { username: 'counted', email: 'counted@example.test', password },
    { ...testRequest, ip: null },
  );
  // Warm up: keys made once per database, the dummy hash.
  await commandsOfSignIn('counted', password, testRequest);

  // A client without a device cookie: one more write, listing the new device on the account.
  const first = await commandsOfSignIn('counted', password, testRequest);
  console.log(
    `commands of a password sign-in from a new device:\n  ${first.commands.join('\n  ')}`,
  );
  expect(first.commands.filter((command) => command !== auditEvent).length).toBeLessThanOrEqual(8);

  // The same client again, with the device token it earned.
  const again = await commandsOfSignIn('counted', password, {
    ...testRequest,
    deviceToken: first.deviceToken,
  });
  console.log(
    `commands of a password sign-in from a trusted device:\n  ${again.commands.join('\n  ')}`,
  );
  expect(again.commands.filter((command) => command !== auditEvent).length).toBeLessThanOrEqual(7);
});
