// A bounded soak: SOAK_SECONDS (default 30) of mixed traffic from ten
// concurrent clients against one API server (in this process, over HTTP):
// sign-ups, sign-ins, signed-in reads, revocations, sign-outs, health checks
// and bad input. Never a 5xx, and memory stays flat between the end of a
// warm-up and the end of the run. That is a leak check, not a timing assertion:
// nothing here measures speed.
//
// What is measured: after a forced garbage collection, the V8 heap plus the
// memory V8 accounts outside it (Buffers: sockets, BSON) must grow by less than
// 50 MB. The process's resident size gets a looser bound: it also holds what the
// native allocator keeps of Argon2id's 19 MiB per password hash (four hashing
// threads), which wanders by tens of megabytes from run to run without a leak
// (measured: +6 MB and +62 MB over two 30 s runs whose heap grew by 2 MB both times).
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  mutate,
  query,
  send,
  strongPassword,
  uniqueName,
  useTestApi,
  WEB_ORIGIN,
  type CallHeaders,
  type CallResult,
} from '../test-helpers/index.ts';

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 30);
const WARM_UP_SECONDS = 5;
const CLIENTS = 10;
/** Generous: a leak of a few hundred bytes per request over the run would pass; one of tens of kilobytes would not. */
const MAX_HEAP_GROWTH_MB = 50;
/** Looser, for the allocator's slack (see above); still catches a native leak of megabytes per second. */
const MAX_RSS_GROWTH_MB = 150;

// Every client signs in from this test's address: the address throttle is not under test here.
const api = useTestApi(
  { throttle: { addressFreeFailures: 1_000_000, registrationsPerHour: 1_000_000 } },
  // Long runs discard the log lines instead of keeping them (they are the harness's, not the server's).
  { keepLogs: false },
);

/** `gc()` without starting the test runner with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

interface Memory {
  /** V8 heap in use plus V8's external memory (Buffers), after a full collection. */
  heapMB: number;
  rssMB: number;
}

async function memory(): Promise<Memory> {
  // Let in-flight callbacks (sockets closing, timers) settle before measuring.
  await new Promise((resolve) => setTimeout(resolve, 200));
  collectGarbage();
  const usage = process.memoryUsage();
  return { heapMB: (usage.heapUsed + usage.external) / 2 ** 20, rssMB: usage.rss / 2 ** 20 };
}

interface Tally {
  requests: number;
  byStatus: Map<number, number>;
  serverErrors: string[];
}

/** One client: its own account, a few sessions at a time, a bit of everything. */
async function client(index: number, until: () => boolean, tally: Tally): Promise<void> {
  const count = (label: string, result: CallResult) => {
    tally.requests++;
    tally.byStatus.set(result.status, (tally.byStatus.get(result.status) ?? 0) + 1);
    if (result.status >= 500 || typeof result.body !== 'object') {
      tally.serverErrors.push(
        `${label}: ${result.status} ${JSON.stringify(result.body).slice(0, 200)}`,
      );
    }
    return result;
  };
  const account = async () => {
    const username = uniqueName(`soak${index}`);
    const password = strongPassword();
    count(
      'register',
      await mutate(api, 'auth.register', { username, email: `${username}@example.com`, password }),
    );
    return { username, password };
  };
  let me = await account();
  const tokens: string[] = [];
  const bearer = (token: string): CallHeaders => ({ authorization: `Bearer ${token}` });

  for (let round = 0; until(); round++) {
    const token = tokens.at(-1);
    switch (round % 12) {
      case 0: {
        const login = count(
          'login',
          await mutate(api, 'auth.login', { ...me, remember: round % 2 === 0, bearer: true }),
        );
        if (login.status === 200) tokens.push(login.body.result.data.token as string);
        break;
      }
      case 1:
      case 5:
      case 9:
        if (token) count('me', await query(api, 'auth.me', undefined, bearer(token)));
        break;
      case 2:
        if (token) {
          const cookie = `authkit_session=${token}`;
          count(
            'sessions.list',
            await query(api, 'auth.sessions.list', undefined, { cookie, origin: WEB_ORIGIN }),
          );
        }
        break;
      case 3:
        count('health', await send(`${api.url}/health`, {}));
        count('health procedure', await query(api, 'health'));
        break;
      case 4:
        // Bad input: operators, wrong types, unknown keys, junk tokens, unknown procedures.
        count(
          'bad login',
          await mutate(api, 'auth.login', { username: { $ne: null }, password: 'x' }),
        );
        count(
          'bad revoke',
          await mutate(api, 'auth.sessions.revoke', { sessionId: 42 }, token ? bearer(token) : {}),
        );
        count(
          'junk token',
          await query(api, 'auth.me', undefined, bearer(randomBytes(20).toString('hex'))),
        );
        count('unknown', await query(api, 'auth.nope'));
        count(
          'not json',
          await send(`${api.url}/trpc/auth.login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"username":',
          }),
        );
        break;
      case 6:
        // A wrong password for an unknown account: the dummy-hash path and an audit event.
        count(
          'wrong password',
          await mutate(api, 'auth.login', {
            username: uniqueName('ghost'),
            password: 'not-it-at-all',
          }),
        );
        break;
      case 7:
        if (token) count('events', await query(api, 'auth.events', { limit: 10 }, bearer(token)));
        break;
      case 8:
        if (tokens.length > 2) {
          // Revoke the oldest session from the newest.
          const list = await query(api, 'auth.sessions.list', undefined, bearer(tokens.at(-1)!));
          count('sessions.list', list);
          const oldest = (
            list.body?.result?.data as { id: string; current: boolean }[] | undefined
          )?.find((session) => !session.current);
          if (oldest) {
            count(
              'revoke',
              await mutate(
                api,
                'auth.sessions.revoke',
                { sessionId: oldest.id },
                bearer(tokens.at(-1)!),
              ),
            );
          }
          tokens.splice(0, tokens.length - 1);
        }
        break;
      case 10:
        if (tokens.length > 0) {
          count('logout', await mutate(api, 'auth.logout', undefined, bearer(tokens.pop()!)));
        }
        break;
      default:
        // Now and then a new account, as new users keep arriving.
        if (round % 48 === 11) me = await account();
    }
  }
}

async function traffic(seconds: number, tally: Tally): Promise<void> {
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, (_, i) => client(i, () => Date.now() < end, tally)),
  );
}

describe('soak', () => {
  it(
    `${SOAK_SECONDS} s of mixed traffic: no 5xx, and memory stays flat`,
    async () => {
      const tally: Tally = { requests: 0, byStatus: new Map(), serverErrors: [] };
      // Warm-up, with a burst of password hashing at once first: each hashing thread's
      // memory (Argon2id takes 19 MiB) is then part of the baseline, not of the growth.
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          mutate(api, 'auth.register', {
            username: uniqueName(`warm${i}`),
            email: `${uniqueName('warm')}@example.com`,
            password: strongPassword(),
          }),
        ),
      );
      await traffic(WARM_UP_SECONDS, tally);
      const warm = await memory();
      const warmRequests = tally.requests;

      await traffic(SOAK_SECONDS, tally);
      const end = await memory();

      const summary = JSON.stringify({
        requests: tally.requests,
        byStatus: Object.fromEntries(tally.byStatus),
        warm,
        end,
      });
      expect(tally.serverErrors, summary).toEqual([]);
      // Enough traffic to mean something, and it reached the database (sign-ins, 401s, 404s).
      expect(tally.requests - warmRequests, summary).toBeGreaterThan(SOAK_SECONDS * CLIENTS);
      for (const status of [200, 400, 401, 404])
        expect(tally.byStatus.get(status) ?? 0, summary).toBeGreaterThan(0);

      expect(end.heapMB - warm.heapMB, summary).toBeLessThan(MAX_HEAP_GROWTH_MB);
      expect(end.rssMB - warm.rssMB, summary).toBeLessThan(MAX_RSS_GROWTH_MB);
      if (process.env.SOAK_REPORT) console.log(summary);
    },
    (SOAK_SECONDS + WARM_UP_SECONDS + 60) * 1000,
  );
});
