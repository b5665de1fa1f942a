// Auth events: stored in auth_events, delivered to subscribers, never secret.
import { describe, expect, it, vi } from 'vitest';
import { useTestAuth } from './test-harness.ts';
import { createSignedInUser, makeSessionStale, testRequest } from './testing.ts';
import type { AuthEvent } from './types.ts';

const { database, clock, auth } = useTestAuth();

describe('events', () => {
  it('records who, what, when, address and user agent, and never a password or token', async () => {
    const seen: AuthEvent[] = [];
    const stop = auth.on('*', (event) => seen.push(event));
    const password = 'harbor-violet-sprocket-19';
    const me = await createSignedInUser(auth, { username: 'eve', password });
    await expect(auth.authenticate('eve', 'wrong-password-1', testRequest)).rejects.toThrow();
    await expect(auth.authenticate('ghost', 'wrong-password-2', testRequest)).rejects.toThrow();
    await makeSessionStale(auth, me.session.id);
    // A fresh-only change from a stale session (a password change would not do: its password confirms it).
    await expect(auth.requestEmailChange(me.session, 'eve.new@example.test', testRequest)).rejects.toThrow();
    await auth.logoutUser(me.token, testRequest);
    stop();

    expect(seen.map((event) => event.type)).toEqual([
      'register',
      'email_verification_sent',
      'login',
      'login_failed',
      'login_failed',
      'needs_refresh',
      'logout',
    ]);
    const login = seen[2]!;
    expect(login).toMatchObject({
      type: 'login',
      userId: me.user.id,
      ip: testRequest.ip,
      userAgent: testRequest.userAgent,
      details: { remember: false, fresh: true },
    });
    expect(login.at).toEqual(clock.now());
    expect(seen[3]).toMatchObject({ userId: me.user.id, details: { reason: 'invalid_credentials' } });
    expect(seen[4]).toMatchObject({ userId: null, details: { reason: 'invalid_credentials' } });

    const stored = await database.current.authEvents.find().toArray();
    expect(stored).toHaveLength(7);
    expect(stored.find((doc) => doc.type === 'logout')).toMatchObject({
      user_id: me.user.id,
      ip: testRequest.ip,
      user_agent: testRequest.userAgent,
    });
    const dump = JSON.stringify(stored);
    for (const secret of [password, 'wrong-password-1', 'wrong-password-2', me.token, 'argon2']) {
      expect(dump).not.toContain(secret);
    }

    const listed = await auth.listEvents(me.user.id);
    expect(listed.map((event) => event.type)).toEqual([
      'logout',
      'needs_refresh',
      'login_failed',
      'login',
      'email_verification_sent',
      'register',
    ]);
    expect(await auth.listEvents(me.user.id, 2)).toHaveLength(2);
  });

  it('keeps no typed sign-in name in the throttle state (people type passwords there)', async () => {
    await expect(auth.authenticate('my-secret-password-typed-as-name', 'x-x-x-x-x', testRequest)).rejects.toThrow();
    const dump = JSON.stringify(await database.current.throttle.find().toArray());
    expect(dump).toContain('account:');
    expect(dump).not.toContain('my-secret-password-typed-as-name');
  });

  it('delivers by type, and unsubscribes', async () => {
    const logins: AuthEvent[] = [];
    const stop = auth.on('login', (event) => logins.push(event));
    await createSignedInUser(auth);
    stop();
    await createSignedInUser(auth);
    expect(logins).toHaveLength(1);
  });

  it('a throwing listener does not break the auth flow', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const stop = auth.on('*', () => {
      throw new Error('listener bug');
    });
    const me = await createSignedInUser(auth);
    expect((await auth.loadUser(me.token, testRequest)).user.isAuthenticated).toBe(true);
    await auth.logoutUser(me.token, testRequest);
    stop();
    expect(errors).toHaveBeenCalled();
    errors.mockRestore();
  });

  it('recordEvent stores app events and drops detail keys that look secret', async () => {
    const me = await createSignedInUser(auth);
    await auth.recordEvent({
      type: 'unauthorized',
      userId: null,
      ip: '192.0.2.9',
      userAgent: 'x'.repeat(5_000),
      details: { path: '/admin', password: 'oops', sessionToken: 'oops', apiSecret: 'oops' },
    });
    const doc = await database.current.authEvents.findOne({ type: 'unauthorized' });
    expect(doc?.details).toEqual({ path: '/admin' });
    expect(doc?.user_agent).toHaveLength(256);
    expect(doc?.at).toEqual(clock.now());
    expect(me.user.id).toBeTruthy();
  });
});
