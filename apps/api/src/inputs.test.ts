// Malformed input is 400 with field messages for every procedure: wrong types,
// missing fields, unknown keys and query operators, huge strings. None of it
// reaches the database, and nothing a client sends is a 500.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  mutate,
  send,
  signUp,
  useTestApi,
  type CallHeaders,
  type BearerAccount,
} from './test-helpers/index.ts';

const api = useTestApi();
let user: BearerAccount;
let admin: BearerAccount;
beforeAll(async () => {
  user = await signUp(api);
  admin = await signUp(api, { role: 'admin' });
});

const megabyte = 'x'.repeat(1024 * 1024);

type Level = 'public' | 'user' | 'admin';
interface Case {
  path: string;
  type: 'query' | 'mutation';
  level: Level;
  valid: Record<string, unknown>;
  /** Fields that may be left out. */
  optional?: string[];
  /** Inputs that must be refused with 400. */
  bad: unknown[];
}

// The same kinds of junk for every field of every procedure.
function badInputs(valid: Record<string, unknown>, optional: string[] = []): unknown[] {
  const bad: unknown[] = ['not an object', 42, [], null, { ...valid, $where: 'sleep(1000)' }];
  for (const field of Object.keys(valid)) {
    const { [field]: _, ...missing } = valid;
    if (!optional.includes(field)) bad.push(missing);
    bad.push(
      { ...valid, [field]: { $ne: null } },
      { ...valid, [field]: { $gt: '' } },
      { ...valid, [field]: [valid[field]] },
      { ...valid, [field]: typeof valid[field] === 'string' ? 12345 : 'a string' },
      { ...valid, [field]: megabyte },
    );
  }
  return bad;
}

const withInput: Omit<Case, 'bad'>[] = [
  {
    path: 'auth.register',
    type: 'mutation',
    level: 'public',
    valid: { username: 'newcomer', email: 'newcomer@example.com', password: 'Plum-Otter-Grape-42' },
  },
  {
    path: 'auth.login',
    type: 'mutation',
    level: 'public',
    valid: { username: 'someone', password: 'whatever-123', remember: true, bearer: true },
    optional: ['remember', 'bearer'],
  },
  { path: 'auth.sessions.revoke', type: 'mutation', level: 'user', valid: { sessionId: 'abc' } },
  {
    path: 'auth.reauthenticate',
    type: 'mutation',
    level: 'user',
    valid: { password: 'whatever-123' },
  },
  {
    path: 'auth.changePassword',
    type: 'mutation',
    level: 'user',
    valid: { currentPassword: 'whatever-123', newPassword: 'Plum-Otter-Grape-42' },
  },
  { path: 'auth.events', type: 'query', level: 'user', valid: { limit: 5 }, optional: ['limit'] },
  {
    path: 'admin.users.list',
    type: 'query',
    level: 'admin',
    valid: { page: 1, pageSize: 10 },
    optional: ['page', 'pageSize'],
  },
  {
    path: 'admin.users.setActive',
    type: 'mutation',
    level: 'admin',
    valid: { userId: 'u1', active: true },
  },
  {
    path: 'admin.users.setRole',
    type: 'mutation',
    level: 'admin',
    valid: { userId: 'u1', role: 'admin' },
  },
  {
    path: 'admin.users.sendPasswordResetLink',
    type: 'mutation',
    level: 'admin',
    valid: { userId: 'u1' },
  },
  { path: 'admin.users.endSessions', type: 'mutation', level: 'admin', valid: { userId: 'u1' } },
  {
    path: 'auth.requestPasswordReset',
    type: 'mutation',
    level: 'public',
    valid: { login: 'someone' },
  },
  {
    path: 'auth.checkPasswordResetToken',
    type: 'query',
    level: 'public',
    valid: { token: 'abc' },
  },
  {
    path: 'auth.resetPassword',
    type: 'mutation',
    level: 'public',
    valid: { token: 'abc', newPassword: 'Plum-Otter-Grape-42' },
  },
  { path: 'auth.verifyEmail', type: 'mutation', level: 'public', valid: { token: 'abc' } },
  {
    path: 'auth.requestEmailChange',
    type: 'mutation',
    level: 'user',
    valid: { email: 'moved@example.com' },
  },
];

const withoutInput: Omit<Case, 'bad' | 'valid'>[] = [
  { path: 'health', type: 'query', level: 'public' },
  { path: 'ping', type: 'query', level: 'public' },
  { path: 'auth.me', type: 'query', level: 'user' },
  { path: 'auth.logout', type: 'mutation', level: 'user' },
  { path: 'auth.sessions.list', type: 'query', level: 'user' },
  { path: 'auth.sessions.revokeOthers', type: 'mutation', level: 'user' },
  { path: 'auth.resendVerification', type: 'mutation', level: 'user' },
  { path: 'auth.pendingEmailChange', type: 'query', level: 'user' },
  { path: 'auth.resendEmailChange', type: 'mutation', level: 'user' },
  { path: 'auth.cancelEmailChange', type: 'mutation', level: 'user' },
];

const cases: Case[] = [
  ...withInput.map((c) => ({ ...c, bad: badInputs(c.valid, c.optional) })),
  ...withoutInput.map((c) => ({
    ...c,
    valid: {},
    bad: [{ $ne: null }, { extra: 1 }, 'x', 42, [megabyte]],
  })),
];

function headersFor(level: Level): CallHeaders {
  if (level === 'user') return user.bearer;
  if (level === 'admin') return admin.bearer;
  return {};
}

/** Queries go as POST (method override) so a 1 MB input fits; GET URLs that long are refused by Node (431). */
function call(c: Case, input: unknown) {
  return mutate(api, c.path, input, headersFor(c.level));
}

describe.each(cases)('$path', (c) => {
  it('answers 400 with field messages to malformed input', async () => {
    const usersBefore = await api.database.users.countDocuments();
    for (const input of c.bad) {
      const result = await call(c, input);
      const shown = JSON.stringify(input).slice(0, 80);
      expect(result.status, shown).toBe(400);
      expect(result.body.error.data.code, shown).toBe('BAD_REQUEST');
      const data = result.body.error.data;
      const messages = [
        ...Object.values(data.fieldErrors ?? {}).flat(),
        ...(data.formErrors ?? []),
      ];
      expect(messages.length, shown).toBeGreaterThan(0);
      expect(JSON.stringify(result.body).length, shown).toBeLessThan(4096); // no echo of the 1 MB input
    }
    expect(await api.database.users.countDocuments()).toBe(usersBefore);
  });
});

describe('field messages', () => {
  it('name the field', async () => {
    const result = await mutate(api, 'auth.login', { username: { $ne: null }, password: 'x' });
    expect(result.status).toBe(400);
    expect(Object.keys(result.body.error.data.fieldErrors)).toEqual(['username']);
    expect(result.body.error.message).toBe('Invalid input.');
  });

  it('report unknown keys', async () => {
    const result = await mutate(api, 'auth.login', { username: 'a', password: 'b', $where: '1' });
    expect(result.status).toBe(400);
    expect(result.body.error.data.formErrors.join(' ')).toContain('$where');
  });

  it('GET queries take their input from the URL too', async () => {
    const input = encodeURIComponent(JSON.stringify({ page: { $gt: 0 } }));
    const result = await send(`${api.url}/trpc/admin.users.list?input=${input}`, {
      headers: admin.bearer,
    });
    expect(result.status).toBe(400);
    expect(result.body.error.data.fieldErrors.page).toBeDefined();
    const broken = await send(`${api.url}/trpc/admin.users.list?input=%7Bnot-json`, {
      headers: admin.bearer,
    });
    expect(broken.status).toBe(400);
  });

  it('refuse malformed JSON without quoting it back', async () => {
    const secret = 'hunter2-Plum-Otter';
    const results = [
      await send(`${api.url}/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"username":"someone","password": ${secret}}`,
      }),
      await send(`${api.url}/trpc/auth.reauthenticate?batch=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...user.bearer },
        body: `{"0":{"password": ${secret}}}`,
      }),
      await send(
        `${api.url}/trpc/auth.events?input=${encodeURIComponent(`{"limit": ${secret}}`)}`,
        { headers: user.bearer },
      ),
    ];
    for (const result of results) {
      expect(result.status).toBe(400);
      const answer = Array.isArray(result.body) ? result.body[0] : result.body;
      expect(answer.error.data.code).toBe('BAD_REQUEST');
      expect(answer.error.message).toBe('The input is not valid JSON.');
      expect(JSON.stringify(result.body)).not.toContain('hunter2');
    }
  });
});

const fuzzed = cases.filter((c) => c.path !== 'auth.logout');

describe('arbitrary input', () => {
  it('is never a server error', async () => {
    await fc.assert(
      // Not auth.logout: `{}` is a valid input and would end the session the other calls use.
      fc.asyncProperty(
        fc.constantFrom(...fuzzed),
        fc.jsonValue({ maxDepth: 3 }),
        async (c, input) => {
          const result = await call(c, input);
          expect(result.status).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
  });
});
