// Issue 20 and issue 18 item 6: many sign-ins at once are queued, never
// refused for being many; parallel wrong guesses still get no more checks than
// the budgets; device tokens are bound to the security stamp, capped per
// account, and count toward the account's hard cap. "Checked" is counted by the
// login_failed events: one per password that Argon2 actually checked.
import { describe, expect, it } from 'vitest';
import { addressesFrom, authErrorOf, registeredUser, useTestAuth } from './test-harness.ts';

const limits = {
  accountFreeFailures: 5,
  addressFreeFailures: 20,
  deviceFreeFailures: 3,
  accountHardCap: 12,
  maxDevicesPerAccount: 4,
  // A generous wait: a loaded test machine must not turn a queue into refusals.
  queueWaitMs: 60_000,
};
const { database, clock, auth } = useTestAuth({ throttle: limits });

/** Each test its own address, so that the address counters of tests do not mix. */
const freshRequest = addressesFrom('203.0.113');
const newUser = (name: string) => registeredUser(auth, name);

/** Passwords checked and found wrong on an account: one login_failed event each. */
function checkedOn(userId: string): Promise<number> {
  return database.current.authEvents.countDocuments({ type: 'login_failed', user_id: userId });
}

describe('parallel wrong guesses', () => {
  it('30 at once on one account: no more than its free attempts are checked', async () => {
    const { user } = await newUser('burst-target');
    const request = freshRequest();
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        authErrorOf(auth.authenticate('burst-target', 'wrong-guess', request)),
      ),
    );
    expect(await checkedOn(user.id)).toBeLessThanOrEqual(limits.accountFreeFailures);
    const refused = results.filter((error) => error.code === 'THROTTLED');
    expect(refused.length).toBeGreaterThanOrEqual(30 - limits.accountFreeFailures);
    // Refused because of failures, and the message says so.
    for (const error of refused)
      expect(error.message).toMatch(/failed sign-in attempts for this account/);
  });
});

describe('device tokens', () => {
  it("are ignored once the account's security stamp changes", async () => {
    const { user, password } = await newUser('stamped');
    const request = freshRequest();
    const signedIn = await auth.authenticate('stamped', password, request);
    const { token } = await auth.trustDevice(signedIn, request);
    // A stranger locks the account.
    for (let i = 0; i < limits.accountFreeFailures; i++) {
      await authErrorOf(auth.authenticate('stamped', 'wrong-guess', freshRequest()));
    }
    // With the token, the device gets past the stranger's lock...
    expect(
      (
        await authErrorOf(
          auth.authenticate('stamped', 'wrong-guess', { ...request, deviceToken: token }),
        )
      ).code,
    ).toBe('INVALID_CREDENTIALS');
    // ...until the stamp changes: then the token is ignored and the account lock applies.
    await database.current.users.updateOne(
      { _id: user.id },
      { $set: { security_stamp: 'a-new-stamp' } },
    );
    const error = await authErrorOf(
      auth.authenticate('stamped', password, { ...request, deviceToken: token }),
    );
    expect(error.code).toBe('THROTTLED');
    expect(error.scope).toBe('account');
  });

  it('are trusted for at most maxDevicesPerAccount devices: a new one pushes out the least recently used', async () => {
    const { password } = await newUser('many-devices');
    const tokens: string[] = [];
    for (let i = 0; i <= limits.maxDevicesPerAccount; i++) {
      const request = freshRequest();
      const signedIn = await auth.authenticate('many-devices', password, request);
      tokens.push((await auth.trustDevice(signedIn, request)).token);
      clock.advance(1_000);
    }
    for (let i = 0; i < limits.accountFreeFailures; i++) {
      await authErrorOf(auth.authenticate('many-devices', 'wrong-guess', freshRequest()));
    }
    // The oldest device was pushed out: it is a stranger now, and the account is locked.
    expect(
      (
        await authErrorOf(
          auth.authenticate('many-devices', password, {
            ...freshRequest(),
            deviceToken: tokens[0],
          }),
        )
      ).code,
    ).toBe('THROTTLED');
    // The newest ones still sign in.
    for (const token of tokens.slice(1))
      await auth.authenticate('many-devices', password, { ...freshRequest(), deviceToken: token });
  });

  it("give no more wrong guesses in total than the account's hard cap (6 tokens x 10 guesses on a locked account)", async () => {
    const { user, password } = await newUser('capped-devices');
    // Six sign-ins, six tokens (the newest 4 trusted, 3 guesses each past the soft locks).
    const tokens: string[] = [];
    for (let i = 0; i < 6; i++) {
      const request = freshRequest();
      const signedIn = await auth.authenticate('capped-devices', password, request);
      tokens.push((await auth.trustDevice(signedIn, request)).token);
    }
    // A stranger locks the account.
    for (let i = 0; i < limits.accountFreeFailures; i++) {
      await authErrorOf(auth.authenticate('capped-devices', 'wrong-guess', freshRequest()));
    }
    // Every token tries 10 wrong guesses.
    for (const token of tokens) {
      for (let i = 0; i < 10; i++) {
        await authErrorOf(
          auth.authenticate('capped-devices', 'wrong-guess', {
            ...freshRequest(),
            deviceToken: token,
          }),
        );
      }
    }
    expect(await checkedOn(user.id)).toBeLessThanOrEqual(limits.accountHardCap);
  });
});
