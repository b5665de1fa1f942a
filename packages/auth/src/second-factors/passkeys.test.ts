// Passkeys with a software authenticator (real ES256 keys and signatures, real
// database): registration, usernameless sign-in, re-authentication, counters,
// single-use challenges, names, removal.
import { describe, expect, it } from 'vitest';
import { authErrorOf, useTestAuth } from '../test-harness.ts';
import type { RequestInfo } from '../types.ts';
import { createSignedInUser, createSoftAuthenticator, makeSessionStale, testRequest, type SignedInUser } from '../testing.ts';

const SITE = 'https://site.example';
const { database, clock, auth } = useTestAuth({ siteUrl: SITE, siteName: 'Example' });

/** Usernameless options for a client of its own (anonymous challenges are limited per address). */
let clients = 0;
async function anonymousOptions() {
  clients++;
  return auth.passkeyAuthenticationOptions(null, { ...testRequest, ip: `10.77.${clients >> 8}.${clients & 255}` });
}

async function withPasskey(options: { counterStep?: number } = {}) {
  const member = await createSignedInUser(auth);
  const authenticator = createSoftAuthenticator({ origin: SITE }, options);
  const creation = await auth.passkeyRegistrationOptions(member.session, testRequest);
  const passkey = await auth.registerPasskey(member.session, authenticator.register(creation), 'Laptop', testRequest);
  return { member, authenticator, passkey };
}

describe('registration', () => {
  it('stores a named passkey for the site, with its counter and backup state', async () => {
    const member = await createSignedInUser(auth);
    const creation = await auth.passkeyRegistrationOptions(member.session, testRequest);
    expect(creation.rp).toEqual({ name: 'Example', id: 'site.example' });
    expect(creation.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    const authenticator = createSoftAuthenticator({ origin: SITE });
    const passkey = await auth.registerPasskey(member.session, authenticator.register(creation), '  Laptop  ', testRequest);
    expect(passkey).toMatchObject({ id: authenticator.credentialIds()[0], name: 'Laptop', backedUp: false, deviceType: 'singleDevice', lastUsedAt: null });
    const stored = await database.current.passkeys.findOne({ _id: passkey.id });
    expect(stored).toMatchObject({ user_id: member.user.id, counter: 0, transports: ['internal'] });
    expect((await auth.listPasskeys(member.session)).map((key) => key.name)).toEqual(['Laptop']);
    expect((await auth.listEvents(member.user.id, 1))[0]?.type).toBe('passkey_added');
    // The next options exclude it, so the authenticator does not make a second one.
    const next = await auth.passkeyRegistrationOptions(member.session, testRequest);
    expect(next.excludeCredentials?.map((key) => key.id)).toEqual([passkey.id]);
  });

  it('sends the username as user.displayName (authenticators show it in their list)', async () => {
    const member = await createSignedInUser(auth);
    const creation = await auth.passkeyRegistrationOptions(member.session, testRequest);
    expect(creation.user.name).toBe(member.user.username);
    expect(creation.user.displayName).toBe(member.user.username);
  });

  it('names an unnamed passkey after its authenticator (AAGUID), else the browser, numbered when taken', async () => {
    const member = await createSignedInUser(auth);
    const yubikey = createSoftAuthenticator({ origin: SITE }, { aaguid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8' });
    const first = await auth.registerPasskey(member.session, yubikey.register(await auth.passkeyRegistrationOptions(member.session, testRequest)), '', testRequest);
    expect(first.name).toBe('YubiKey');
    const chrome = { ...testRequest, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' };
    const unknown = () => createSoftAuthenticator({ origin: SITE });
    const second = await auth.registerPasskey(member.session, unknown().register(await auth.passkeyRegistrationOptions(member.session, chrome)), '   ', chrome);
    expect(second.name).toBe('Chrome on Linux');
    const third = await auth.registerPasskey(member.session, unknown().register(await auth.passkeyRegistrationOptions(member.session, chrome)), '', chrome);
    expect(third.name).toBe('Chrome on Linux (2)');
    expect((await auth.listEvents(member.user.id, 1))[0]).toMatchObject({ type: 'passkey_added', details: { name: 'Chrome on Linux (2)' } });
  });

  it('needs a fresh session', async () => {
    const member = await createSignedInUser(auth);
    const creation = await auth.passkeyRegistrationOptions(member.session, testRequest);
    await makeSessionStale(auth, member.session.id);
    expect((await authErrorOf(auth.passkeyRegistrationOptions(member.session, testRequest))).code).toBe('NEEDS_REFRESH');
    const response = createSoftAuthenticator({ origin: SITE }).register(creation);
    expect((await authErrorOf(auth.registerPasskey(member.session, response, 'Laptop', testRequest))).code).toBe('NEEDS_REFRESH');
  });

  it('refuses a reused, expired or foreign challenge, another origin, and another user’s options', async () => {
    const member = await createSignedInUser(auth);
    const other = await createSignedInUser(auth);
    const authenticator = createSoftAuthenticator({ origin: SITE });

    const creation = await auth.passkeyRegistrationOptions(member.session, testRequest);
    const response = authenticator.register(creation);
    await auth.registerPasskey(member.session, response, 'One', testRequest);
    expect((await authErrorOf(auth.registerPasskey(member.session, authenticator.register(creation), 'Two', testRequest))).code).toBe('VALIDATION');

    const late = await auth.passkeyRegistrationOptions(member.session, testRequest);
    clock.advance(3 * 60_000 + 1);
    member.session = (await auth.confirmLogin(member.session, member.password, testRequest)).session;
    expect((await authErrorOf(auth.registerPasskey(member.session, authenticator.register(late), 'Late', testRequest))).code).toBe('VALIDATION');

    const phished = await auth.passkeyRegistrationOptions(member.session, testRequest);
    const elsewhere = authenticator.register(phished, 'https://evil.example');
    expect((await authErrorOf(auth.registerPasskey(member.session, elsewhere, 'Evil', testRequest))).code).toBe('VALIDATION');

    const othersOptions = await auth.passkeyRegistrationOptions(other.session, testRequest);
    const stolen = authenticator.register(othersOptions);
    expect((await authErrorOf(auth.registerPasskey(member.session, stolen, 'Stolen', testRequest))).code).toBe('VALIDATION');
    expect(await database.current.passkeys.countDocuments({ user_id: member.user.id })).toBe(1);
  });
});

describe('sign-in', () => {
  it('is complete and usernameless: a fresh session from the passkey alone', async () => {
    const { member, authenticator, passkey } = await withPasskey();
    const options = await auth.passkeyAuthenticationOptions();
    expect(options.allowCredentials).toEqual([]);
    const result = await auth.signInWithPasskey(authenticator.authenticate(options), { remember: true }, testRequest);
    expect(result.user.id).toBe(member.user.id);
    expect(auth.isFresh(result.login.session)).toBe(true);
    expect((await auth.loadUser(result.login.token, testRequest)).user.isAuthenticated).toBe(true);
    const stored = await database.current.passkeys.findOne({ _id: passkey.id });
    expect(stored?.counter).toBe(1);
    expect(stored?.last_used_at).toEqual(clock.now());
    expect((await auth.listEvents(member.user.id, 5)).map((event) => event.type)).toContain('passkey_used');
  });

  it('uses each challenge once', async () => {
    const { authenticator } = await withPasskey();
    const options = await auth.passkeyAuthenticationOptions();
    await auth.signInWithPasskey(authenticator.authenticate(options), {}, testRequest);
    const replay = await authErrorOf(auth.signInWithPasskey(authenticator.authenticate(options), {}, testRequest));
    expect(replay.code).toBe('VALIDATION');
  });

  it('refuses a counter that goes back (a cloned authenticator), and accepts one that keeps no counter', async () => {
    const { authenticator, passkey } = await withPasskey();
    await auth.signInWithPasskey(authenticator.authenticate(await auth.passkeyAuthenticationOptions()), {}, testRequest);
    await auth.signInWithPasskey(authenticator.authenticate(await auth.passkeyAuthenticationOptions()), {}, testRequest);
    authenticator.setCounter(passkey.id, 0); // the next assertion says 1, after 2
    const clone = await authErrorOf(auth.signInWithPasskey(authenticator.authenticate(await auth.passkeyAuthenticationOptions()), {}, testRequest));
    expect(clone.code).toBe('VALIDATION');
    expect((await database.current.passkeys.findOne({ _id: passkey.id }))?.counter).toBe(2);

    const counterless = await withPasskey({ counterStep: 0 });
    for (let i = 0; i < 2; i++) {
      const options = await auth.passkeyAuthenticationOptions();
      const result = await auth.signInWithPasskey(counterless.authenticator.authenticate(options), {}, testRequest);
      expect(result.user.id).toBe(counterless.member.user.id);
    }
  });

  it('lets exactly one of two cloned assertions with the same counter sign in when they arrive at once', async () => {
    for (const counterStep of [1, 7]) {
      const { member, authenticator, passkey } = await withPasskey({ counterStep });
      for (let round = 0; round < 5; round++) {
        const stored = (await database.current.passkeys.findOne({ _id: passkey.id }))?.counter ?? 0;
        // The clone: same key, same counter, each assertion for its own challenge.
        const first = authenticator.authenticate(await anonymousOptions());
        authenticator.setCounter(passkey.id, stored);
        const second = authenticator.authenticate(await anonymousOptions());
        const results = await Promise.allSettled([
          auth.signInWithPasskey(first, {}, testRequest),
          auth.signInWithPasskey(second, {}, testRequest),
        ]);
        const signedIn = results.filter((result) => result.status === 'fulfilled');
        expect(signedIn, `round ${round}, step ${counterStep}`).toHaveLength(1);
        const refused = results.find((result) => result.status === 'rejected');
        expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: 'VALIDATION' });
        expect((await database.current.passkeys.findOne({ _id: passkey.id }))?.counter).toBe(
          stored + counterStep,
        );
      }
      expect(await database.current.sessions.countDocuments({ user_id: member.user.id })).toBe(
        1 + 5,
      );
    }
  });

  it('never moves the counter back when a lower counter arrives at the same time as a higher one', async () => {
    const { authenticator, passkey } = await withPasskey();
    for (let round = 0; round < 3; round++) {
      const stored = (await database.current.passkeys.findOne({ _id: passkey.id }))?.counter ?? 0;
      const options = [await anonymousOptions(), await anonymousOptions()];
      const low = authenticator.authenticate(options[0]!); // stored + 1
      const high = authenticator.authenticate(options[1]!); // stored + 2
      await Promise.allSettled([
        auth.signInWithPasskey(high, {}, testRequest),
        auth.signInWithPasskey(low, {}, testRequest),
      ]);
      expect((await database.current.passkeys.findOne({ _id: passkey.id }))?.counter).toBe(
        stored + 2,
      );
    }
  });

  it('refuses a forged signature, an unknown credential and a deactivated account', async () => {
    const { member, authenticator } = await withPasskey();
    const response = authenticator.authenticate(await auth.passkeyAuthenticationOptions());
    const forged = { ...response, response: { ...response.response, signature: Buffer.alloc(70, 1).toString('base64url') } };
    expect((await authErrorOf(auth.signInWithPasskey(forged, {}, testRequest))).code).toBe('VALIDATION');

    const stranger = createSoftAuthenticator({ origin: SITE });
    stranger.register(await auth.passkeyRegistrationOptions(member.session, testRequest));
    const unknown = stranger.authenticate(await auth.passkeyAuthenticationOptions());
    expect((await authErrorOf(auth.signInWithPasskey(unknown, {}, testRequest))).code).toBe('VALIDATION');

    await database.current.users.updateOne({ _id: member.user.id }, { $set: { active: false } });
    const inactive = authenticator.authenticate(await auth.passkeyAuthenticationOptions());
    expect((await authErrorOf(auth.signInWithPasskey(inactive, {}, testRequest))).code).toBe('INACTIVE');
  });
});

describe('stored challenges are bounded', () => {
  const from = (ip: string): RequestInfo => ({ ...testRequest, ip });

  it('usernameless: per client address (IPv6 by /64) within a challenge’s lifetime, then 429 with a wait', async () => {
    const limit = auth.settings.throttle.passkeyChallengesPerWindow;
    expect(limit).toBe(30);
    const stored = () => database.current.webauthnChallenges.countDocuments({ user_id: null });
    const before = await stored();
    const ask = (i: number) =>
      auth.passkeyAuthenticationOptions(null, from(`2001:db8:7:1:${(i + 1).toString(16)}::1`));
    const outcomes: PromiseSettledResult<unknown>[] = [];
    for (let i = 0; i < limit + 10; i++) outcomes.push(...(await Promise.allSettled([ask(i)])));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(limit);
    const refusal = (
      outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult
    ).reason;
    expect(refusal).toMatchObject({ code: 'THROTTLED', scope: 'passkey' });
    expect(refusal.retryAfterSeconds).toBeGreaterThan(0);
    expect(refusal.retryAfterSeconds).toBeLessThanOrEqual(180);
    // A burst at the limit gets nothing more.
    const burst = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => ask(1000 + i)));
    expect(burst.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(await stored()).toBe(before + limit);
    // Another /64 is not affected; the same /64 is again once the challenges have expired.
    await auth.passkeyAuthenticationOptions(null, from('2001:db8:7:2::1'));
    expect(
      (await authErrorOf(auth.passkeyAuthenticationOptions(null, from('2001:db8:7:1::9')))).code,
    ).toBe('THROTTLED');
    clock.advance(3 * 60_000 + 1);
    await auth.passkeyAuthenticationOptions(null, from('2001:db8:7:1::9'));
  });

  it('signed in: per account, for re-authentication and registration alike', async () => {
    const limit = auth.settings.throttle.passkeyChallengesPerWindow;
    const member = await createSignedInUser(auth);
    for (let i = 0; i < limit / 2; i++) {
      await auth.passkeyAuthenticationOptions(member.session, from(`198.51.100.${i}`));
      await auth.passkeyRegistrationOptions(member.session, from(`198.51.100.${i}`));
    }
    expect(
      (await authErrorOf(auth.passkeyAuthenticationOptions(member.session, testRequest))).code,
    ).toBe('THROTTLED');
    expect(
      (await authErrorOf(auth.passkeyRegistrationOptions(member.session, testRequest))).code,
    ).toBe('THROTTLED');
    expect(
      await database.current.webauthnChallenges.countDocuments({ user_id: member.user.id }),
    ).toBe(limit);
    // Somebody else is not affected.
    const other = await createSignedInUser(auth);
    await auth.passkeyAuthenticationOptions(other.session, testRequest);
  });
});

describe('re-authentication and management', () => {
  it('makes a stale session fresh again, with the user’s own passkey only', async () => {
    const { member, authenticator } = await withPasskey();
    const someone = await withPasskey();
    await makeSessionStale(auth, member.session.id);
    const options = await auth.passkeyAuthenticationOptions(member.session);
    expect(options.allowCredentials?.map((key) => key.id)).toEqual(authenticator.credentialIds());
    const foreign = someone.authenticator.authenticate(options, { credentialId: someone.passkey.id });
    expect((await authErrorOf(auth.reauthenticateWithPasskey(member.session, foreign, testRequest))).code).toBe('VALIDATION');

    const again = await auth.passkeyAuthenticationOptions(member.session);
    const renewed = await auth.reauthenticateWithPasskey(member.session, authenticator.authenticate(again), testRequest);
    expect(auth.isFresh(renewed.session)).toBe(true);
    expect(renewed.session.amr).toEqual(['passkey']);
    expect((await auth.loadUser(renewed.token, testRequest)).session?.authenticatedAt).toEqual(clock.now());
    // A new token: the old one is void.
    expect((await auth.loadUser(member.token, testRequest)).user.isAuthenticated).toBe(false);
  });

  it('renames and removes only the user’s own passkeys, with a fresh session', async () => {
    const { member, authenticator, passkey } = await withPasskey();
    const other: SignedInUser = await createSignedInUser(auth);
    expect((await authErrorOf(auth.renamePasskey(other.session, passkey.id, 'Mine', testRequest))).code).toBe('NOT_FOUND');
    expect((await authErrorOf(auth.removePasskey(other.session, passkey.id, testRequest))).code).toBe('NOT_FOUND');
    expect((await authErrorOf(auth.renamePasskey(member.session, passkey.id, ' ', testRequest))).fieldErrors.name).toHaveLength(1);
    expect((await auth.renamePasskey(member.session, passkey.id, 'Phone', testRequest)).name).toBe('Phone');

    await makeSessionStale(auth, member.session.id);
    expect((await authErrorOf(auth.removePasskey(member.session, passkey.id, testRequest))).code).toBe('NEEDS_REFRESH');
    const { session } = await auth.confirmLogin(member.session, member.password, testRequest);
    await auth.removePasskey(session, passkey.id, testRequest);
    expect(await auth.listPasskeys(session)).toEqual([]);
    expect((await auth.listEvents(member.user.id, 1))[0]).toMatchObject({ type: 'passkey_removed', details: { name: 'Phone' } });
    // A removed passkey signs nobody in.
    const options = await auth.passkeyAuthenticationOptions();
    expect((await authErrorOf(auth.signInWithPasskey(authenticator.authenticate(options), {}, testRequest))).code).toBe('VALIDATION');
  });
});
