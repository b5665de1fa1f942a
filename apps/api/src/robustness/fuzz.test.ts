// Property-based fuzzing of every procedure of the router: malformed, oversized,
// wrong-typed, operator-injected, prototype-polluting and Unicode-edge inputs,
// anonymously and with valid sessions (cookie and bearer), as GET queries and
// POST calls, plus raw non-JSON bodies and broken batch URLs.
//
// For every answer: never a 5xx, always JSON in tRPC's shape (an error with a
// code, message and HTTP status, or a result), never a stack trace. No mutation
// succeeds (the fuzzer never sends valid credentials or links) but the one that
// answers every well-formed name alike (auth.requestPasswordReset), and what the
// requests leave behind is exactly what the design allows: users, sessions,
// link tokens and the mail outbox are unchanged (no link or mail for a name
// that is no account), auth_events only gains `login_failed` (failed password
// checks are audited) and `needs_refresh` events, and login_throttle may count
// failures and reset requests.
import { connect } from 'node:net';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../router.ts';
import {
  send,
  sessionIdOf,
  signUp,
  useTestApi,
  WEB_ORIGIN,
  type CallHeaders,
  type CallResult,
  type BearerAndCookieAccount,
} from '../test-helpers/index.ts';

// FUZZ_SEED=<n> replays the seed a failure printed (as in apps/web's fuzz).
if (process.env.FUZZ_SEED) fc.configureGlobal({ seed: Number(process.env.FUZZ_SEED) });

const api = useTestApi({
  // The fuzzer fails thousands of password checks from one address: only the
  // account throttle (which the fuzzer also trips) is left at a low threshold.
  throttle: {
    accountFreeFailures: 3,
    addressFreeFailures: 1_000_000,
    baseLockMs: 60_000,
    registrationsPerHour: 1_000_000,
  },
  // One configured provider, so that auth.providers.* reach their checks (no flow starts here).
  identityProviders: [
    {
      kind: 'github',
      id: 'github',
      name: 'GitHub',
      clientId: 'c',
      clientSecret: 's',
      webUrl: 'https://github.example',
      apiUrl: 'https://api.github.example',
    },
  ],
});

let user: BearerAndCookieAccount;
let admin: BearerAndCookieAccount;
let adminSessionId: string;
/** The user's connected provider: another account's for the admin, who may not disconnect it. */
const userConnectionId = 'conn-fuzz-user';
beforeAll(async () => {
  // Each signed in twice: over the bearer token and, separately, over the cookie.
  user = await signUp(api, { via: 'both' });
  admin = await signUp(api, { role: 'admin', via: 'both' });
  adminSessionId = await sessionIdOf(api, admin.bearer);
  await api.database.oauthAccounts.insertOne({
    _id: userConnectionId,
    user_id: user.id,
    provider: 'github',
    issuer: 'https://api.github.example',
    subject: '4242',
    email: user.email,
    display_name: user.username,
    created_at: new Date(),
    last_used_at: null,
  });
});

// ---- the procedures ----------------------------------------------------------

type Kind = 'string' | 'boolean' | 'int';
interface Procedure {
  path: string;
  type: 'query' | 'mutation';
  fields: Record<string, Kind>;
}

const procedures: Procedure[] = [
  { path: 'health', type: 'query', fields: {} },
  { path: 'ping', type: 'query', fields: {} },
  {
    path: 'auth.register',
    type: 'mutation',
    fields: { username: 'string', email: 'string', password: 'string' },
  },
  {
    path: 'auth.login',
    type: 'mutation',
    fields: { username: 'string', password: 'string', remember: 'boolean', bearer: 'boolean' },
  },
  { path: 'auth.me', type: 'query', fields: {} },
  { path: 'auth.logout', type: 'mutation', fields: {} },
  { path: 'auth.sessions.list', type: 'query', fields: {} },
  { path: 'auth.sessions.revoke', type: 'mutation', fields: { sessionId: 'string' } },
  { path: 'auth.sessions.revokeOthers', type: 'mutation', fields: {} },
  {
    path: 'auth.reauthenticate',
    type: 'mutation',
    fields: { password: 'string', code: 'string', recoveryCode: 'string' },
  },
  { path: 'auth.events', type: 'query', fields: { limit: 'int' } },
  {
    path: 'auth.changePassword',
    type: 'mutation',
    fields: { currentPassword: 'string', newPassword: 'string' },
  },
  { path: 'admin.users.list', type: 'query', fields: { page: 'int', pageSize: 'int' } },
  {
    path: 'admin.users.setActive',
    type: 'mutation',
    fields: { userId: 'string', active: 'boolean' },
  },
  { path: 'admin.users.setRole', type: 'mutation', fields: { userId: 'string', role: 'string' } },
  { path: 'auth.requestPasswordReset', type: 'mutation', fields: { login: 'string' } },
  { path: 'auth.checkPasswordResetToken', type: 'query', fields: { token: 'string' } },
  {
    path: 'auth.resetPassword',
    type: 'mutation',
    fields: { token: 'string', newPassword: 'string' },
  },
  { path: 'auth.verifyEmail', type: 'mutation', fields: { token: 'string' } },
  { path: 'auth.resendVerification', type: 'mutation', fields: {} },
  { path: 'auth.requestEmailChange', type: 'mutation', fields: { email: 'string' } },
  { path: 'auth.pendingEmailChange', type: 'query', fields: {} },
  { path: 'auth.resendEmailChange', type: 'mutation', fields: {} },
  { path: 'auth.cancelEmailChange', type: 'mutation', fields: {} },
  { path: 'admin.users.sendPasswordResetLink', type: 'mutation', fields: { userId: 'string' } },
  { path: 'admin.users.endSessions', type: 'mutation', fields: { userId: 'string' } },
  { path: 'admin.users.resetSecondFactor', type: 'mutation', fields: { userId: 'string' } },
  {
    path: 'auth.verifySecondFactor',
    type: 'mutation',
    fields: { challenge: 'string', code: 'string', recoveryCode: 'string', bearer: 'boolean' },
  },
  { path: 'auth.totp.beginEnrolment', type: 'mutation', fields: {} },
  { path: 'auth.totp.confirmEnrolment', type: 'mutation', fields: { code: 'string' } },
  { path: 'auth.totp.disable', type: 'mutation', fields: { code: 'string', recoveryCode: 'string' } },
  { path: 'auth.totp.regenerateRecoveryCodes', type: 'mutation', fields: {} },
  { path: 'auth.passkeys.registrationOptions', type: 'mutation', fields: {} },
  { path: 'auth.passkeys.register', type: 'mutation', fields: { response: 'string', name: 'string' } },
  { path: 'auth.passkeys.list', type: 'query', fields: {} },
  { path: 'auth.passkeys.rename', type: 'mutation', fields: { id: 'string', name: 'string' } },
  { path: 'auth.passkeys.remove', type: 'mutation', fields: { id: 'string' } },
  { path: 'auth.passkeys.authenticationOptions', type: 'mutation', fields: {} },
  {
    path: 'auth.passkeys.authenticate',
    type: 'mutation',
    fields: { response: 'string', remember: 'boolean', bearer: 'boolean' },
  },
  { path: 'auth.passkeys.reauthenticationOptions', type: 'mutation', fields: {} },
  { path: 'auth.passkeys.reauthenticate', type: 'mutation', fields: { response: 'string' } },
  { path: 'auth.signInMethods', type: 'query', fields: {} },
  { path: 'auth.providers.available', type: 'query', fields: {} },
  { path: 'auth.providers.list', type: 'query', fields: {} },
  { path: 'auth.providers.disconnect', type: 'mutation', fields: { connectionId: 'string' } },
  // Both fuzzed accounts have a password: refused (409) or bad input (400), never set.
  { path: 'auth.setPassword', type: 'mutation', fields: { newPassword: 'string' } },
];

/**
 * Answers every well-formed name `{ ok: true }`, account or not (it must not
 * tell who has one): a success that changes nothing the snapshot compares.
 */
const answersAlike = new Set(['auth.requestPasswordReset', 'auth.checkPasswordResetToken']);

/**
 * An address a fresh session may move to: auth.requestEmailChange would
 * succeed (and mail a link). The fuzzer sends only refused requests.
 */
function couldChangeEmail(procedure: Procedure, input: unknown): boolean {
  if (procedure.path !== 'auth.requestEmailChange') return false;
  const email = (input as { email?: unknown } | null)?.email;
  return typeof email === 'string' && /@.*\./.test(email);
}

it('the table covers every procedure of the router', () => {
  const routed = Object.keys(appRouter._def.procedures).sort();
  expect(procedures.map((p) => p.path).sort()).toEqual(routed);
});

// ---- values ------------------------------------------------------------------

const MEGABYTE = 'x'.repeat(1024 * 1024);

const edgeStrings = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800', // lone high surrogate
  '\uDFFF', // lone low surrogate
  'ab\uDBFFcd',
  '\uDC00\uD800', // reversed pair
  '\u202Eevil\u202C', // right-to-left override
  '\u200F\u200E\u061C',
  'مرحبا',
  'שלום',
  'e\u0301\u0301\u0301\u0301\u0301',
  `Z${'\u0336\u0335\u0334'.repeat(100)}`, // a pile of combining marks
  '\uFEFF',
  '\u200B\u200C\u200D',
  '\u2028\u2029',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '👩‍👩‍👧‍👦',
  'ＡＤＭＩＮ',
  'ﬀ',
  'İ',
  'ß',
  '\u212A', // Kelvin sign: NFKC to K
  '\uFFFF\uFFFE',
  '$where',
  '$gt',
  '{"$gt":""}',
  'this.password_hash',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  "admin' --",
  '"; db.users.drop(); //',
  '../../etc/passwd',
  '%00',
  '%',
  '\\',
  '\r\n\r\nX-Injected: 1',
  'user@example.com',
  'a'.repeat(257),
  'a'.repeat(1025),
  'é'.repeat(300),
  '😀'.repeat(300),
  'x'.repeat(70_000),
];

const operators = [
  { $gt: '' },
  { $ne: null },
  { $where: 'sleep(1000)' },
  { $regex: '.*' },
  { $in: ['admin', 'user'] },
  { $exists: true },
  { $expr: { $eq: [1, 1] } },
  { 'a.b': 1 },
  { $set: { role: 'admin' } },
  { $function: { body: 'return true', args: [], lang: 'js' } },
];

// Parsed from text, so that `__proto__` is an own key as JSON.parse (and the
// server) sees it, not an object literal's prototype.
const pollution = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"__proto__":{"role":"admin","isAdmin":true,"active":true}}',
  '{"__proto__":null}',
].map((text) => JSON.parse(text) as Record<string, unknown>);

const nastyString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...edgeStrings) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
);

const scalar = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() }, // NaN and infinities become null in JSON
  { weight: 1, arbitrary: fc.constantFrom(1e308, -1e308, -0, 2 ** 53 + 1, 0.5, -1, 0) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 2, arbitrary: fc.constantFrom(...operators) },
  { weight: 1, arbitrary: fc.constantFrom(...pollution) },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  // Deep nesting; and a megabyte, under the 2 MB body limit (413 above it).
  { weight: 1, arbitrary: fc.constantFrom(nest(200), MEGABYTE) },
);

function nest(depth: number): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

/** A value of the right type, but not one that could make a mutation succeed. */
function plausible(kind: Kind): fc.Arbitrary<unknown> {
  if (kind === 'boolean') return fc.boolean();
  if (kind === 'int') return fc.oneof(fc.integer({ min: -5, max: 200 }), fc.integer());
  return fc.oneof(
    fc.constantFrom('someone', 'admin', 'user', 'whatever-123', 'Plum-Otter-Grape-42'),
    fc.string({ maxLength: 40 }),
  );
}

const keyArb = fc.oneof(
  fc.constantFrom(
    '$where',
    '$gt',
    'a.b',
    'username.$ne',
    '__proto__',
    'constructor',
    'prototype',
    '',
    '\u0000',
    'role',
    'isAdmin',
    '\uD800',
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** An object with exactly these own keys (`__proto__` included, as JSON.parse would make it). */
function ownObject(entries: [string, unknown][]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return object;
}

function inputFor(procedure: Procedure): fc.Arbitrary<unknown> {
  const fields = Object.entries(procedure.fields);
  const structured = fc
    .tuple(
      fc.tuple(
        ...fields.map(([name, kind]) =>
          fc
            .option(
              fc.oneof(
                { weight: 2, arbitrary: plausible(kind) },
                { weight: 3, arbitrary: nastyValue },
              ),
              { nil: undefined, freq: 5 },
            )
            .map((value) => [name, value] as [string, unknown]),
        ),
      ),
      fc.array(fc.tuple(keyArb, nastyValue), { maxLength: 2 }),
    )
    .map(([known, extra]) =>
      ownObject([...known.filter(([, value]) => value !== undefined), ...extra]),
    );
  const input = fc.oneof(
    { weight: 5, arbitrary: structured },
    { weight: 2, arbitrary: nastyValue },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  // Without input, these mutations succeed; the fuzzer sends only refused requests.
  if (isInputless(procedure)) {
    return input.filter((value) => !(value === undefined || isEmptyObject(value)));
  }
  return input.filter((value) => !couldChangeEmail(procedure, value));
}

/** auth.logout, auth.sessions.revokeOthers and auth.resendVerification: mutations that take no input. */
function isInputless(procedure: Procedure): boolean {
  return procedure.type === 'mutation' && Object.keys(procedure.fields).length === 0;
}

function isEmptyObject(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 0
  );
}

function procedureAt(path: string): Procedure {
  const procedure = procedures.find((candidate) => candidate.path === path);
  if (!procedure) throw new Error(`no procedure ${path}`);
  return procedure;
}

// ---- callers -------------------------------------------------------------------

type Who =
  | 'anonymous'
  | 'user-bearer'
  | 'user-cookie'
  | 'admin-bearer'
  | 'admin-cookie'
  | 'foreign-origin-cookie'
  | 'junk-bearer'
  | 'junk-cookie';
const everyone: Who[] = [
  'anonymous',
  'user-bearer',
  'user-cookie',
  'admin-bearer',
  'admin-cookie',
  'foreign-origin-cookie',
  'junk-bearer',
  'junk-cookie',
];
const junkToken = fc.oneof(
  fc.stringMatching(/^[\x21-\x7e]{0,80}$/),
  fc.stringMatching(/^[a-z2-7]{40}$/), // well-formed, but no such session
);

function headersOf(who: Who, junk: string): CallHeaders {
  switch (who) {
    case 'anonymous':
      return {};
    case 'user-bearer':
      return user.bearer;
    case 'user-cookie':
      return user.browser;
    case 'admin-bearer':
      return admin.bearer;
    case 'admin-cookie':
      return admin.browser;
    case 'foreign-origin-cookie':
      return { cookie: user.cookie, origin: 'https://evil.example' };
    case 'junk-bearer':
      return { authorization: `Bearer ${junk}` };
    case 'junk-cookie':
      return { cookie: `authkit_session=${junk}`, origin: WEB_ORIGIN };
  }
}

/** Longer inputs go by POST: Node refuses request lines above its header limit. */
const MAX_GET_URL = 6_000;

async function call(
  procedure: Procedure,
  input: unknown,
  method: 'GET' | 'POST',
  headers: CallHeaders,
): Promise<CallResult> {
  const json = input === undefined ? undefined : JSON.stringify(input);
  if (method === 'GET') {
    const url = `${api.url}/trpc/${procedure.path}${json === undefined ? '' : `?input=${encodeURIComponent(json)}`}`;
    if (url.length <= MAX_GET_URL) return send(url, { method: 'GET', headers });
  }
  return send(`${api.url}/trpc/${procedure.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: json,
  });
}

// ---- what every answer must look like ----------------------------------------

const seen = new Map<number, number>();

function expectTrpcError(error: unknown, status: number, shown: string): void {
  expect(error, shown).toMatchObject({
    code: expect.any(Number),
    message: expect.any(String),
    data: { code: expect.any(String), httpStatus: expect.any(Number) },
  });
  const { data } = error as { data: { httpStatus: number } };
  expect(data.httpStatus, shown).toBeLessThan(500);
  if (status !== 207) expect(data.httpStatus, shown).toBe(status);
}

/** Never a 5xx; JSON in tRPC's shape (one answer, or an array for a batch); no stack; no echo of big inputs. */
function expectSound(result: CallResult, shown: string): void {
  seen.set(result.status, (seen.get(result.status) ?? 0) + 1);
  expect(result.status, shown).toBeLessThan(500);
  expect(result.headers.get('content-type'), shown).toBe('application/json');
  expect(typeof result.body, shown).toBe('object'); // parsed as JSON
  expect(result.body, shown).not.toBeNull();
  const text = JSON.stringify(result.body);
  expect(text, shown).not.toMatch(/"stack"|\bat .+\.ts:\d+/);
  expect(text.length, shown).toBeLessThan(64 * 1024);
  const answers: unknown[] = Array.isArray(result.body) ? result.body : [result.body];
  for (const answer of answers) {
    const { error, result: ok } = answer as { error?: unknown; result?: unknown };
    if (error !== undefined) expectTrpcError(error, result.status, shown);
    else expect(ok, shown).toHaveProperty('data');
  }
  if (!Array.isArray(result.body)) {
    expect(result.body.error === undefined, shown).toBe(result.status < 400);
  }
}

function describeCall(procedure: string, method: string, who: string, input: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(input) ?? 'undefined';
  } catch {
    text = String(input);
  }
  return `${method} ${procedure} as ${who}: ${text.slice(0, 200)}`;
}

// ---- the database before and after -----------------------------------------

interface Snapshot {
  users: unknown[];
  sessions: unknown[];
  /** Reset and verification links: a refused request issues none, and voids none. */
  tokens: unknown[];
  /** No sender runs in this test API: every mail written stays here. */
  outbox: unknown[];
  /** Second factors: recovery codes, pending sign-ins, passkeys and WebAuthn challenges; connected providers and provider flows. */
  secondFactors: unknown[][];
  events: Map<string, unknown>;
}

async function snapshot(): Promise<Snapshot> {
  const { database } = api;
  const [users, sessions, tokens, outbox, events, ...secondFactors] = await Promise.all([
    database.users.find().sort({ _id: 1 }).toArray(),
    database.sessions.find().sort({ _id: 1 }).toArray(),
    database.singleUseTokens.find().sort({ _id: 1 }).toArray(),
    database.mailOutbox.find().sort({ _id: 1 }).toArray(),
    database.authEvents.find().toArray(),
    database.recoveryCodes.find().sort({ _id: 1 }).toArray(),
    database.pendingSignIns.find().sort({ _id: 1 }).toArray(),
    database.passkeys.find().sort({ _id: 1 }).toArray(),
    database.webauthnChallenges.find().sort({ _id: 1 }).toArray(),
    database.oauthAccounts.find().sort({ _id: 1 }).toArray(),
    database.oauthFlows.find().sort({ _id: 1 }).toArray(),
  ]);
  return {
    users,
    sessions,
    tokens,
    outbox,
    secondFactors,
    events: new Map(events.map((event) => [String(event._id), event])),
  };
}

/**
 * What refused requests may leave behind: audit events of failed password
 * checks (and of the locks they set) and of refused fresh actions.
 */
const allowedNewEvents = ['login_failed', 'account_locked', 'address_locked', 'needs_refresh'];

async function expectOnlyAllowedChanges(before: Snapshot): Promise<void> {
  const after = await snapshot();
  expect(after.users).toEqual(before.users);
  expect(after.sessions).toEqual(before.sessions);
  expect(after.tokens).toEqual(before.tokens);
  expect(after.outbox).toEqual(before.outbox);
  expect(after.secondFactors).toEqual(before.secondFactors);
  for (const [id, event] of before.events) expect(after.events.get(id)).toEqual(event);
  const added = [...after.events.entries()].filter(([id]) => !before.events.has(id));
  for (const [, event] of added) {
    expect(allowedNewEvents).toContain((event as { type: string }).type);
  }
}

function expectNoPollution(): void {
  const probe: Record<string, unknown> = {};
  for (const key of ['polluted', 'role', 'isAdmin', 'active']) {
    expect(probe[key], key).toBeUndefined();
  }
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(Object.keys(Array.prototype)).toEqual([]);
}

function expectNoUnexpectedErrorLogged(): void {
  const bad = api.logs.filter(
    (line) => Number(line.level) >= 50 || line.msg === 'unexpected error',
  );
  expect(bad).toEqual([]);
}

// ---- the properties ------------------------------------------------------------

describe('fuzzing every procedure', () => {
  it('structured inputs: refused cleanly, and leave nothing but allowed audit events', async () => {
    const before = await snapshot();
    const requests = fc
      .constantFrom(...procedures)
      .chain((procedure) =>
        fc.tuple(
          fc.constant(procedure),
          inputFor(procedure),
          fc.constantFrom<'GET' | 'POST'>('GET', 'POST'),
          fc.constantFrom(...everyone),
          junkToken,
        ),
      );
    await fc.assert(
      fc.asyncProperty(requests, async ([procedure, input, method, who, junk]) => {
        const shown = describeCall(procedure.path, method, who, input);
        const result = await call(procedure, input, method, headersOf(who, junk));
        expectSound(result, shown);
        // No mutation succeeds: the fuzzer never holds valid credentials, links or a valid change.
        if (procedure.type === 'mutation' && !answersAlike.has(procedure.path))
          expect(result.status, shown).toBeGreaterThanOrEqual(400);
      }),
      {
        numRuns: 1_500,
        // Well-formed calls by signed-in users on ids that do not exist (404) are
        // rare among random inputs (a few per run): these always go too.
        examples: [
          [[procedureAt('auth.sessions.revoke'), { sessionId: 'f'.repeat(64) }, 'POST', 'user-bearer', '']],
          [[procedureAt('admin.users.setRole'), { userId: 'nosuchuser000000', role: 'user' }, 'POST', 'admin-cookie', '']],
          [[procedureAt('admin.users.endSessions'), { userId: 'nosuchuser000000' }, 'POST', 'admin-bearer', '']],
          [[procedureAt('admin.users.sendPasswordResetLink'), { userId: 'nosuchuser000000' }, 'POST', 'admin-bearer', '']],
          [[procedureAt('auth.providers.disconnect'), { connectionId: 'nosuchconnection' }, 'POST', 'user-bearer', '']],
          [[procedureAt('auth.providers.disconnect'), { connectionId: userConnectionId }, 'POST', 'admin-cookie', '']],
          // A strong password for an account that has one: 409, nothing set.
          [[procedureAt('auth.setPassword'), { newPassword: 'Plum-Otter-Grape-42-violin' }, 'POST', 'user-bearer', '']],
          // A name that is no account: the same answer as for one, and no link or mail.
          [[procedureAt('auth.requestPasswordReset'), { login: 'nobody@example.com' }, 'POST', 'anonymous', '']],
        ],
      },
    );
    await expectOnlyAllowedChanges(before);
    expectNoPollution();
    // The fuzzer got past the input check into the procedures, not only to 400s.
    for (const status of [200, 400, 401, 403, 404, 405])
      expect(seen.get(status) ?? 0, `answers with status ${status}`).toBeGreaterThan(0);
  }, 120_000);

  it('Unicode edge strings in every string field of every procedure, as every caller', async () => {
    const before = await snapshot();
    const withStrings = procedures.filter((p) =>
      Object.values(p.fields).some((kind) => kind === 'string'),
    );
    for (const procedure of withStrings) {
      const stringFields = Object.entries(procedure.fields).filter(([, kind]) => kind === 'string');
      for (const [index, edge] of edgeStrings.entries()) {
        // Every field gets the edge string; the other fields a plausible value.
        const input = Object.fromEntries(
          Object.entries(procedure.fields).map(([name, kind]) => [
            name,
            kind === 'string' ? edge : kind === 'boolean' ? true : 1,
          ]),
        );
        if (couldChangeEmail(procedure, input)) continue;
        const who = everyone[index % everyone.length]!;
        const method = index % 2 ? 'GET' : 'POST';
        const shown = describeCall(procedure.path, method, who, input);
        const result = await call(
          procedure,
          input,
          method,
          headersOf(who, /^[\x21-\x7e]{1,80}$/.test(edge) ? edge : 'junk'),
        );
        expectSound(result, shown);
        if (!answersAlike.has(procedure.path)) expect(result.status, shown).toBeGreaterThanOrEqual(400);
        if (result.status === 400 && stringFields.length > 0) {
          // Bad input is named by field, never a bare failure.
          const data = result.body.error.data;
          const messages = [
            ...Object.values(data.fieldErrors ?? {}).flat(),
            ...(data.formErrors ?? []),
          ];
          expect(messages.length, shown).toBeGreaterThan(0);
        }
      }
    }
    await expectOnlyAllowedChanges(before);
  }, 60_000);

  it('revoke and admin calls on real ids of others are refused and change nothing', async () => {
    const before = await snapshot();
    // The user may not end the admin's session; nor may anyone reach through operators.
    const calls: [string, unknown, CallHeaders][] = [
      ['auth.sessions.revoke', { sessionId: adminSessionId }, user.bearer],
      ['auth.sessions.revoke', { sessionId: adminSessionId }, user.browser],
      ['auth.sessions.revoke', { sessionId: { $ne: null } }, user.bearer],
      ['auth.sessions.revoke', { sessionId: { $regex: '.*' } }, user.bearer],
      ['admin.users.setActive', { userId: user.id, active: false }, user.bearer],
      ['admin.users.setRole', { userId: user.id, role: 'admin' }, user.browser],
      ['admin.users.setRole', { userId: user.id, role: { $ne: 'user' } }, admin.bearer],
      ['admin.users.setActive', { userId: { $gt: '' }, active: false }, admin.bearer],
      // Another account's connected provider, by its id or through operators.
      ['auth.providers.disconnect', { connectionId: userConnectionId }, admin.bearer],
      ['auth.providers.disconnect', { connectionId: userConnectionId }, admin.browser],
      ['auth.providers.disconnect', { connectionId: { $ne: null } }, user.bearer],
      ['auth.providers.disconnect', { connectionId: { $regex: '.*' } }, admin.bearer],
      [
        'admin.users.setRole',
        ownObject([
          ['userId', user.id],
          ['role', 'admin'],
          ['__proto__', {}],
        ]),
        admin.bearer,
      ],
    ];
    for (const [path, input, headers] of calls) {
      const procedure = procedures.find((p) => p.path === path)!;
      const shown = describeCall(path, 'POST', JSON.stringify(headers).slice(0, 40), input);
      const result = await call(procedure, input, 'POST', headers);
      expectSound(result, shown);
      expect([400, 403, 404], shown).toContain(result.status);
    }
    await expectOnlyAllowedChanges(before);
  });

  it('raw bodies: not JSON, wrong content types, broken encodings, over the size limit', async () => {
    const before = await snapshot();
    const bodies = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      fc.constantFrom<string | Buffer>(
        '',
        '{',
        '{"username":',
        '[1,2,',
        'null',
        'undefined',
        'NaN',
        '{"a":1}{"b":2}',
        '\uFEFF{}',
        '{"__proto__":{"polluted":"yes"}}',
        '{"constructor":{"prototype":{"polluted":"yes"}}}',
        `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
        `{"username":"${'x'.repeat(3 * 1024 * 1024)}"}`, // over the 2 MB limit
        Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0x7b, 0x7d]),
        Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), // invalid UTF-8 in a string
        'username=admin&password[$ne]=x',
        '--boundary\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n--boundary--',
      ),
    );
    const contentTypes = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-16',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=boundary',
      'application/octet-stream',
      '',
      'application/jsonp',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...procedures),
        bodies,
        contentTypes,
        fc.constantFrom(...everyone),
        async (procedure, body, contentType, who) => {
          // An empty body, or `{}` (with or without a byte-order mark), is no input:
          // valid for these two, which would then succeed (a sign-out, for instance).
          const noInput = body.length === 0 || String(body).replace(/^\uFEFF/, '') === '{}';
          fc.pre(!(isInputless(procedure) && noInput));
          const headers: CallHeaders = { ...headersOf(who, 'junk') };
          if (contentType) headers['content-type'] = contentType;
          const shown = `POST ${procedure.path} as ${who}, ${contentType}: ${String(body).slice(0, 80)}`;
          const result = await send(`${api.url}/trpc/${procedure.path}`, {
            method: 'POST',
            headers,
            body,
          });
          expectSound(result, shown);
          if (procedure.type === 'mutation')
            expect(result.status, shown).toBeGreaterThanOrEqual(400);
        },
      ),
      { numRuns: 500 },
    );
    await expectOnlyAllowedChanges(before);
    expectNoPollution();
  }, 90_000);

  it('broken batch URLs and paths', async () => {
    const before = await snapshot();
    const segment = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...procedures.map((p) => p.path)) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          '',
          '__proto__',
          'constructor',
          'toString',
          'hasOwnProperty',
          'auth.__proto__',
          'auth.constructor',
          'auth.sessions.__proto__.revoke',
          '_def',
          'auth._def.procedures',
          'createCaller',
          '..',
          '.',
          'auth.',
          '.auth.me',
          '%00',
          '%E0%A4%A',
          '%zz',
          '%2C',
          'auth%2Eme',
          'x'.repeat(300),
        ),
      },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 12 }) },
    );
    const batchParam = fc.constantFrom('1', 'true', '0', '', 'abc', '1&batch=1', null);
    const batchInput = fc.oneof(
      fc.constant(null),
      fc
        .array(fc.oneof(nastyValue, fc.constant(undefined)), { maxLength: 4 })
        .map((values) =>
          encodeURIComponent(
            JSON.stringify(Object.fromEntries(values.map((value, i) => [String(i), value]))),
          ),
        ),
      fc
        .array(nastyValue, { maxLength: 3 })
        .map((values) => encodeURIComponent(JSON.stringify(values))),
      fc.constantFrom(
        '%7B',
        '%7Bnot-json',
        encodeURIComponent('{"999999":{},"-1":1,"0.5":2}'),
        encodeURIComponent('{"__proto__":{"polluted":"yes"},"0":{}}'),
        encodeURIComponent('{"0":{"$where":"1"}}'),
        '%E0%A4%A',
        '%',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 24 }),
        batchParam,
        batchInput,
        fc.constantFrom<'GET' | 'POST'>('GET', 'POST'),
        fc.constantFrom(...everyone),
        async (segments, batch, input, method, who) => {
          const params = [
            ...(batch === null ? [] : [`batch=${batch}`]),
            ...(input === null ? [] : [`input=${input}`]),
          ];
          const url = `${api.url}/trpc/${segments.join(',')}${params.length ? `?${params.join('&')}` : ''}`;
          if (url.length > MAX_GET_URL) return;
          const headers: CallHeaders = { ...headersOf(who, 'junk') };
          const init: RequestInit = { method, headers };
          if (method === 'POST') {
            headers['content-type'] = 'application/json';
            init.body = input === null ? '{}' : decodeOrRaw(input);
          }
          const shown = `${method} ${url.slice(api.url.length, api.url.length + 300)} as ${who}`;
          const result = await send(url, init);
          if (!new URL(url).pathname.startsWith('/trpc/')) {
            // A lone `..` leaves /trpc: the server's own 404, JSON all the same.
            expect(result.status, shown).toBe(404);
            expect(result.body, shown).toEqual({ error: 'Not found' });
            return;
          }
          expectSound(result, shown);
        },
      ),
      { numRuns: 500 },
    );
    // Batches may call a mutation with a valid input (auth.logout with none, which
    // may end the fuzzer's own session; auth.totp.beginEnrolment, which starts a
    // set-up that stays pending; auth.sessions.revokeOthers, which renews the
    // account's security stamp): here only what must never change is compared,
    // the accounts, less a pending TOTP set-up and the stamp.
    const withoutPendingTotp = (users: unknown[]) =>
      users.map((user) => {
        const { totp, security_stamp: _stamp, ...rest } = user as {
          totp?: { confirmed: boolean } | null;
          security_stamp?: string;
        };
        return totp?.confirmed ? { ...rest, totp } : rest;
      });
    const after = await snapshot();
    expect(withoutPendingTotp(after.users)).toEqual(withoutPendingTotp(before.users));
    expectNoPollution();
  }, 90_000);

  it('an over-long URL or header gets a JSON refusal too', async () => {
    const long = await send(`${api.url}/trpc/auth.me?input=${'x'.repeat(40_000)}`, {});
    expect(long.status).toBe(431);
    expect(long.body).toMatchObject({ error: { data: { httpStatus: 431 } } });
    const header = await send(`${api.url}/trpc/auth.me`, {
      headers: { 'x-big': 'y'.repeat(40_000) },
    });
    expect(header.status).toBe(431);
    expect(header.body).toMatchObject({ error: { data: { httpStatus: 431 } } });
    // Not HTTP at all.
    const raw = await rawExchange(api.url, 'NOT HTTP AT ALL\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({
      error: { data: { code: 'BAD_REQUEST', httpStatus: 400 } },
    });
  });

  it('the server is still up and sound after all of it', async () => {
    const health = await send(`${api.url}/health`, {});
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ ok: true, db: 'up' });
    expectNoUnexpectedErrorLogged();
    expectNoPollution();
  });
});

/** Sends bytes over a plain socket and reads until the server closes it. */
function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

function decodeOrRaw(input: string): string {
  try {
    return decodeURIComponent(input);
  } catch {
    return input;
  }
}
