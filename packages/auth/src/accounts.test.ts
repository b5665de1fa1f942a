// Registration (validation, duplicates, concurrency) and sign-in (messages,
// dummy-hash timing defence, inactive accounts, rehash, throttling).
import { beforeAll, describe, expect, it } from 'vitest';
import { Argon2id } from 'oslo/password';
import { createAuth } from './auth.ts';
import { getDummyHash, needsRehash } from './passwords.ts';
import { failuresOnRecord } from './throttle.ts';
import { sha256hex } from './tokens.ts';
import { AuthError, isAuthError } from './errors.ts';
import { authErrorOf, useTestAuth } from './test-harness.ts';
import { strongTestPassword, testRequest } from './testing.ts';

const { database, clock, auth } = useTestAuth({
  throttle: {
    accountFreeFailures: 3,
    addressFreeFailures: 1000,
    baseLockMs: 30_000,
    maxLockMs: 120_000,
  },
});

describe('registerUser', () => {
  it('creates a user, normalising the username and email keys (NFKC, lower case)', async () => {
    const user = await auth.registerUser(
      { username: 'Ｊｏｈｎ_Doe', email: ' John.Doe@Example.COM ', password: strongTestPassword() },
      testRequest,
    );
    expect(user).toMatchObject({
      username: 'John_Doe',
      email: 'John.Doe@Example.COM',
      role: 'user',
      active: true,
    });
    expect(user).not.toHaveProperty('password_hash');
    const doc = await database.current.users.findOne({ _id: user.id });
    expect(doc?.username_key).toBe('john_doe');
    expect(doc?.email_key).toBe('john.doe@example.com');
    expect(doc?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('reports every invalid field at once, with clear messages', async () => {
    const error = await authErrorOf(
      auth.registerUser({ username: 'a!', email: 'not-an-email', password: 'short' }, testRequest),
    );
    expect(error.code).toBe('VALIDATION');
    expect(error.status).toBe(400);
    expect(Object.keys(error.fieldErrors).sort()).toEqual(['email', 'password', 'username']);
    expect(error.fieldErrors.email).toEqual(['Enter a valid email address.']);
    expect(error.fieldErrors.password).toEqual(['Use at least 8 characters.']);
  });

  it('checks username length and characters', async () => {
    const cases = [
      'ab',
      'x'.repeat(33),
      'has space',
      'at@sign',
      '.leadingdot',
      'trailing-',
      '<script>',
    ];
    for (const username of cases) {
      const error = await authErrorOf(
        auth.registerUser(
          { username, email: 'ok@example.test', password: strongTestPassword() },
          testRequest,
        ),
      );
      expect(Object.keys(error.fieldErrors), username).toEqual(['username']);
    }
  });

  it('refuses passwords over 256 characters and common or guessable ones', async () => {
    const long = await authErrorOf(
      auth.registerUser(
        { username: 'longpw', email: 'longpw@example.test', password: 'a1-'.repeat(90) },
        testRequest,
      ),
    );
    expect(long.fieldErrors.password).toEqual(['Use at most 256 characters.']);
    for (const password of [
      'password123',
      'P@ssw0rd1234',
      'qwertyuiop',
      '12345678',
      'aaaaaaaaaaaa',
      'iloveyou2',
    ]) {
      const error = await authErrorOf(
        auth.registerUser(
          { username: 'commonpw', email: 'commonpw@example.test', password },
          testRequest,
        ),
      );
      expect(error.fieldErrors.password?.[0], password).toMatch(/too easy to guess/);
    }
    // Built from the user's own name.
    const own = await authErrorOf(
      auth.registerUser(
        { username: 'margaretha', email: 'mh@example.test', password: 'margaretha2024' },
        testRequest,
      ),
    );
    expect(own.fieldErrors.password?.[0]).toMatch(/too easy to guess/);
    // No composition rules: a long phrase of plain words is fine.
    await expect(
      auth.registerUser(
        {
          username: 'phrase',
          email: 'phrase@example.test',
          password: 'violin tundra pebble orbit',
        },
        testRequest,
      ),
    ).resolves.toMatchObject({ username: 'phrase' });
  });

  it('reports a taken username or email as a field error, whatever the case', async () => {
    await auth.registerUser(
      { username: 'Taken', email: 'taken@example.test', password: strongTestPassword() },
      testRequest,
    );
    const name = await authErrorOf(
      auth.registerUser(
        { username: 'TAKEN', email: 'other@example.test', password: strongTestPassword() },
        testRequest,
      ),
    );
    expect(name.code).toBe('VALIDATION');
    expect(name.fieldErrors).toEqual({ username: ['This username is already taken.'] });
    const email = await authErrorOf(
      auth.registerUser(
        { username: 'other', email: 'Taken@Example.test', password: strongTestPassword() },
        testRequest,
      ),
    );
    expect(email.fieldErrors).toEqual({
      email: ['An account with this email address already exists.'],
    });
  });

  it('gives exactly one account to 20 concurrent registrations of one username', async () => {
    const password = strongTestPassword();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        auth.registerUser(
          { username: 'racer', email: `racer${i}@example.test`, password },
          testRequest,
        ),
      ),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result) => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const result of lost) {
      expect(isAuthError(result.reason, 'VALIDATION')).toBe(true);
      expect((result.reason as AuthError).fieldErrors.username).toEqual([
        'This username is already taken.',
      ]);
    }
    expect(await database.current.users.countDocuments({ username_key: 'racer' })).toBe(1);
  });

  it('lets trusted callers choose the role and active state', async () => {
    const admin = await auth.registerUser(
      { username: 'boss', email: 'boss@example.test', password: strongTestPassword() },
      testRequest,
      { role: 'admin', active: false },
    );
    expect(admin).toMatchObject({ role: 'admin', active: false });
  });
});

describe('authenticate', () => {
  const password = 'amber-cobalt-meadow-42';
  let userId = '';

  beforeAll(async () => {
    userId = (
      await auth.registerUser(
        { username: 'Alice', email: 'alice@example.test', password },
        testRequest,
      )
    ).id;
  });

  it('accepts the username (any case) or the email', async () => {
    expect((await auth.authenticate('alice', password, testRequest)).id).toBe(userId);
    expect((await auth.authenticate('  ALICE ', password, testRequest)).id).toBe(userId);
    expect((await auth.authenticate('Alice@Example.test', password, testRequest)).id).toBe(userId);
  });

  it('answers the same for an unknown user and a wrong password', async () => {
    const wrong = await authErrorOf(
      auth.authenticate('alice', 'not-the-password', { ...testRequest, ip: '198.51.100.1' }),
    );
    const unknown = await authErrorOf(
      auth.authenticate('nobody', password, { ...testRequest, ip: '198.51.100.1' }),
    );
    for (const error of [wrong, unknown]) {
      expect(error.code).toBe('INVALID_CREDENTIALS');
      expect(error.message).toBe('Invalid username or password.');
      expect(error.status).toBe(401);
      expect(error.fieldErrors).toEqual({});
    }
    await auth.authenticate('alice', password, testRequest); // resets alice's counter
  });

  it('spends the same Argon2 work on an unknown user as on a wrong password', async () => {
    // The dummy hash has today's parameters, so verifying against it costs the same.
    expect(needsRehash(await getDummyHash())).toBe(false);
    const time = async (login: string) => {
      const start = performance.now();
      await authErrorOf(auth.authenticate(login, 'wrong-password-here', testRequest));
      return performance.now() - start;
    };
    await time('nobody-warmup');
    // Interleaved, so both see the same machine load; the fastest of three each.
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await time('alice'));
      unknown.push(await time(`nobody${i}`));
    }
    // Without the dummy hash an unknown user would answer in a fraction of the time.
    expect(Math.min(...unknown)).toBeGreaterThan(Math.min(...known) * 0.5);
    // The third wrong password locked alice's account (3 free failures).
    clock.advance(30_000);
    await auth.authenticate('alice', password, testRequest);
  });

  it('refuses an inactive user only after a correct password', async () => {
    await auth.registerUser(
      { username: 'sleeper', email: 'sleeper@example.test', password },
      testRequest,
      {
        active: false,
      },
    );
    const wrong = await authErrorOf(auth.authenticate('sleeper', 'not-the-password', testRequest));
    expect(wrong.code).toBe('INVALID_CREDENTIALS');
    // Without the password, a deactivated account reads like a wrong password (or no account at all).
    const nobody = await authErrorOf(auth.authenticate('no-such-sleeper', 'not-the-password', testRequest));
    expect(wrong.message).toBe(nobody.message);
    expect(wrong.message).not.toMatch(/deactivated|administrator/i);
    const right = await authErrorOf(auth.authenticate('sleeper', password, testRequest));
    expect(right.code).toBe('INACTIVE');
    expect(right.status).toBe(403);
    // With it, the owner learns why and whom to ask.
    expect(right.message).toBe(
      'This account has been deactivated. Contact an administrator of this site to have it reactivated.',
    );
  });

  it('rehashes on sign-in when the stored hash has older parameters', async () => {
    const weakHash = await new Argon2id({ memorySize: 8_192, iterations: 1 }).hash(password);
    const user = await auth.registerUser(
      { username: 'legacy', email: 'legacy@example.test', password },
      testRequest,
    );
    await database.current.users.updateOne({ _id: user.id }, { $set: { password_hash: weakHash } });
    await auth.authenticate('legacy', password, testRequest);
    const doc = await database.current.users.findOne({ _id: user.id });
    expect(doc?.password_hash).not.toBe(weakHash);
    expect(doc?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await auth.authenticate('legacy', password, testRequest); // still signs in
  });

  it('does not hash absurdly long passwords', async () => {
    const error = await authErrorOf(auth.authenticate('alice', 'x'.repeat(100_000), testRequest));
    expect(error.code).toBe('INVALID_CREDENTIALS');
    await auth.authenticate('alice', password, testRequest);
  });
});

describe('throttling', () => {
  it('locks an account after repeated failures, the same way for unknown and known users', async () => {
    await auth.registerUser(
      { username: 'target', email: 'target@example.test', password: 'amber-cobalt-meadow-42' },
      testRequest,
    );
    const messages: Record<string, string[]> = { target: [], ghost: [] };
    for (const login of ['target', 'ghost']) {
      // 3 free failures; the third starts a 30 s lock.
      for (let i = 0; i < 3; i++) {
        const error = await authErrorOf(auth.authenticate(login, 'wrong-guess', testRequest));
        messages[login]?.push(`${error.code}: ${error.message}`);
      }
      const locked = await authErrorOf(auth.authenticate(login, 'wrong-guess', testRequest));
      messages[login]?.push(`${locked.code}: ${locked.message}`);
      expect(locked.code).toBe('THROTTLED');
      expect(locked.status).toBe(429);
      expect(locked.retryAfterSeconds).toBe(30);
    }
    // Nothing tells an existing account from a missing one.
    expect(messages.target).toEqual(messages.ghost);

    // Even the right password waits for the lock (from a client without this account's device cookie).
    const locked = await authErrorOf(
      auth.authenticate('target', 'amber-cobalt-meadow-42', testRequest),
    );
    expect(locked.code).toBe('THROTTLED');
    expect(locked.message).toBe(
      'Too many failed sign-in attempts for this account. Try again in 30 seconds.',
    );
    // What is throttled, without the wait: for a page that counts the wait down itself.
    expect(locked.waitReason).toBe('Too many failed sign-in attempts for this account.');

    // After the lock, one more try; a failure doubles the lock.
    clock.advance(30_000);
    expect((await authErrorOf(auth.authenticate('target', 'wrong-guess', testRequest))).code).toBe(
      'INVALID_CREDENTIALS',
    );
    expect(
      (await authErrorOf(auth.authenticate('target', 'wrong-guess', testRequest)))
        .retryAfterSeconds,
    ).toBe(60);

    // A correct password after the lock signs in and resets the account's counter.
    clock.advance(60_000);
    await auth.authenticate('target', 'amber-cobalt-meadow-42', testRequest);
    for (let i = 0; i < 3; i++) {
      expect(
        (await authErrorOf(auth.authenticate('target', 'wrong-guess', testRequest))).code,
      ).toBe('INVALID_CREDENTIALS');
    }
    // Three failures from zero: the first lock again (30 s), not a doubled one.
    const target = await database.current.users.findOne({ username_key: 'target' });
    const key = `account:${await sha256hex(`user:${target?._id}`)}`;
    expect(await failuresOnRecord(database.current, key, clock.now())).toBe(3);
    const lockedAgain = await authErrorOf(
      auth.authenticate('target', 'amber-cobalt-meadow-42', testRequest),
    );
    expect(lockedAgain.retryAfterSeconds).toBe(30);
  });

  it('caps the lock and forgets failures after a quiet period', async () => {
    for (let i = 0; i < 3; i++)
      await authErrorOf(auth.authenticate('capped', 'wrong-guess', testRequest));
    for (let round = 0; round < 4; round++) {
      const error = await authErrorOf(auth.authenticate('capped', 'wrong-guess', testRequest));
      expect(error.code).toBe('THROTTLED');
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(120);
      clock.advance((error.retryAfterSeconds ?? 0) * 1000);
      await authErrorOf(auth.authenticate('capped', 'wrong-guess', testRequest));
    }
    clock.advance(2 * 60 * 60_000);
    expect((await authErrorOf(auth.authenticate('capped', 'wrong-guess', testRequest))).code).toBe(
      'INVALID_CREDENTIALS',
    );
    expect(
      await failuresOnRecord(
        database.current,
        `account:${await sha256hex('name:capped')}`,
        clock.now(),
      ),
    ).toBe(1);
  });

  it('throttles a client address across accounts', async () => {
    const strict = createAuth({
      database: database.current,
      now: clock.now,
      throttle: { accountFreeFailures: 50, addressFreeFailures: 3, baseLockMs: 10_000 },
    });
    const request = { ...testRequest, ip: '192.0.2.55' };
    for (let i = 0; i < 3; i++) {
      expect(
        (await authErrorOf(strict.authenticate(`spray${i}`, 'wrong-guess', request))).code,
      ).toBe('INVALID_CREDENTIALS');
    }
    const error = await authErrorOf(strict.authenticate('spray-next', 'wrong-guess', request));
    expect(error.code).toBe('THROTTLED');
    expect(error.retryAfterSeconds).toBe(10);
    // Another address is not affected.
    const other = await authErrorOf(
      strict.authenticate('spray-next', 'wrong-guess', { ...testRequest, ip: '192.0.2.56' }),
    );
    expect(other.code).toBe('INVALID_CREDENTIALS');
  });

  it('lets no more than the free attempts through in a parallel burst', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        auth.authenticate('burst', 'wrong-guess', { ...testRequest, ip: '192.0.2.99' }),
      ),
    );
    const codes = results.map((result) =>
      result.status === 'rejected' ? (result.reason as AuthError).code : 'OK',
    );
    // 3 free attempts (the third starts the lock), no more.
    expect(codes.filter((code) => code === 'INVALID_CREDENTIALS')).toHaveLength(3);
    expect(codes.filter((code) => code === 'THROTTLED')).toHaveLength(9);
  });
});
