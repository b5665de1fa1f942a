// Concurrency invariants against the real database (FerretDB in the embedded
// test setup: no multi-document transactions, and `$inc` or a conditional
// update is not atomic there; only unique inserts are):
// - parallel registrations of one name or email make exactly one account;
// - a revoked session (logout, revoke, revokeOthers), whatever runs beside it,
//   never authenticates again;
// - parallel password changes: exactly one new password wins, and only the
//   winner's session survives.
// Losers get a clear 4xx, never a 5xx.
import { describe, expect, it } from 'vitest';
import {
  mutate,
  query,
  sessionIdOf,
  signUp,
  strongPassword,
  uniqueName,
  useTestApi,
  type CallHeaders,
  type CallResult,
  type BearerAccount,
} from '../test-helpers/index.ts';

// Generous throttling: here parallel sign-ins of one account are the point, not
// the throttle (whose own lease is exercised all the same).
const api = useTestApi({
  throttle: {
    accountFreeFailures: 1_000,
    addressFreeFailures: 10_000,
    baseLockMs: 1_000,
    registrationsPerHour: 10_000,
  },
});

const PARALLEL = 8;

function bearer(token: string): CallHeaders {
  return { authorization: `Bearer ${token}` };
}

/** An API client's sign-in: the token comes in the body. */
async function login(user: { username: string; password: string }): Promise<CallResult> {
  return mutate(api, 'auth.login', {
    username: user.username,
    password: user.password,
    bearer: true,
  });
}

/** Signs the user in `count` more times (one after the other: setup, not the race); the new tokens. */
async function moreSessions(user: BearerAccount, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const result = await login(user);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    tokens.push(result.body.result.data.token as string);
  }
  return tokens;
}

/**
 * Sign-ins and password checks of one account from one address, all at once,
 * are a burst: the throttle may refuse some with 429 (by design, whatever its
 * thresholds), never with a 5xx.
 */
const BURST_REFUSED = 429;

function expectNoServerError(results: CallResult[]): void {
  for (const result of results) {
    expect(result.status, JSON.stringify(result.body)).toBeLessThan(500);
  }
}

describe('parallel registrations', () => {
  it('of one username make exactly one account; the others get a username field message', async () => {
    const name = uniqueName('race');
    // Same key after NFKC + lower case: fullwidth and upper-case spellings collide too.
    const spellings = [
      name,
      name.toUpperCase(),
      name
        .normalize('NFKC')
        .replace(/[a-z]/g, (c) => String.fromCodePoint(c.codePointAt(0)! - 0x61 + 0xff41)),
    ];
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        mutate(api, 'auth.register', {
          username: spellings[i % spellings.length],
          email: `${name}_${i}@example.com`,
          password: strongPassword(),
        }),
      ),
    );
    expectNoServerError(results);
    const won = results.filter((result) => result.status === 200);
    expect(won).toHaveLength(1);
    for (const result of results.filter((r) => r.status !== 200)) {
      expect(result.status).toBe(400);
      expect(result.body.error.data.fieldErrors.username).toEqual([
        'This username is already taken.',
      ]);
    }
    expect(await api.database.users.countDocuments({ username_key: name })).toBe(1);
    const events = await api.database.authEvents.countDocuments({
      type: 'register',
      user_id: won[0]!.body.result.data.user.id,
    });
    expect(events).toBe(1);
  });

  it('of one email make exactly one account; the others get an email field message', async () => {
    const name = uniqueName('race');
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        mutate(api, 'auth.register', {
          username: `${name}_${i}`,
          email: i % 2 ? `${name}@example.com` : `${name.toUpperCase()}@EXAMPLE.com`,
          password: strongPassword(),
        }),
      ),
    );
    expectNoServerError(results);
    expect(results.filter((result) => result.status === 200)).toHaveLength(1);
    for (const result of results.filter((r) => r.status !== 200)) {
      expect(result.status).toBe(400);
      expect(result.body.error.data.fieldErrors).toEqual({
        email: ['An account with this email address already exists.'],
      });
    }
    expect(await api.database.users.countDocuments({ email_key: `${name}@example.com` })).toBe(1);
  });
});

describe('parallel sign-ins and revocations', () => {
  it('leave no revoked session able to authenticate', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await signUp(api);
      const tokens = [user.token, ...(await moreSessions(user, 9))];
      const ids = await Promise.all(tokens.map((token) => sessionIdOf(api, bearer(token))));
      const [keeper, logoutA, logoutB, revokerA, revokerB, targetA, targetB, , , lastOne] =
        tokens.map((token, i) => ({ token, id: ids[i]!, headers: bearer(token) }));

      // Sessions that exist before the revokeOthers request is sent; it must end all but its own.
      const before = tokens.filter((token) => token !== keeper!.token);
      const calls: Promise<CallResult>[] = [
        mutate(api, 'auth.logout', undefined, logoutA!.headers),
        mutate(api, 'auth.logout', undefined, logoutB!.headers),
        mutate(api, 'auth.sessions.revoke', { sessionId: targetA!.id }, revokerA!.headers),
        mutate(api, 'auth.sessions.revoke', { sessionId: targetB!.id }, revokerB!.headers),
        // The same session revoked twice at once, and revoked while it logs out.
        mutate(api, 'auth.sessions.revoke', { sessionId: targetB!.id }, lastOne!.headers),
        mutate(api, 'auth.sessions.revoke', { sessionId: logoutA!.id }, revokerB!.headers),
        mutate(api, 'auth.sessions.revokeOthers', undefined, keeper!.headers),
        // Traffic beside it: reads, and new sign-ins that may or may not be caught.
        query(api, 'auth.me', undefined, targetA!.headers),
        query(api, 'auth.sessions.list', undefined, lastOne!.headers),
        mutate(api, 'auth.reauthenticate', { password: user.password }, revokerA!.headers),
        login(user),
        login(user),
      ];
      const results = await Promise.all(calls);
      expectNoServerError(results);
      for (const result of results.slice(0, 9)) expect([200, 401, 404]).toContain(result.status);
      for (const result of results.slice(9)) {
        expect([200, 401, BURST_REFUSED]).toContain(result.status);
      }
      const [revokeOthers] = results.slice(6, 7);
      expect(revokeOthers!.status).toBe(200);

      // Every session that existed before revokeOthers is refused on the very next request.
      for (const token of before) {
        const me = await query(api, 'auth.me', undefined, bearer(token));
        expect(me.status, `round ${round}`).toBe(401);
      }
      expect((await query(api, 'auth.me', undefined, keeper!.headers)).status).toBe(200);
      const left = await api.database.sessions.find({ user_id: user.id }).toArray();
      const revokedIds = new Set(ids.filter((id) => id !== keeper!.id));
      expect(left.filter((session) => revokedIds.has(session._id))).toEqual([]);
    }
  }, 60_000);

  it('individual revocations racing one another and sign-outs all hold', async () => {
    const user = await signUp(api);
    const tokens = [user.token, ...(await moreSessions(user, 7))];
    const ids = await Promise.all(tokens.map((token) => sessionIdOf(api, bearer(token))));
    // All at once: every session revokes the next one, and every odd one signs out.
    const calls = tokens.flatMap((token, i) => {
      const next = (i + 1) % tokens.length;
      const own = [
        {
          ends: next,
          call: mutate(api, 'auth.sessions.revoke', { sessionId: ids[next] }, bearer(token)),
        },
      ];
      if (i % 2) own.push({ ends: i, call: mutate(api, 'auth.logout', undefined, bearer(token)) });
      return own;
    });
    const results = await Promise.all(calls.map(({ call }) => call));
    expectNoServerError(results);
    for (const result of results) expect([200, 401, 404]).toContain(result.status);
    const ended = new Set(
      calls.filter((_, i) => results[i]!.status === 200).map(({ ends }) => ends),
    );
    expect(ended.size).toBeGreaterThan(0);
    for (const i of ended) {
      expect((await query(api, 'auth.me', undefined, bearer(tokens[i]!))).status).toBe(401);
    }
    const left = await api.database.sessions.find({ user_id: user.id }).toArray();
    for (const i of ended) expect(left.map((session) => session._id)).not.toContain(ids[i]);
  }, 30_000);
});

describe('parallel password changes', () => {
  it('let exactly one new password win, and only the winner keeps a session', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await signUp(api);
      const tokens = [user.token, ...(await moreSessions(user, 4))];
      const newPasswords = tokens.map(() => strongPassword());
      const results = await Promise.all(
        tokens.map((token, i) =>
          mutate(
            api,
            'auth.changePassword',
            { currentPassword: user.password, newPassword: newPasswords[i] },
            bearer(token),
          ),
        ),
      );
      expectNoServerError(results);
      const winners = results.flatMap((result, i) => (result.status === 200 ? [i] : []));
      expect(winners, JSON.stringify(results.map((r) => [r.status, r.body]))).toHaveLength(1);
      const winner = winners[0]!;
      // The winner's session goes on under the new token it was given (ASVS 7.2.4).
      tokens[winner] = results[winner]!.body.result.data.token;
      for (const [i, result] of results.entries()) {
        if (i === winner) continue;
        // The password changed under it (400, field message), its session ended meanwhile
        // (401), or its password check was part of a burst (429).
        expect([400, 401, BURST_REFUSED], JSON.stringify(result.body)).toContain(result.status);
        if (result.status === 400) {
          expect(result.body.error.data.fieldErrors).toEqual({
            currentPassword: ['Your password has just been changed from another session.'],
          });
        }
      }
      expect(
        await api.database.authEvents.countDocuments({
          type: 'password_changed',
          user_id: user.id,
        }),
      ).toBe(1);

      // Exactly the winner's password signs in; the old one and the losers' do not.
      const signIn = async (password: string) =>
        (await mutate(api, 'auth.login', { username: user.username, password })).status;
      expect(await signIn(newPasswords[winner]!)).toBe(200);
      for (const [i, password] of newPasswords.entries()) {
        if (i !== winner) expect(await signIn(password), `round ${round}`).toBe(401);
      }
      expect(await signIn(user.password)).toBe(401);

      // Of the sessions from before, only the winner's is left.
      const left = await api.database.sessions.find({ user_id: user.id }).toArray();
      const winnerId = await sessionIdOf(api, bearer(tokens[winner]!));
      // The sign-in just above added one; everything else must be the winner's.
      expect(left.map((session) => session._id)).toContain(winnerId);
      expect(left).toHaveLength(2);
      for (const [i, token] of tokens.entries()) {
        const status = (await query(api, 'auth.me', undefined, bearer(token))).status;
        expect(status, `session ${i}, round ${round}`).toBe(i === winner ? 200 : 401);
      }
    }
  }, 90_000);
});
