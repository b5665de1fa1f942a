// admin.users.list's search and filters over plain HTTP: what a client sends
// is bounded and taken literally; bad input is a 400, never a 500.
import { beforeAll, describe, expect, it } from 'vitest';
import { query, signUp, useTestApi, type BearerAccount } from './test-helpers/index.ts';

const api = useTestApi();

let admin: BearerAccount;
let member: BearerAccount;
beforeAll(async () => {
  admin = (await signUp(api, { role: 'admin' })) as BearerAccount;
  member = (await signUp(api)) as BearerAccount;
});

const list = (input: unknown) => query(api, 'admin.users.list', input, admin.bearer);
const usernames = (result: Awaited<ReturnType<typeof list>>) =>
  (result.body.result.data.users as { username: string }[]).map((user) => user.username);

describe('admin.users.list search and filters', () => {
  it('finds a piece of a username or an email address, in any case', async () => {
    const byName = await list({ search: member.username.slice(2).toUpperCase() });
    expect(byName.status).toBe(200);
    expect(usernames(byName)).toEqual([member.username]);
    expect(byName.body.result.data.total).toBe(1);
    const byEmail = await list({ search: `${member.username}@example.COM` });
    expect(usernames(byEmail)).toEqual([member.username]);
  });

  it('takes regular expression characters literally', async () => {
    for (const search of ['.*', '.+', '(', ')', '[', '\\', '|', '^user']) {
      const result = await list({ search });
      expect(result.status, search).toBe(200);
      expect(result.body.result.data.total, search).toBe(0);
    }
  });

  it('filters admins and deactivated accounts', async () => {
    const admins = await list({ filters: { admins: true }, pageSize: 100 });
    expect(usernames(admins)).toContain(admin.username);
    expect(usernames(admins)).not.toContain(member.username);
    const deactivated = await list({ filters: { deactivated: true }, pageSize: 100 });
    expect(usernames(deactivated)).toEqual([]);
    const withoutTwoStep = await list({
      search: member.username,
      filters: { withoutTwoStep: true },
    });
    expect(usernames(withoutTwoStep)).toEqual([member.username]);
  });

  it('answers 400 to a search that is too long or not text, and to unknown filters', async () => {
    expect((await list({ search: 'x'.repeat(100) })).status).toBe(200);
    for (const input of [
      { search: 'x'.repeat(101) },
      { search: { $ne: '' } },
      { search: ['a'] },
      { filters: { admins: 'yes' } },
      { filters: { $where: true } },
    ]) {
      const result = await list(input);
      expect(result.status, JSON.stringify(input)).toBe(400);
      expect(result.body.error.data.code).toBe('BAD_REQUEST');
    }
    // Within the bound as sent, over it once normalised (NFKC expands "ﷺ" to 18 characters): the auth package's 400.
    const expanding = await list({ search: 'ﷺ'.repeat(20) });
    expect(expanding.status).toBe(400);
    expect(expanding.body.error.data.fieldErrors.search[0]).toMatch(/100 characters/);
  });
});
