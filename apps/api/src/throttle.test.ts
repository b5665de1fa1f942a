// Sign-in throttling over real HTTP, every client on one address (loopback,
// as behind a proxy without TRUST_PROXY): an attacker spraying wrong guesses
// cannot lock out people who signed in from their devices before, and gets no
// more guesses than the configured limits.
import { defaultSettings } from '@authkit/auth';
import { describe, expect, it } from 'vitest';
import {
  mutate,
  send,
  startTestApi,
  strongPassword,
  uniqueName,
  useTestApi,
  type CallHeaders,
} from './test-helpers/index.ts';

const limits = { ...defaultSettings.throttle, registrationsPerHour: 1_000 };
const api = useTestApi({ throttle: limits });

interface Member {
  username: string;
  password: string;
  /** What this client sends with a sign-in to be recognised: the device cookie, or the X-Device-Token header. */
  device: CallHeaders;
}

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T, R>(
  items: T[],
  width: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

async function register(): Promise<{ username: string; password: string }> {
  const account = { username: uniqueName('member'), password: strongPassword() };
  const result = await mutate(api, 'auth.register', {
    ...account,
    email: `${account.username}@example.test`,
  });
  expect(result.status).toBe(200);
  return account;
}

describe('an attacker spraying from a shared address', () => {
  it('cannot lock out members who signed in before, and gets no more guesses than the limits', async () => {
    // 20 members sign in once: half as browsers (device cookie), half as bearer clients (device token).
    const members = await inParallel(
      Array.from({ length: 20 }, (_, i) => i),
      4,
      async (i): Promise<Member> => {
        const account = await register();
        const bearer = i % 2 === 1;
        const login = await mutate(api, 'auth.login', {
          ...account,
          ...(bearer ? { bearer: true } : {}),
        });
        expect(login.status).toBe(200);
        if (bearer)
          return { ...account, device: { 'x-device-token': login.body.result.data.deviceToken } };
        const deviceCookie = login.headers
          .getSetCookie()
          .find((value) => value.startsWith('authkit_device='));
        expect(deviceCookie).toMatch(/; HttpOnly; SameSite=Lax$/);
        return { ...account, device: { cookie: deviceCookie!.split(';', 1)[0]! } };
      },
    );
    const newcomer = await register();

    // 500 wrong guesses, over the members' names and names nobody has.
    const names = [
      ...members.map((member) => member.username),
      ...Array.from({ length: 30 }, () => uniqueName('ghost')),
    ];
    const started = Date.now();
    const guesses = await inParallel(
      Array.from({ length: 500 }, (_, i) => i),
      8,
      async (i) => {
        const username = names[i % names.length]!;
        const result = await mutate(api, 'auth.login', { username, password: `guess-${i}` });
        expect([401, 429]).toContain(result.status);
        return {
          username,
          status: result.status,
          scope: result.body.error?.data?.scope as string | undefined,
        };
      },
    );
    const elapsedMs = Date.now() - started;

    // Guesses that reached Argon2 (401): within the address limit (plus one
    // after each lock that passed during the run), and the account limit per name.
    const checked = guesses.filter((guess) => guess.status === 401);
    const locksPassed = Math.floor(elapsedMs / limits.baseLockMs);
    expect(checked.length).toBeGreaterThan(0);
    expect(checked.length).toBeLessThanOrEqual(limits.addressFreeFailures + locksPassed);
    for (const name of names) {
      expect(checked.filter((guess) => guess.username === name).length).toBeLessThanOrEqual(
        limits.accountFreeFailures,
      );
    }
    expect(guesses.filter((guess) => guess.status === 429).length).toBeGreaterThanOrEqual(
      500 - checked.length,
    );
    // One event per lock, not one per refusal.
    const events = await api.database.authEvents.countDocuments({
      type: { $in: ['login_failed', 'address_locked', 'account_locked'] },
    });
    expect(events).toBeLessThanOrEqual(checked.length * 2 + 1);

    // Every member signs in at the first try.
    const signIns = await inParallel(members, 5, (member) =>
      mutate(
        api,
        'auth.login',
        { username: member.username, password: member.password },
        member.device,
      ),
    );
    expect(signIns.map((result) => result.status)).toEqual(members.map(() => 200));

    // Somebody new at that address (no device cookie) waits for the address lock, told why.
    const refused = await mutate(api, 'auth.login', newcomer);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.error.data.scope).toBe('address');
    expect(refused.body.error.message).toMatch(/from your network\. Try again in \d+ seconds/);
  }, 120_000);
});

describe('a crowd behind one address (issue 20)', () => {
  it('100 distinct accounts signing in at once from one address are all let in (200), none refused for being many', async () => {
    // A server of its own (a fresh database): the address has no failures on record.
    const office = await startTestApi({ throttle: limits });
    try {
      // Registered directly (no address): the sign-ins are what is measured here.
      const crowd = await inParallel(
        Array.from({ length: 100 }, (_, i) => i),
        4,
        async () => {
          const account = { username: uniqueName('crowd'), password: strongPassword() };
          await office.auth.registerUser(
            { ...account, email: `${account.username}@example.test` },
            { ip: null, userAgent: null },
          );
          return account;
        },
      );
      // All at once, over real HTTP, every one from 127.0.0.1 (no TRUST_PROXY), with the default limits.
      const results = await Promise.all(
        crowd.map((account) => mutate(office, 'auth.login', account)),
      );
      const refused = results.filter((result) => result.status !== 200);
      expect(refused.map((result) => [result.status, result.body.error?.message])).toEqual([]);
    } finally {
      await office.close();
    }
  }, 120_000);
});

describe('the X-Forwarded-For warning', () => {
  it('is logged once when proxied requests arrive without TRUST_PROXY', async () => {
    for (let i = 0; i < 3; i++) {
      await mutate(
        api,
        'auth.login',
        { username: 'nobody-proxied', password: 'x' },
        { 'x-forwarded-for': '192.0.2.1' },
      );
    }
    const warnings = api.logs.filter((line) => String(line.msg).includes('TRUST_PROXY'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.level).toBe(40);
  });
});

describe('registration', () => {
  it('is limited per address with 429 and Retry-After', async () => {
    const strict = await startTestApi({ throttle: { ...limits, registrationsPerHour: 2 } });
    try {
      const statuses: number[] = [];
      let last = null;
      for (let i = 0; i < 3; i++) {
        const username = uniqueName('quota');
        last = await mutate(strict, 'auth.register', {
          username,
          email: `${username}@example.test`,
          password: strongPassword(),
        });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(3_000);
      expect(last?.body.error.data.scope).toBe('registration');
    } finally {
      await strict.close();
    }
  });
});

describe('passkey sign-in options (anonymous: each one a stored challenge)', () => {
  it('3,000 calls from one address store at most the per-address quota; the rest get 429 and Retry-After', async () => {
    const path = 'auth.passkeys.authenticationOptions';
    const quota = limits.passkeyChallengesPerWindow;
    const before = await api.database.webauthnChallenges.countDocuments({});
    // 150 batches of 20 (the API's largest batch), 10 at a time.
    const batches = Array.from({ length: 150 }, (_, i) => i);
    const answers = await inParallel(batches, 10, async () => {
      const batch = await send(`${api.url}/trpc/${Array(20).fill(path).join(',')}?batch=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return batch.body as {
        result?: unknown;
        error?: { data: { httpStatus: number; code: string } };
      }[];
    });
    const each = answers.flat();
    expect(each).toHaveLength(3_000);
    const given = each.filter((answer) => answer.result !== undefined).length;
    const throttled = each.filter((answer) => answer.error?.data.httpStatus === 429).length;
    expect(given + throttled).toBe(3_000);
    expect(given).toBeGreaterThan(0);
    expect(given).toBeLessThanOrEqual(quota);
    // What is stored: no more challenges than were given, and no quota records for refused calls.
    expect((await api.database.webauthnChallenges.countDocuments({})) - before).toBe(given);
    expect(
      await api.database.throttle.countDocuments({ _id: { $regex: '^passkey-options:' } }),
    ).toBeLessThanOrEqual(quota);

    // A burst can leave the quota partly unused (parallel takers all back off):
    // one at a time, the calls fill it up, and the next is refused.
    let single = await mutate(api, path);
    for (let taken = given; single.status === 200 && taken < quota; taken++) single = await mutate(api, path);
    expect(single.status).toBe(429);
    expect(single.body.error.data.scope).toBe('passkey');
    const wait = Number(single.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(180);
  }, 120_000);
});
