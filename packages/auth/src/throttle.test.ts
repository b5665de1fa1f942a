// Sign-in throttling: no lock from a correct password, trusted devices, one
// budget per account whichever name is typed, the hard cap, parallel bursts,
// lock events, and the registration quota.
import { describe, expect, it } from 'vitest';
import { createAuth } from './auth.ts';
import { MAX_EVENT_USER_AGENT } from './events.ts';
import { addressesFrom, authErrorOf, registeredUser, useTestAuth } from './test-harness.ts';
import { strongTestPassword } from './testing.ts';
import { failuresOnRecord } from './throttle.ts';
import { sha256hex } from './tokens.ts';

const { database, clock, auth } = useTestAuth({
  throttle: {
    accountFreeFailures: 3,
    addressFreeFailures: 20,
    deviceFreeFailures: 4,
    baseLockMs: 30_000,
  },
});

/** Each test its own address, so that the address counters of tests do not mix. */
const freshRequest = addressesFrom('198.51.100');
const newUser = (name: string) => registeredUser(auth, name);

/** The failures on record of a key (`account:<hash>`, `address:<ip>`, `device:<hash>`). */
function failures(keyId: string): Promise<number> {
  return failuresOnRecord(database.current, keyId, clock.now());
}

describe('a correct password', () => {
  it('never leaves a lock: two correct sign-ins in a row succeed at an address with over 20 failures', async () => {
    const { password } = await newUser('regular');
    const request = freshRequest();
    // 21 wrong guesses from one address, spread over names so no account locks first.
    for (let i = 0; i < 21; i++) {
      const error = await authErrorOf(
        auth.authenticate(`nobody${i % 7}-${i}`, 'wrong-guess', request),
      );
      expect(error.code).not.toBe('UNAVAILABLE');
    }
    const locked = await authErrorOf(auth.authenticate('regular', password, request));
    expect(locked.code).toBe('THROTTLED');
    expect(locked.scope).toBe('address');

    clock.advance((locked.retryAfterSeconds ?? 0) * 1000);
    await auth.authenticate('regular', password, request);
    await auth.authenticate('regular', password, request);
    // The correct passwords added no failure (and so no lock) to the address.
    expect(await failures(`address:${request.ip}`)).toBe(20);
  });

  it("resets the account failures; an address keeps other people's failures", async () => {
    const { user, password } = await newUser('resets');
    const request = freshRequest();
    for (let i = 0; i < 2; i++)
      await authErrorOf(auth.authenticate('resets', 'wrong-guess', request));
    await auth.authenticate('resets', password, request);
    expect(await failures(`address:${request.ip}`)).toBe(2);
    expect(await failures(`account:${await sha256hex(`user:${user.id}`)}`)).toBe(0);
    // Nothing left in flight either: the slots were given back.
    const inFlight = await database.current.throttle.countDocuments({ pending: 1 });
    expect(inFlight).toBe(0);
  });
});

describe('account budget', () => {
  it('is one per account whichever name is typed (username or email, any case)', async () => {
    await newUser('carol');
    const request = freshRequest();
    const names = ['carol', 'carol@example.test', 'CAROL'];
    for (const name of names)
      expect((await authErrorOf(auth.authenticate(name, 'wrong-guess', request))).code).toBe(
        'INVALID_CREDENTIALS',
      );
    // Three free failures in all, not three per name.
    const error = await authErrorOf(
      auth.authenticate('Carol@Example.test', 'wrong-guess', request),
    );
    expect(error.code).toBe('THROTTLED');
    expect(error.scope).toBe('account');
    expect(error.message).toMatch(/for this account/);
  });

  it('locks an unknown name the same way, with the same messages', async () => {
    await newUser('dora');
    const messages = async (login: string) => {
      const request = freshRequest();
      const seen: string[] = [];
      for (let i = 0; i < 4; i++)
        seen.push((await authErrorOf(auth.authenticate(login, 'wrong-guess', request))).message);
      return seen;
    };
    expect(await messages('dora')).toEqual(await messages('nobody-dora'));
  });

  it('stops untrusted sign-ins after the hard cap of failures in a row until the cap lock passes', async () => {
    const capped = createAuth({
      database: database.current,
      now: clock.now,
      throttle: {
        accountFreeFailures: 2,
        accountHardCap: 4,
        baseLockMs: 1_000,
        capLockMs: 3_600_000,
        addressFreeFailures: 1_000,
      },
    });
    const { password } = await newUser('capped');
    const request = freshRequest();
    for (let i = 0; i < 4; i++) {
      expect((await authErrorOf(capped.authenticate('capped', 'wrong-guess', request))).code).toBe(
        'INVALID_CREDENTIALS',
      );
      clock.advance(60_000);
    }
    const error = await authErrorOf(capped.authenticate('capped', password, request));
    expect(error.code).toBe('THROTTLED');
    expect(error.retryAfterSeconds).toBeGreaterThan(3_000);
    clock.advance(3_600_000);
    await capped.authenticate('capped', password, request);
  });
});

describe('parallel bursts', () => {
  it('let no more than the free attempts past Argon2', async () => {
    await newUser('burst');
    const request = freshRequest();
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => auth.authenticate('burst', 'wrong-guess', request)),
    );
    const codes = results.map((result) =>
      result.status === 'rejected' ? (result.reason as { code: string }).code : 'OK',
    );
    expect(codes.filter((code) => code === 'INVALID_CREDENTIALS')).toHaveLength(3);
    expect(codes.filter((code) => code === 'THROTTLED')).toHaveLength(9);
    // Every attempt past Argon2 leaves a login_failed event: three.
    const failures = await database.current.authEvents.countDocuments({
      type: 'login_failed',
      ip: request.ip,
    });
    expect(failures).toBe(3);
  });
});

describe('trusted devices', () => {
  it('sign in through the account and address locks that strangers earned', async () => {
    const { user, password } = await newUser('owner');
    const request = freshRequest();
    await auth.authenticate('owner', password, request);
    const { token } = await auth.trustDevice(user, request);
    // A stranger at the same address locks the account and the address.
    for (let i = 0; i < 3; i++)
      await authErrorOf(auth.authenticate('owner', 'wrong-guess', request));
    for (let i = 0; i < 20; i++)
      await authErrorOf(auth.authenticate(`stranger-${i}`, 'wrong-guess', request));
    expect((await authErrorOf(auth.authenticate('owner', password, request))).code).toBe(
      'THROTTLED',
    );

    // The owner's device is not refused, and its sign-in leaves no lock of its own.
    await auth.authenticate('owner', password, { ...request, deviceToken: token });
    const deviceFailures = { _id: { $gt: 'device:', $lt: 'device;' }, failures: { $gte: 1 } };
    expect(await database.current.throttle.countDocuments(deviceFailures)).toBe(0);
  });

  it('are throttled per device, and a tampered or moved token is ignored', async () => {
    const { user, password } = await newUser('devowner');
    const other = await newUser('devother');
    const request = freshRequest();
    const { token } = await auth.trustDevice(user, request);
    expect(token).toMatch(/^[\w-]{22}\.\d+\.[\w-]{43}$/);

    // Moved to another account: that account's stranger locks apply.
    for (let i = 0; i < 3; i++)
      await authErrorOf(auth.authenticate('devother', 'wrong-guess', request));
    expect(
      (
        await authErrorOf(
          auth.authenticate('devother', other.password, { ...request, deviceToken: token }),
        )
      ).scope,
    ).toBe('account');
    // Tampered: ignored likewise.
    for (let i = 0; i < 3; i++)
      await authErrorOf(auth.authenticate('devowner', 'wrong-guess', request));
    // A character inside the signature: the last one of base64url also carries
    // padding bits, so changing it may decode to the very same bytes.
    const at = token.length - 10;
    const tampered = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    expect(
      (
        await authErrorOf(
          auth.authenticate('devowner', password, { ...request, deviceToken: tampered }),
        )
      ).scope,
    ).toBe('account');
    const forgedExpiry = token.replace(/\.\d+\./, '.99999999999.');
    expect(
      (
        await authErrorOf(
          auth.authenticate('devowner', password, { ...request, deviceToken: forgedExpiry }),
        )
      ).scope,
    ).toBe('account');

    // A genuine token: its own budget of 4 failures, then the device locks.
    const device = { ...request, deviceToken: token };
    for (let i = 0; i < 4; i++)
      expect((await authErrorOf(auth.authenticate('devowner', 'wrong', device))).code).toBe(
        'INVALID_CREDENTIALS',
      );
    const locked = await authErrorOf(auth.authenticate('devowner', password, device));
    expect(locked.scope).toBe('device');

    // Expired: ignored (the account's stranger lock applies again).
    clock.advance(auth.settings.deviceLifetimeMs + 1_000);
    for (let i = 0; i < 3; i++)
      await authErrorOf(auth.authenticate('devowner', 'wrong-guess', request));
    expect(await authErrorOf(auth.authenticate('devowner', password, device))).toMatchObject({
      scope: 'account',
    });
  });

  it('get a cookie that is HttpOnly, SameSite=Lax, and __Host- and Secure on https', async () => {
    const { user } = await newUser('cookies');
    const plain = (await auth.trustDevice(user, freshRequest())).cookie.serialize();
    expect(plain).toMatch(
      /^authkit_device=[^;]+; Max-Age=\d+; Path=\/; Expires=.+; HttpOnly; SameSite=Lax$/,
    );
    const secure = (await auth.trustDevice(user, freshRequest({ https: true }))).cookie.serialize();
    expect(secure).toMatch(/^__Host-authkit_device=.*; Secure/);
    expect(secure).not.toMatch(/Domain=/);
    // The token comes back from either cookie name or the header.
    const token = (await auth.trustDevice(user, freshRequest())).token;
    expect(auth.deviceTokenFromHeaders({ cookie: `a=b; __Host-authkit_device=${token}` })).toBe(
      token,
    );
    expect(auth.deviceTokenFromHeaders({ cookie: `authkit_device=${token}` })).toBe(token);
    expect(auth.deviceTokenFromHeaders({ deviceToken: ` ${token} ` })).toBe(token);
    expect(auth.deviceTokenFromHeaders({ cookie: 'x=%E0%A4%A' })).toBeNull();
  });
});

describe('events', () => {
  it('records one event per lock, none per refusal, with a short user agent', async () => {
    const request = freshRequest({ userAgent: 'x'.repeat(600) });
    for (let i = 0; i < 20; i++)
      await authErrorOf(auth.authenticate(`spray-${i}`, 'wrong-guess', request));
    const before = await database.current.authEvents.countDocuments({ ip: request.ip });
    for (let i = 0; i < 30; i++)
      expect((await authErrorOf(auth.authenticate(`spray-x${i}`, 'wrong', request))).code).toBe(
        'THROTTLED',
      );
    expect(await database.current.authEvents.countDocuments({ ip: request.ip })).toBe(before);
    const locks = await database.current.authEvents
      .find({ ip: request.ip, type: 'address_locked' })
      .toArray();
    expect(locks).toHaveLength(1);
    expect(locks[0]?.details).toMatchObject({ scope: 'address', failures: 20, lockSeconds: 30 });
    expect(locks[0]?.user_agent).toHaveLength(MAX_EVENT_USER_AGENT);
  });

  it('tells the owner how many wrong passwords were tried since the last visit', async () => {
    const { user, password } = await newUser('visited');
    const request = freshRequest();
    await auth.loginUser(await auth.authenticate('visited', password, request), {}, request);
    clock.advance(1_000);
    for (let i = 0; i < 2; i++)
      await authErrorOf(auth.authenticate('visited@example.test', 'wrong-guess', freshRequest()));
    clock.advance(1_000);
    expect(await auth.failedSignInsSinceLastVisit(user.id)).toBe(2);
    await auth.loginUser(await auth.authenticate('visited', password, request), {}, request);
    clock.advance(1_000);
    expect(await auth.failedSignInsSinceLastVisit(user.id)).toBe(0);
  });

  it('expire after the retention', async () => {
    // A TTL index on `at` where the server has them; the sweep below everywhere.
    if (database.current.ttlSupported) {
      const indexes = await database.current.authEvents.indexes();
      expect(indexes.find((index) => index.name === 'at_ttl')?.expireAfterSeconds).toBe(
        90 * 86_400,
      );
    }
    const request = freshRequest();
    await authErrorOf(auth.authenticate('old-event', 'wrong', request));
    clock.advance(auth.settings.eventsRetentionMs + 1_000);
    await auth.deleteExpiredSessions();
    expect(await database.current.authEvents.countDocuments({ ip: request.ip })).toBe(0);
  });
});

describe('registration', () => {
  it('is limited per address and hour, with the wait', async () => {
    const limited = createAuth({
      database: database.current,
      now: clock.now,
      throttle: { registrationsPerHour: 2 },
    });
    const request = freshRequest();
    const register = (name: string) =>
      limited.registerUser(
        { username: name, email: `${name}@example.test`, password: strongTestPassword() },
        request,
      );
    await register('quota1');
    // A taken name counts too: it is the answer that tells who has an account.
    expect((await authErrorOf(register('quota1'))).code).toBe('VALIDATION');
    const refused = await authErrorOf(register('quota3'));
    expect(refused).toMatchObject({
      code: 'THROTTLED',
      scope: 'registration',
      retryAfterSeconds: 3600,
    });
    // Another address is not affected; the window passes.
    await limited.registerUser(
      { username: 'quota4', email: 'quota4@example.test', password: strongTestPassword() },
      freshRequest(),
    );
    clock.advance(3_600_000);
    await register('quota5');
  });
});
