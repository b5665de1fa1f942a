// Sign-in with identity providers against a real OpenID provider (panva's
// oidc-provider, in-process on 127.0.0.1) and the GitHub fake, over real HTTP,
// with a real database. Each rule of issue 23 is a test here.
import { afterAll, describe, expect, it } from 'vitest';
import { authErrorOf, useTestAuth } from '../test-harness.ts';
import {
  createSignedInUser,
  makeSessionStale,
  strongTestPassword,
  testRequest,
  totpCode,
} from '../testing.ts';
import type { Auth, ProviderOutcome, SessionInfo } from '../types.ts';
import { loginAtProvider } from './testing/drive.ts';
import { startGithubFake } from './testing/github-fake.ts';
import { startTestOidcServer } from './testing/oidc-server.ts';

const SITE = 'https://site.example';
const secret = 'test-client-secret';
const idp = await startTestOidcServer({
  clients: [
    {
      clientId: 'site',
      clientSecret: secret,
      redirectUris: [`${SITE}/login/provider/oidc/callback`],
    },
  ],
});
const github = await startGithubFake({ clientId: 'gh-site', clientSecret: 'gh-secret' });
afterAll(async () => {
  await idp.close();
  await github.close();
});

const { database, clock, auth } = useTestAuth({
  siteUrl: SITE,
  throttle: { addressFreeFailures: 1_000 },
  identityProviders: [
    {
      kind: 'oidc',
      id: 'oidc',
      name: 'Test IdP',
      issuer: idp.issuer,
      clientId: 'site',
      clientSecret: secret,
    },
    {
      kind: 'github',
      id: 'github',
      name: 'GitHub',
      clientId: 'gh-site',
      clientSecret: 'gh-secret',
      webUrl: github.url,
      apiUrl: github.url,
    },
  ],
});

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}${Date.now().toString(36)}${counter++}`;

/** Starts a flow, signs in at the provider as `login`, and hands the callback to the package. */
async function providerSignIn(
  login: string,
  options: {
    provider?: 'oidc' | 'github';
    intent?: 'sign_in' | 'connect' | 'reauthenticate';
    session?: SessionInfo | null;
    next?: string;
    on?: Auth;
    deny?: boolean;
  } = {},
): Promise<ProviderOutcome> {
  const provider = options.provider ?? 'oidc';
  const on = options.on ?? auth;
  const started = await on.startProviderFlow(
    provider,
    { intent: options.intent ?? 'sign_in', next: options.next, session: options.session ?? null },
    testRequest,
  );
  const params = await loginAtProvider(started.url, login, {
    siteUrl: SITE,
    deny: options.deny === true,
  });
  return on.completeProviderFlow(
    provider,
    { params, flowToken: started.flowToken, session: options.session ?? null },
    testRequest,
  );
}

function signedIn(outcome: ProviderOutcome) {
  if (outcome.status !== 'signed_in')
    throw new Error(`expected signed_in, got ${JSON.stringify(outcome)}`);
  return outcome;
}

function refusal(outcome: ProviderOutcome) {
  if (outcome.status !== 'refused') throw new Error(`expected a refusal, got ${outcome.status}`);
  return outcome.reason;
}

describe('rule 1 and 4: identity is (issuer, subject); new accounts have no password', () => {
  it('creates a passwordless, verified account and signs in with amr oauth; no provider token is stored', async () => {
    const login = uniqueName('newcomer');
    const outcome = signedIn(await providerSignIn(login));
    expect(outcome.created).toBe(true);
    expect(outcome.amr).toEqual(['oauth']);
    expect(outcome.user.emailVerified).toBe(true);
    expect(outcome.user.email).toBe(`${login}@example.test`);
    const user = await database.current.users.findOne({ _id: outcome.user.id });
    expect(user?.password_hash).toBe('');
    const session = await database.current.sessions.findOne({ _id: outcome.login.session.id });
    expect(session?.amr).toEqual(['oauth']);
    expect(session?.provider).toBe('oidc');
    const links = await database.current.oauthAccounts.find({ user_id: outcome.user.id }).toArray();
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ issuer: idp.issuer, subject: login, provider: 'oidc' });
    expect(Object.keys(links[0]!).sort()).toEqual(
      [
        '_id',
        'created_at',
        'display_name',
        'email',
        'issuer',
        'last_used_at',
        'provider',
        'subject',
        'user_id',
      ].sort(),
    );
    // The flow record is gone (single use).
    expect(await database.current.oauthFlows.countDocuments({})).toBe(0);
    // No password signs this account in, not even an empty one.
    for (const password of ['', 'x', strongTestPassword()]) {
      expect(
        (await authErrorOf(auth.authenticate(outcome.user.username, password, testRequest))).code,
      ).toBe('INVALID_CREDENTIALS');
    }
    expect(await auth.signInMethods(outcome.user.id)).toEqual({
      password: false,
      passkeys: 0,
      totp: false,
      providers: ['oidc'],
    });
  });

  it('recognises a returning user by subject after the email changed at the provider', async () => {
    const login = uniqueName('mover');
    const first = signedIn(await providerSignIn(login));
    idp.setAccount(login, { email: `${login}-new@example.test` });
    const again = signedIn(await providerSignIn(login));
    expect(again.created).toBe(false);
    expect(again.user.id).toBe(first.user.id);
    // The account's address is not changed by the provider.
    expect(again.user.email).toBe(`${login}@example.test`);
    expect(await database.current.users.countDocuments({ _id: first.user.id })).toBe(1);
  });

  it('makes usernames unique', async () => {
    const taken = await createSignedInUser(auth);
    const login = uniqueName('dup');
    idp.setAccount(login, { preferred_username: taken.user.username });
    const outcome = signedIn(await providerSignIn(login));
    expect(outcome.user.username).not.toBe(taken.user.username);
    expect(outcome.user.username.startsWith(taken.user.username)).toBe(true);
  });

  it('refuses a new account when the provider has not verified the address', async () => {
    const before = await database.current.users.countDocuments({});
    expect(refusal(await providerSignIn('unverified'))).toBe('email_unverified');
    expect(await database.current.users.countDocuments({})).toBe(before);
  });

  it('signs in with GitHub (numeric id as subject) and recognises the user after a login rename', async () => {
    const login = uniqueName('octo');
    const first = signedIn(await providerSignIn(login, { provider: 'github' }));
    const link = await database.current.oauthAccounts.findOne({ user_id: first.user.id });
    expect(link).toMatchObject({ issuer: github.url, provider: 'github' });
    expect(link?.subject).toMatch(/^\d+$/);
    github.setUser(login, { email: `${login}-renamed@example.test` });
    const again = signedIn(await providerSignIn(login, { provider: 'github' }));
    expect(again.user.id).toBe(first.user.id);
  });

  it('refuses GitHub sign-up without a verified primary address', async () => {
    expect(refusal(await providerSignIn('unverified', { provider: 'github' }))).toBe(
      'email_unverified',
    );
  });
});

describe('rule 3: no implicit linking by email', () => {
  it('does not sign in to the account whose address a verified provider email matches', async () => {
    const owner = await createSignedInUser(auth);
    const login = uniqueName('squatter');
    idp.setAccount(login, { email: owner.user.email, email_verified: true });
    const outcome = await providerSignIn(login);
    expect(refusal(outcome)).toBe('account_exists');
    expect(outcome.status === 'refused' && outcome.message).toMatch(/connect this provider/);
    expect(await database.current.oauthAccounts.countDocuments({ user_id: owner.user.id })).toBe(0);
    expect(await database.current.sessions.countDocuments({ user_id: owner.user.id })).toBe(1);
    const events = await auth.listEvents(owner.user.id);
    expect(events.some((event) => event.type === 'login' && event.details?.amr === 'oauth')).toBe(
      false,
    );
  });

  it('does not link with email_verified false either (and says nothing about the account)', async () => {
    const owner = await createSignedInUser(auth);
    const login = uniqueName('unverifiedsquatter');
    idp.setAccount(login, { email: owner.user.email, email_verified: false });
    expect(refusal(await providerSignIn(login))).toBe('email_unverified');
    expect(await database.current.oauthAccounts.countDocuments({ user_id: owner.user.id })).toBe(0);
    expect(await database.current.sessions.countDocuments({ user_id: owner.user.id })).toBe(1);
  });

  it('does not link through GitHub either', async () => {
    const owner = await createSignedInUser(auth);
    const login = uniqueName('ghsquatter');
    github.setUser(login, { email: owner.user.email, verified: true });
    expect(refusal(await providerSignIn(login, { provider: 'github' }))).toBe('account_exists');
    expect(await database.current.oauthAccounts.countDocuments({ user_id: owner.user.id })).toBe(0);
  });
});

describe('rule 2: the flow is server-side, single-use and bound to the browser', () => {
  async function startedAndReturned(
    provider: 'oidc' | 'github' = 'oidc',
    login = uniqueName('flow'),
  ) {
    const started = await auth.startProviderFlow(provider, { intent: 'sign_in' }, testRequest);
    const params = await loginAtProvider(started.url, login, { siteUrl: SITE });
    return { started, params };
  }

  it('refuses a callback without the binding cookie, and does not call the token endpoint', async () => {
    const { params } = await startedAndReturned('github');
    const before = github.tokenRequests();
    expect(
      refusal(await auth.completeProviderFlow('github', { params, flowToken: null }, testRequest)),
    ).toBe('invalid_flow');
    expect(
      refusal(
        await auth.completeProviderFlow(
          'github',
          { params, flowToken: 'not-a-token' },
          testRequest,
        ),
      ),
    ).toBe('invalid_flow');
    expect(github.tokenRequests()).toBe(before);
  });

  it("refuses another browser's cookie (a flow of its own, another state)", async () => {
    const victim = await startedAndReturned('github');
    const attacker = await auth.startProviderFlow('github', { intent: 'sign_in' }, testRequest);
    const before = github.tokenRequests();
    // The victim's callback (code and state) in a browser holding the attacker's cookie.
    const outcome = await auth.completeProviderFlow(
      'github',
      { params: victim.params, flowToken: attacker.flowToken },
      testRequest,
    );
    expect(refusal(outcome)).toBe('invalid_flow');
    expect(github.tokenRequests()).toBe(before);
  });

  it('refuses a forged state', async () => {
    const { started, params } = await startedAndReturned('github');
    params.set('state', 'forged');
    const before = github.tokenRequests();
    expect(
      refusal(
        await auth.completeProviderFlow(
          'github',
          { params, flowToken: started.flowToken },
          testRequest,
        ),
      ),
    ).toBe('invalid_flow');
    expect(github.tokenRequests()).toBe(before);
  });

  it('refuses a replayed callback', async () => {
    const { started, params } = await startedAndReturned();
    signedIn(
      await auth.completeProviderFlow(
        'oidc',
        { params, flowToken: started.flowToken },
        testRequest,
      ),
    );
    expect(
      refusal(
        await auth.completeProviderFlow(
          'oidc',
          { params, flowToken: started.flowToken },
          testRequest,
        ),
      ),
    ).toBe('invalid_flow');
  });

  it("refuses a callback at another provider's path (mix-up)", async () => {
    const { started, params } = await startedAndReturned('github');
    const before = github.tokenRequests();
    expect(
      refusal(
        await auth.completeProviderFlow(
          'oidc',
          { params, flowToken: started.flowToken },
          testRequest,
        ),
      ),
    ).toBe('invalid_flow');
    // Used up: not even the right path works afterwards.
    expect(
      refusal(
        await auth.completeProviderFlow(
          'github',
          { params, flowToken: started.flowToken },
          testRequest,
        ),
      ),
    ).toBe('invalid_flow');
    expect(github.tokenRequests()).toBe(before);
  });

  it('refuses a wrong iss (RFC 9207)', async () => {
    const { started, params } = await startedAndReturned();
    expect(params.get('iss')).toBe(idp.issuer);
    params.set('iss', 'https://evil.example');
    expect(
      refusal(
        await auth.completeProviderFlow(
          'oidc',
          { params, flowToken: started.flowToken },
          testRequest,
        ),
      ),
    ).toBe('provider_error');
  });

  it('refuses an ID token without the nonce', async () => {
    const started = await auth.startProviderFlow('oidc', { intent: 'sign_in' }, testRequest);
    const url = new URL(started.url);
    expect(url.searchParams.get('nonce')).toBeTruthy();
    url.searchParams.delete('nonce');
    const params = await loginAtProvider(url.toString(), uniqueName('nonce'), { siteUrl: SITE });
    expect(
      refusal(
        await auth.completeProviderFlow(
          'oidc',
          { params, flowToken: started.flowToken },
          testRequest,
        ),
      ),
    ).toBe('provider_error');
    expect(
      await database.current.sessions.countDocuments({ amr: 'oauth', user_agent: 'nonce' }),
    ).toBe(0);
  });

  it('refuses an expired flow (ten minutes)', async () => {
    const { started, params } = await startedAndReturned();
    clock.advance(10 * 60_000 + 1);
    expect(
      refusal(
        await auth.completeProviderFlow(
          'oidc',
          { params, flowToken: started.flowToken },
          testRequest,
        ),
      ),
    ).toBe('invalid_flow');
  });

  it('uses PKCE, state and nonce in the authorization request', async () => {
    const started = await auth.startProviderFlow('oidc', { intent: 'sign_in' }, testRequest);
    const url = new URL(started.url);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('redirect_uri')).toBe(`${SITE}/login/provider/oidc/callback`);
    const flow = await database.current.oauthFlows.findOne({});
    // Only the state's hash is stored.
    expect(JSON.stringify(flow)).not.toContain(url.searchParams.get('state')!);
    await database.current.oauthFlows.deleteMany({});
  });

  it('keeps only a safe next path, read from the record', async () => {
    for (const next of [
      '//evil.example',
      '/\\evil.example',
      'https://evil.example/',
      ' /x',
      '/\tx',
    ]) {
      await auth.startProviderFlow('oidc', { intent: 'sign_in', next }, testRequest);
      const flow = await database.current.oauthFlows.findOne({}, { sort: { created_at: -1 } });
      expect(flow?.next).toBe('/dashboard');
      await database.current.oauthFlows.deleteMany({});
    }
    const outcome = signedIn(
      await providerSignIn(uniqueName('nexter'), { next: '/account?tab=2' }),
    );
    expect(outcome.next).toBe('/account?tab=2');
  });

  it('answers access denied at the provider without calling the token endpoint', async () => {
    const before = github.tokenRequests();
    expect(
      refusal(await providerSignIn(uniqueName('denier'), { provider: 'github', deny: true })),
    ).toBe('access_denied');
    expect(github.tokenRequests()).toBe(before);
    expect(refusal(await providerSignIn(uniqueName('denier'), { deny: true }))).toBe(
      'access_denied',
    );
  });

  it('refuses an unknown provider with NOT_FOUND', async () => {
    expect(
      (await authErrorOf(auth.startProviderFlow('nope', { intent: 'sign_in' }, testRequest))).code,
    ).toBe('NOT_FOUND');
  });
});

describe('rule 6: second factor and freshness', () => {
  it('gives an account with TOTP the second step after the provider', async () => {
    const login = uniqueName('totp');
    const first = signedIn(await providerSignIn(login));
    const enrolment = await auth.beginTotpEnrolment(first.login.session, testRequest);
    await auth.confirmTotpEnrolment(
      first.login.session,
      totpCode(enrolment.secret, clock.now()),
      testRequest,
    );
    clock.advance(60_000);
    const outcome = await providerSignIn(login);
    if (outcome.status !== 'second_factor')
      throw new Error(`expected the second step, got ${outcome.status}`);
    expect(await database.current.sessions.countDocuments({ user_id: first.user.id })).toBe(1);
    const done = await auth.completeSecondFactor(
      outcome.challenge,
      { code: totpCode(enrolment.secret, clock.now()) },
      testRequest,
    );
    expect(done.amr).toEqual(['oauth', 'totp']);
    // A provider sign-in alone is not a second factor: admin MFA and step-up need the code.
    expect(auth.isFresh(done.login.session)).toBe(true);
  });

  it('lets a passwordless account re-authenticate with its provider (max_age=0, auth_time)', async () => {
    const first = signedIn(await providerSignIn(uniqueName('reauth')));
    await makeSessionStale(auth, first.login.session.id);
    const stale = (await auth.loadUser(first.login.token, testRequest)).session!;
    expect(auth.isFresh(stale)).toBe(false);
    const started = await auth.startProviderFlow(
      'oidc',
      { intent: 'reauthenticate', session: stale },
      testRequest,
    );
    const url = new URL(started.url);
    expect(url.searchParams.get('prompt')).toBe('login');
    expect(url.searchParams.get('max_age')).toBe('0');
    const params = await loginAtProvider(started.url, first.user.username, { siteUrl: SITE });
    const outcome = await auth.completeProviderFlow(
      'oidc',
      { params, flowToken: started.flowToken, session: stale },
      testRequest,
    );
    if (outcome.status !== 'reauthenticated')
      throw new Error(`expected reauthenticated, got ${JSON.stringify(outcome)}`);
    expect(auth.isFresh(outcome.login.session)).toBe(true);
    expect(outcome.login.session.amr).toEqual(['oauth']);
  });

  it('refuses re-authentication as another identity than the connected one', async () => {
    const first = signedIn(await providerSignIn(uniqueName('reauthx')));
    const started = await auth.startProviderFlow(
      'oidc',
      { intent: 'reauthenticate', session: first.login.session },
      testRequest,
    );
    const params = await loginAtProvider(started.url, uniqueName('someoneelse'), { siteUrl: SITE });
    const outcome = await auth.completeProviderFlow(
      'oidc',
      { params, flowToken: started.flowToken, session: first.login.session },
      testRequest,
    );
    expect(refusal(outcome)).toBe('not_connected');
  });
});

describe('rule 5: connect and disconnect', () => {
  it('connects from a fresh session only, mails the owner and records it', async () => {
    const member = await createSignedInUser(auth);
    await makeSessionStale(auth, member.session.id);
    const stale = (await auth.loadUser(member.token, testRequest)).session!;
    expect(
      (
        await authErrorOf(
          auth.startProviderFlow('oidc', { intent: 'connect', session: stale }, testRequest),
        )
      ).code,
    ).toBe('NEEDS_REFRESH');
    expect(
      (
        await authErrorOf(
          auth.startProviderFlow('oidc', { intent: 'connect', session: null }, testRequest),
        )
      ).code,
    ).toBe('UNAUTHORIZED');

    const fresh = await auth.confirmLogin(stale, member.password, testRequest);
    const login = uniqueName('connector');
    const outcome = await providerSignIn(login, { intent: 'connect', session: fresh.session });
    expect(outcome).toMatchObject({ status: 'connected', next: '/account' });
    expect(await auth.listConnectedAccounts(fresh.session)).toMatchObject([
      { provider: 'oidc', providerName: 'Test IdP' },
    ]);
    expect(
      await database.current.mailOutbox.countDocuments({
        to: member.user.email,
        kind: 'provider_connected_notice',
      }),
    ).toBe(1);
    expect(
      (await auth.listEvents(member.user.id)).some((event) => event.type === 'oauth_connected'),
    ).toBe(true);
    // From now on the provider signs in to this account.
    expect(signedIn(await providerSignIn(login)).user.id).toBe(member.user.id);
  });

  it('refuses to connect an identity that belongs to another account', async () => {
    const login = uniqueName('taken');
    const other = signedIn(await providerSignIn(login));
    const member = await createSignedInUser(auth);
    const outcome = await providerSignIn(login, { intent: 'connect', session: member.session });
    expect(refusal(outcome)).toBe('identity_in_use');
    expect(await database.current.oauthAccounts.countDocuments({ user_id: member.user.id })).toBe(
      0,
    );
    expect(await database.current.oauthAccounts.countDocuments({ user_id: other.user.id })).toBe(1);
  });

  it('refuses a connect callback in another session than the one that started it', async () => {
    const member = await createSignedInUser(auth);
    const otherSession = await auth.loginUser(member.user, {}, testRequest);
    const started = await auth.startProviderFlow(
      'oidc',
      { intent: 'connect', session: member.session },
      testRequest,
    );
    const params = await loginAtProvider(started.url, uniqueName('swap'), { siteUrl: SITE });
    const outcome = await auth.completeProviderFlow(
      'oidc',
      { params, flowToken: started.flowToken, session: otherSession.session },
      testRequest,
    );
    expect(refusal(outcome)).toBe('signed_out');
    expect(await database.current.oauthAccounts.countDocuments({ user_id: member.user.id })).toBe(
      0,
    );
  });

  it('refuses to disconnect the last way to sign in, then allows it once a password is set', async () => {
    const first = signedIn(await providerSignIn(uniqueName('lastway')));
    const session = first.login.session;
    const [connection] = await auth.listConnectedAccounts(session);
    expect(
      (await authErrorOf(auth.disconnectProvider(session, connection!.id, testRequest))).code,
    ).toBe('CONFLICT');

    // Another device signed in with the provider: it ends with the disconnection (the stamp).
    const otherDevice = signedIn(await providerSignIn(first.user.username));
    await auth.setPassword(session, strongTestPassword(), testRequest);
    expect(
      await database.current.mailOutbox.countDocuments({
        to: first.user.email,
        kind: 'password_set_notice',
      }),
    ).toBe(1);
    expect(
      (await authErrorOf(auth.setPassword(session, strongTestPassword(), testRequest))).code,
    ).toBe('CONFLICT');

    await auth.disconnectProvider(session, connection!.id, testRequest);
    expect(await auth.listConnectedAccounts(session)).toEqual([]);
    expect(
      await database.current.mailOutbox.countDocuments({
        to: first.user.email,
        kind: 'provider_disconnected_notice',
      }),
    ).toBe(1);
    expect(
      (await auth.listEvents(first.user.id)).some((event) => event.type === 'oauth_disconnected'),
    ).toBe(true);
    expect((await auth.loadUser(otherDevice.login.token, testRequest)).session).toBeNull();
    expect((await auth.loadUser(first.login.token, testRequest)).session).not.toBeNull();
  });

  it("needs a fresh session to disconnect, and refuses another account's connection", async () => {
    const member = await createSignedInUser(auth);
    const connected = await providerSignIn(uniqueName('fresh'), {
      intent: 'connect',
      session: member.session,
    });
    expect(connected.status).toBe('connected');
    const [connection] = await auth.listConnectedAccounts(member.session);
    const stranger = await createSignedInUser(auth);
    expect(
      (await authErrorOf(auth.disconnectProvider(stranger.session, connection!.id, testRequest)))
        .code,
    ).toBe('NOT_FOUND');
    await makeSessionStale(auth, member.session.id);
    const stale = (await auth.loadUser(member.token, testRequest)).session!;
    expect(
      (await authErrorOf(auth.disconnectProvider(stale, connection!.id, testRequest))).code,
    ).toBe('NEEDS_REFRESH');
    expect(await database.current.oauthAccounts.countDocuments({ user_id: member.user.id })).toBe(
      1,
    );
  });
});

describe('rule 7: everything else applies', () => {
  it('refuses a deactivated account', async () => {
    const login = uniqueName('inactive');
    const first = signedIn(await providerSignIn(login));
    await database.current.users.updateOne({ _id: first.user.id }, { $set: { active: false } });
    expect(refusal(await providerSignIn(login))).toBe('inactive');
  });

  it('records sign-ins and refusals', async () => {
    const first = signedIn(await providerSignIn(uniqueName('audited')));
    const types = (await auth.listEvents(first.user.id)).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['register', 'oauth_sign_in', 'login']));
    const refused = await database.current.authEvents.countDocuments({
      type: 'oauth_refused',
      'details.reason': 'invalid_flow',
    });
    expect(refused).toBeGreaterThan(0);
  });
});

describe("the throttle's address budget", () => {
  const strict = useTestAuth({
    siteUrl: SITE,
    throttle: { addressFreeFailures: 2 },
    identityProviders: [
      {
        kind: 'oidc',
        id: 'oidc',
        name: 'Test IdP',
        issuer: idp.issuer,
        clientId: 'site',
        clientSecret: secret,
      },
    ],
  });

  it('locks an address that sends forged callbacks', async () => {
    const params = new URLSearchParams({ state: 'forged', code: 'forged' });
    for (let i = 0; i < 2; i++) {
      expect(
        refusal(
          await strict.auth.completeProviderFlow('oidc', { params, flowToken: null }, testRequest),
        ),
      ).toBe('invalid_flow');
    }
    expect(
      (
        await authErrorOf(
          strict.auth.completeProviderFlow('oidc', { params, flowToken: null }, testRequest),
        )
      ).code,
    ).toBe('THROTTLED');
  });
});
