// The fuzz tests' checks (e2e/fuzz*.e2e.ts): fast-check runs scaled by
// FUZZ_SCALE and replayed by FUZZ_SEED, the answer checks, and the database
// snapshot a refused request must leave as it was.
import { expect } from '@playwright/test';
import fc from 'fast-check';
import { testAuth } from './fixtures.ts';
import {
  describeCase,
  MARKUP_MARKER,
  redirectOf,
  type Answer,
  type FormClient,
} from './fuzz-support.ts';

export const scale = Number(process.env.FUZZ_SCALE ?? '1') || 1;
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

/** Runs `predicate` on `runs` generated values (shrinking to a minimal case on failure). */
export async function check<T>(
  arbitrary: fc.Arbitrary<T>,
  runs: number,
  predicate: (value: T) => Promise<void>,
): Promise<void> {
  await fc.assert(fc.asyncProperty(arbitrary, predicate), {
    numRuns: Math.ceil(runs * scale),
    ...(seed === undefined ? {} : { seed }),
  });
}

/** Statuses seen, for the summary line at the end. */
export const tally = new Map<number, number>();

/** The answer's status is one of `allowed` (never a 5xx), and echoed input is escaped. */
export function expectAnswer(answer: Answer, allowed: number[], input: unknown): void {
  tally.set(answer.status, (tally.get(answer.status) ?? 0) + 1);
  const context = `input ${describeCase(input)}\nanswer ${answer.status} ${answer.location ?? ''} ${answer.body.slice(0, 400)}`;
  expect(answer.status, context).toBeLessThan(500);
  expect(allowed, context).toContain(answer.status);
  if (answer.headers['content-type']?.startsWith('text/html')) {
    expect(answer.body, context).not.toContain(MARKUP_MARKER);
  }
}

/** A redirect (a 303, or an enhanced post's JSON redirect) to a path starting with `prefix`. */
export function expectRedirect(answer: Answer, prefix: string, input: unknown): void {
  expectAnswer(answer, [200, 303], input);
  expect(redirectOf(answer), describeCase(input)).toMatch(new RegExp(`^${escapeRegExp(prefix)}`));
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---- the database, before and after -------------------------------------------

export interface DatabaseState {
  userCount: number;
  /** id, role, active flag and password hash of every user. */
  users: string[];
  sessionCount: number;
  sessions: string[];
  /** Reset and verification links (ids are hashes), and the mails written. */
  tokens: string[];
  mails: number;
  /** Second factors: TOTP per user, recovery codes, passkeys, pending sign-ins (ids are hashes). */
  secondFactors: string[];
  /** Connected identity providers (a provider flow's own record is not a trace: see fuzz.e2e.ts). */
  connections: string[];
}

export async function databaseState(): Promise<DatabaseState> {
  const database = testAuth().database;
  const users = await database.users
    .find(
      {},
      {
        projection: {
          role: 1,
          active: 1,
          password_hash: 1,
          email: 1,
          email_verified: 1,
          mfa_enabled: 1,
          totp: 1,
        },
      },
    )
    .toArray();
  const [recoveryCodes, passkeys, pending, connections] = await Promise.all([
    database.recoveryCodes.find({}, { projection: { _id: 1 } }).toArray(),
    database.passkeys.find({}).toArray(),
    database.pendingSignIns.find({}, { projection: { _id: 1 } }).toArray(),
    database.oauthAccounts.find({}).toArray(),
  ]);
  const sessions = await database.sessions.find({}, { projection: { _id: 1 } }).toArray();
  const tokens = await database.singleUseTokens.find({}, { projection: { _id: 1 } }).toArray();
  return {
    userCount: users.length,
    users: users
      .map(
        (user) =>
          `${user._id} ${user.role} ${user.active} ${user.password_hash} ${user.email} ${user.email_verified}`,
      )
      .sort(),
    sessionCount: sessions.length,
    sessions: sessions.map((session) => session._id).sort(),
    tokens: tokens.map((token) => String(token._id)).sort(),
    // A wrong code after the right password is mailed to the owner on purpose
    // (at most once per pending sign-in and 15 minutes): not a trace of the fuzz.
    mails: await database.mailOutbox.countDocuments({ kind: { $ne: 'second_step_notice' } }),
    secondFactors: [
      ...users.map(
        (user) =>
          `user ${user._id} ${user.mfa_enabled} ${user.totp?.confirmed} ${user.totp?.secret}`,
      ),
      ...recoveryCodes.map((code) => `recovery ${code._id}`),
      ...passkeys.map((key) => `passkey ${key._id} ${key.user_id} ${key.name} ${key.counter}`),
      ...pending.map((item) => `pending ${item._id}`),
    ].sort(),
    connections: connections
      .map((link) => `${link._id} ${link.user_id} ${link.provider} ${link.issuer} ${link.subject}`)
      .sort(),
  };
}

/** Runs the fuzz; then the database must be as before, and the site still up. */
export async function refusedWithoutTrace(
  client: FormClient,
  work: () => Promise<void>,
): Promise<void> {
  const before = await databaseState();
  await work();
  expect(await databaseState()).toEqual(before);
  expect((await client.get('/login')).status).toBe(200);
}
