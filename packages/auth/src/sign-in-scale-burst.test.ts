// Issue 20, the bursts: parallel wrong guesses from one address get no more
// checks than its budget, also when they arrive at two API processes at once
// (the slots in the database bound them, not a process's own queue), and a
// crowd of correct passwords behind an address whose lock has passed is
// queued, not refused. "Checked" is counted by the login_failed events: one
// per password that Argon2 actually checked.
import { describe, expect, it } from 'vitest';
import { createAuth } from './auth.ts';
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

/** Passwords checked and found wrong: one login_failed event each. */
function checkedFrom(ip: string): Promise<number> {
  return database.current.authEvents.countDocuments({ type: 'login_failed', ip });
}

describe('parallel wrong guesses', () => {
  it('200 at once across 200 unknown names from one address: no more than the address budget are checked', async () => {
    const request = freshRequest();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        authErrorOf(auth.authenticate(`nobody-${i}`, 'wrong-guess', request)),
      ),
    );
    expect(await checkedFrom(request.ip!)).toBeLessThanOrEqual(limits.addressFreeFailures);
  }, 120_000);

  it('200 at once from one address, split between two API processes: still no more than the address budget are checked', async () => {
    // A second Auth over the same database: its own slots held, waiters and remembered locks, like another process.
    const other = createAuth({ database: database.current, now: clock.now, throttle: limits });
    try {
      const request = freshRequest();
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          authErrorOf((i % 2 ? other : auth).authenticate(`someone-${i}`, 'wrong-guess', request)),
        ),
      );
      expect(await checkedFrom(request.ip!)).toBeLessThanOrEqual(limits.addressFreeFailures);
    } finally {
      await other.close();
    }
  }, 120_000);
});

describe('a crowd behind one address', () => {
  it('after the address lock has passed, 60 correct sign-ins at once are all let in (queued, not refused)', async () => {
    const request = freshRequest();
    const crowd = await Promise.all(Array.from({ length: 60 }, (_, i) => newUser(`crowd-${i}`)));
    for (let i = 0; i < limits.addressFreeFailures + 1; i++) {
      await authErrorOf(auth.authenticate(`sprayed-${i}`, 'wrong-guess', request));
    }
    const locked = await authErrorOf(auth.authenticate('crowd-0', crowd[0]!.password, request));
    expect(locked.code).toBe('THROTTLED');
    clock.advance((locked.retryAfterSeconds ?? 0) * 1000);
    const outcomes = await Promise.allSettled(
      crowd.map(({ password }, i) => auth.authenticate(`crowd-${i}`, password, request)),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
  }, 180_000);
});
