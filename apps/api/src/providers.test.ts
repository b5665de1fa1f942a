// Connected identity providers over HTTP: the signed-in procedures to list and
// disconnect them, auth.signInMethods (whether the account has a password) and
// the admin list's sign-in methods. The browser flows themselves (redirects)
// are the site's; packages/auth tests them against a real OpenID provider.
import { makeSessionStale } from '@authkit/auth/testing';
import { describe, expect, it } from 'vitest';
import {
  mutate,
  query,
  signUp,
  strongPassword,
  uniqueName,
  useTestApi,
  type CallHeaders,
} from './test-helpers/index.ts';

const api = useTestApi({
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

/** A connection as the provider flow stores it (the flow itself is tested in packages/auth). */
async function connect(
  userId: string,
  subject = String(Math.floor(Math.random() * 1e9)),
): Promise<string> {
  const id = `conn${subject}`;
  await api.database.oauthAccounts.insertOne({
    _id: id,
    user_id: userId,
    provider: 'github',
    issuer: 'https://api.github.example',
    subject,
    email: 'someone@example.test',
    display_name: 'someone',
    created_at: new Date(),
    last_used_at: null,
  });
  return id;
}

async function sessionId(headers: CallHeaders): Promise<string> {
  return (await query(api, 'auth.me', undefined, headers)).body.result.data.session.id;
}

describe('auth.providers and auth.signInMethods', () => {
  it('lists the configured providers to anyone, and the connected ones to their owner', async () => {
    const available = await query(api, 'auth.providers.available');
    expect(available.body.result.data).toEqual([{ id: 'github', name: 'GitHub' }]);
    const account = await signUp(api);
    const connectionId = await connect(account.id);
    const list = await query(api, 'auth.providers.list', undefined, account.bearer!);
    expect(list.status).toBe(200);
    expect(list.body.result.data).toMatchObject([
      {
        id: connectionId,
        provider: 'github',
        providerName: 'GitHub',
        email: 'someone@example.test',
      },
    ]);
    expect((await query(api, 'auth.providers.list')).status).toBe(401);
    const methods = await query(api, 'auth.signInMethods', undefined, account.bearer!);
    expect(methods.body.result.data).toEqual({
      password: true,
      passkeys: 0,
      totp: false,
      providers: ['github'],
    });
  });

  it("disconnects with a fresh session only, and not another account's connection", async () => {
    const account = await signUp(api);
    const connectionId = await connect(account.id);
    const stranger = await signUp(api);
    const foreign = await mutate(
      api,
      'auth.providers.disconnect',
      { connectionId },
      stranger.bearer!,
    );
    expect(foreign.status).toBe(404);

    await makeSessionStale(api.auth, await sessionId(account.bearer!));
    const stale = await mutate(api, 'auth.providers.disconnect', { connectionId }, account.bearer!);
    expect(stale.status).toBe(403);
    expect(stale.body.error.data).toMatchObject({ reason: 'needs_refresh' });
    expect(await api.database.oauthAccounts.countDocuments({ _id: connectionId })).toBe(1);

    const confirmed = await mutate(
      api,
      'auth.reauthenticate',
      { password: account.password },
      account.bearer!,
    );
    expect(confirmed.status).toBe(200);
    const fresh = {
      ...account.bearer!,
      authorization: `Bearer ${confirmed.body.result.data.token}`,
    };
    const done = await mutate(api, 'auth.providers.disconnect', { connectionId }, fresh);
    expect(done.status).toBe(200);
    expect(await api.database.oauthAccounts.countDocuments({ _id: connectionId })).toBe(0);
  });

  it('refuses (409) to disconnect the last way to sign in of an account without a password', async () => {
    const account = await signUp(api);
    await api.database.users.updateOne({ _id: account.id }, { $set: { password_hash: '' } });
    const connectionId = await connect(account.id);
    const refused = await mutate(
      api,
      'auth.providers.disconnect',
      { connectionId },
      account.bearer!,
    );
    expect(refused.status).toBe(409);
    expect(await api.database.oauthAccounts.countDocuments({ _id: connectionId })).toBe(1);
    const methods = await query(api, 'auth.signInMethods', undefined, account.bearer!);
    expect(methods.body.result.data.password).toBe(false);
  });

  it("auth.me says whether the account has a password: false for a provider's account, true once it sets one", async () => {
    // An account as a provider sign-in makes it: no password, signed in by the provider.
    const username = uniqueName();
    // The client the HTTP calls below are (session protection compares it).
    const request = { ip: '127.0.0.1', userAgent: 'provider-test' };
    const made = await api.auth.registerUser(
      { username, email: `${username}@example.com`, password: strongPassword() },
      request,
    );
    await api.database.users.updateOne({ _id: made.id }, { $set: { password_hash: '' } });
    await connect(made.id);
    const login = await api.auth.loginUser(made, { amr: ['oauth'], provider: 'github' }, request);
    const bearer = { authorization: `Bearer ${login.token}`, 'user-agent': 'provider-test' };

    const before = await query(api, 'auth.me', undefined, bearer);
    expect(before.status).toBe(200);
    expect(before.body.result.data.user.hasPassword).toBe(false);
    // Asked twice: the second answer may come from the session cache.
    expect((await query(api, 'auth.me', undefined, bearer)).body.result.data.user.hasPassword).toBe(
      false,
    );

    const set = await mutate(api, 'auth.setPassword', { newPassword: strongPassword() }, bearer);
    expect(set.status).toBe(200);
    // The same session, cached or not, follows at once.
    const after = await query(api, 'auth.me', undefined, bearer);
    expect(after.status).toBe(200);
    expect(after.body.result.data.user.hasPassword).toBe(true);
    expect(JSON.stringify(after.body)).not.toContain('argon2');
    const again = await mutate(api, 'auth.setPassword', { newPassword: strongPassword() }, bearer);
    expect(again.status).toBe(409);
  });

  it('auth.me says hasPassword true for an account made with a password', async () => {
    const account = await signUp(api);
    const me = await query(api, 'auth.me', undefined, account.bearer!);
    expect(me.body.result.data.user.hasPassword).toBe(true);
  });

  it('answers 400 for bad input, never a 500', async () => {
    const account = await signUp(api);
    for (const input of [
      {},
      { connectionId: '' },
      { connectionId: 'x'.repeat(10_000) },
      { connectionId: 5 },
      { connectionId: 'a', extra: 1 },
    ]) {
      const answer = await mutate(api, 'auth.providers.disconnect', input, account.bearer!);
      expect(answer.status).toBe(400);
    }
  });
});
