// Second factors over HTTP: login -> secondFactorRequired -> verifySecondFactor
// (cookie and bearer), TOTP set-up, passkeys with a software authenticator,
// the admin reset and REQUIRE_MFA_FOR_ADMINS.
import { createSoftAuthenticator, createTestClock, totpCode } from '@authkit/auth/testing';
import { describe, expect, it } from 'vitest';
import {
  cookiePair,
  mutate,
  query,
  signUp,
  useTestApi,
  WEB_ORIGIN,
  type CallHeaders,
  type BearerAccount,
} from './test-helpers/index.ts';

const clock = createTestClock();
const api = useTestApi({ now: clock.now, siteUrl: WEB_ORIGIN, requireMfaForAdmins: true });
const STEP = 30_000;

/** Turns TOTP on over the API; the clock then moves past the step the confirming code used. */
async function enrol(headers: CallHeaders) {
  const begun = await mutate(api, 'auth.totp.beginEnrolment', undefined, headers);
  expect(begun.status).toBe(200);
  const { secret, uri, qrSvg } = begun.body.result.data;
  expect(uri).toMatch(/^otpauth:\/\/totp\//);
  expect(qrSvg).toMatch(/^<svg/);
  const confirmed = await mutate(api, 'auth.totp.confirmEnrolment', { code: totpCode(secret, clock.now()) }, headers);
  expect(confirmed.status).toBe(200);
  clock.advance(2 * STEP);
  return { secret: secret as string, recoveryCodes: confirmed.body.result.data.recoveryCodes as string[] };
}

async function passwordStep(account: BearerAccount, extra: Record<string, unknown> = {}) {
  const login = await mutate(api, 'auth.login', { username: account.username, password: account.password, ...extra });
  expect(login.status).toBe(200);
  expect(login.headers.getSetCookie()).toEqual([]);
  return login.body.result.data;
}

describe('sign-in with TOTP', () => {
  it('login answers secondFactorRequired, and verifySecondFactor signs in with a cookie', async () => {
    const account = await signUp(api);
    const { secret } = await enrol(account.bearer);
    const pending = await passwordStep(account, { remember: true });
    expect(Object.keys(pending).sort()).toEqual(['challenge', 'expiresAt', 'secondFactorRequired']);
    expect(pending.secondFactorRequired).toBe(true);
    // The challenge is no session.
    expect((await query(api, 'auth.me', undefined, { authorization: `Bearer ${pending.challenge}` })).status).toBe(401);

    const wrong = await mutate(api, 'auth.verifySecondFactor', { challenge: pending.challenge, code: '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.data.fieldErrors.code).toHaveLength(1);

    const done = await mutate(api, 'auth.verifySecondFactor', { challenge: pending.challenge, code: totpCode(secret, clock.now()) });
    expect(done.status).toBe(200);
    expect(done.body.result.data).toMatchObject({ secondFactorRequired: false, user: { id: account.id, mfaEnabled: true } });
    expect(done.body.result.data).not.toHaveProperty('token');
    const setCookies = done.headers.getSetCookie();
    expect(setCookies).toHaveLength(2);
    expect(setCookies[0]).toMatch(/Expires=/); // remembered
    const me = await query(api, 'auth.me', undefined, { cookie: cookiePair(done.headers) });
    expect(me.body.result.data.session.fresh).toBe(true);
    // Used up.
    clock.advance(STEP);
    const again = await mutate(api, 'auth.verifySecondFactor', { challenge: pending.challenge, code: totpCode(secret, clock.now()) });
    expect(again.status).toBe(401);
  });

  it('with bearer: true, answers the token like login; a recovery code works once', async () => {
    const account = await signUp(api);
    const { recoveryCodes } = await enrol(account.bearer);
    const pending = await passwordStep(account);
    const done = await mutate(api, 'auth.verifySecondFactor', {
      challenge: pending.challenge,
      recoveryCode: recoveryCodes[0],
      bearer: true,
    });
    expect(done.status).toBe(200);
    expect(done.headers.getSetCookie()).toEqual([]);
    const { token, deviceToken } = done.body.result.data;
    expect(typeof deviceToken).toBe('string');
    expect((await query(api, 'auth.me', undefined, { authorization: `Bearer ${token}` })).status).toBe(200);
    const reused = await mutate(api, 'auth.verifySecondFactor', { challenge: (await passwordStep(account)).challenge, recoveryCode: recoveryCodes[0] });
    expect(reused.status).toBe(400);
  });

  it('expires after five minutes, and never logs the secret or a code', async () => {
    const account = await signUp(api);
    const { secret, recoveryCodes } = await enrol(account.bearer);
    const pending = await passwordStep(account);
    clock.advance(5 * 60_000 + 1);
    const late = await mutate(api, 'auth.verifySecondFactor', { challenge: pending.challenge, code: totpCode(secret, clock.now()) });
    expect(late.status).toBe(401);
    const logs = api.logText();
    expect(logs.length).toBeGreaterThan(0);
    for (const secretText of [secret, pending.challenge, ...recoveryCodes]) expect(logs).not.toContain(secretText);
  });
});

describe('passkeys', () => {
  it('register (fresh), sign in usernameless with a cookie, re-authenticate, list, rename, remove', async () => {
    const account = await signUp(api);
    const authenticator = createSoftAuthenticator({ origin: WEB_ORIGIN });
    const options = await mutate(api, 'auth.passkeys.registrationOptions', undefined, account.bearer);
    expect(options.status).toBe(200);
    const registered = await mutate(
      api,
      'auth.passkeys.register',
      { response: authenticator.register(options.body.result.data), name: 'Laptop' },
      account.bearer,
    );
    expect(registered.status).toBe(200);
    const passkeyId = registered.body.result.data.passkey.id;

    const request = await mutate(api, 'auth.passkeys.authenticationOptions');
    const signedIn = await mutate(api, 'auth.passkeys.authenticate', { response: authenticator.authenticate(request.body.result.data) });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.result.data.user.id).toBe(account.id);
    const cookie = { cookie: cookiePair(signedIn.headers), origin: WEB_ORIGIN };
    expect((await query(api, 'auth.me', undefined, cookie)).body.result.data.session.fresh).toBe(true);

    clock.advance(11 * 60_000); // past the fresh window
    expect((await mutate(api, 'auth.passkeys.rename', { id: passkeyId, name: 'Phone' }, cookie)).status).toBe(403);
    const again = await mutate(api, 'auth.passkeys.reauthenticationOptions', undefined, cookie);
    const reauth = await mutate(api, 'auth.passkeys.reauthenticate', { response: authenticator.authenticate(again.body.result.data) }, cookie);
    expect(reauth.status).toBe(200);
    expect(reauth.body.result.data.session.fresh).toBe(true);
    // A new session token comes with the re-authentication; the old cookie is void.
    expect((await query(api, 'auth.me', undefined, cookie)).status).toBe(401);
    cookie.cookie = cookiePair(reauth.headers);
    expect((await mutate(api, 'auth.passkeys.rename', { id: passkeyId, name: 'Phone' }, cookie)).status).toBe(200);
    const list = await query(api, 'auth.passkeys.list', undefined, cookie);
    expect(list.body.result.data).toEqual([expect.objectContaining({ id: passkeyId, name: 'Phone' })]);
    expect((await mutate(api, 'auth.passkeys.remove', { id: passkeyId }, cookie)).status).toBe(200);
    expect((await query(api, 'auth.passkeys.list', undefined, cookie)).body.result.data).toEqual([]);
  });

  it('refuses a malformed or replayed response with 400, never 500', async () => {
    const junk = await mutate(api, 'auth.passkeys.authenticate', {
      response: { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: '', signature: '' } },
    });
    expect(junk.status).toBe(400);
    const notJson = await mutate(api, 'auth.passkeys.authenticate', {
      response: { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'notjson', authenticatorData: 'AA', signature: 'AA' } },
    });
    expect(notJson.status).toBe(400);
  });
});

describe('admins (REQUIRE_MFA_FOR_ADMINS on)', () => {
  it('an admin without a second factor gets 403 mfa_required from admin procedures but may enrol; then resets a user', async () => {
    const admin = await signUp(api, { role: 'admin' });
    const refused = await query(api, 'admin.users.list', undefined, admin.bearer);
    expect(refused.status).toBe(403);
    expect(refused.body.error.data.reason).toBe('mfa_required');

    await enrol(admin.bearer);
    const member = await signUp(api);
    await enrol(member.bearer);
    const list = await query(api, 'admin.users.list', { pageSize: 100 }, admin.bearer);
    expect(list.status).toBe(200);
    const listed = list.body.result.data.users.find((user: { id: string }) => user.id === member.id);
    expect(listed.secondFactors).toEqual({ totp: true, passkeys: 0 });

    const reset = await mutate(api, 'admin.users.resetSecondFactor', { userId: member.id }, admin.bearer);
    expect(reset.status).toBe(200);
    // The password alone signs the member in again.
    const login = await mutate(api, 'auth.login', { username: member.username, password: member.password, bearer: true });
    expect(login.body.result.data).toMatchObject({ secondFactorRequired: false, user: { mfaEnabled: false } });
    const events = await api.auth.listEvents(member.id, 5);
    expect(events.map((event) => event.type)).toContain('second_factor_reset');
    expect(await api.database.mailOutbox.countDocuments({ to: member.email, kind: 'second_factor_reset_notice' })).toBe(1);
    // The reset ended the member's sessions; signed in again, members may not.
    expect((await query(api, 'auth.me', undefined, member.bearer)).status).toBe(401);
    const memberAgain = { authorization: `Bearer ${login.body.result.data.token}` };
    expect((await mutate(api, 'admin.users.resetSecondFactor', { userId: admin.id }, memberAgain)).status).toBe(403);
  });
});
