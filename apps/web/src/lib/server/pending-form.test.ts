import { beforeEach, describe, expect, it } from 'vitest';
import {
  keepPendingForm,
  PENDING_FORM_COOKIE,
  readPendingForm,
  takePendingForm,
} from './pending-form.ts';
import { signValue } from './signed-cookie.ts';
import { jar, useTestKey } from './test-cookies.ts';

const http = new URL('http://localhost/account?/email');
const https = new URL('https://example.com/account?/email');
const owner = { userId: 'user-1', sessionId: 'session-hash-1' };
const email = { action: 'email', values: { email: 'a@b.test' } };

beforeEach(() => useTestKey());

describe('pending form cookie', () => {
  it('gives the typed values back once, to the same session', () => {
    const cookies = jar();
    keepPendingForm({ cookies, url: http }, owner, email);
    const stored = cookies.store.get(PENDING_FORM_COOKIE);
    expect(stored?.options).toMatchObject({
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: false,
      maxAge: 900,
    });
    // Signed, and the session's id is not in it.
    expect(Buffer.from(stored!.value.split('.')[0]!, 'base64url').toString()).not.toContain(
      owner.sessionId,
    );
    expect(readPendingForm({ cookies, url: http }, owner)).toEqual(email);
    expect(takePendingForm({ cookies, url: http }, owner)).toEqual(email);
    expect(takePendingForm({ cookies, url: http }, owner)).toBeNull();
  });

  it('is __Host-authkit_pending_form on https; a plain-named one is then ignored and cleared', () => {
    const cookies = jar();
    keepPendingForm({ cookies, url: https }, owner, email);
    expect(cookies.store.get(`__Host-${PENDING_FORM_COOKIE}`)?.options).toMatchObject({
      secure: true,
      path: '/',
    });
    expect(takePendingForm({ cookies, url: https }, owner)).toEqual(email);

    const planted = jar();
    keepPendingForm({ cookies: planted, url: http }, owner, email);
    expect(takePendingForm({ cookies: planted, url: https }, owner)).toBeNull();
    expect(planted.store.size).toBe(0);
  });

  it('gives nothing to another session of the same user, or another user, and clears it', () => {
    for (const other of [
      { userId: 'user-1', sessionId: 'session-hash-2' },
      { userId: 'user-2', sessionId: 'session-hash-1' },
    ]) {
      const cookies = jar();
      keepPendingForm({ cookies, url: http }, owner, email);
      expect(readPendingForm({ cookies, url: http }, other)).toBeNull();
      expect(cookies.store.size).toBe(0);
    }
  });

  it('ignores and clears a planted, tampered, re-purposed or expired cookie (review finding 11)', () => {
    const honest = jar();
    keepPendingForm({ cookies: honest, url: http }, owner, email);
    const [payload, tag] = honest.store.get(PENDING_FORM_COOKIE)!.value.split('.');
    const attack = {
      userId: 'user-1',
      action: 'email',
      values: { email: 'attacker@evil.test' },
    };
    const stored = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as object;
    const swapped = Buffer.from(
      JSON.stringify({ ...stored, values: { email: 'attacker@evil.test' } }),
    ).toString('base64url');
    for (const value of [
      JSON.stringify(attack), // the review's planted cookie (the old format)
      `${swapped}.${tag}`,
      `${payload}.${tag!.slice(1)}`,
      '{not json',
      signValue('flash', { ...stored }), // a value signed for the flash cookie
      signValue('pending_form', { ...stored, expiresAt: Date.now() - 1 }),
    ]) {
      const cookies = jar();
      cookies.set(PENDING_FORM_COOKIE, value!, { path: '/' });
      expect(readPendingForm({ cookies, url: http }, owner), value!).toBeNull();
      expect(cookies.store.size).toBe(0);
    }
  });

  it('keeps only short strings', () => {
    const cookies = jar();
    keepPendingForm({ cookies, url: http }, owner, {
      action: 'passkeyRename',
      values: { name: 'x'.repeat(1000), passkeyId: 'p1' },
    });
    expect(takePendingForm({ cookies, url: http }, owner)?.values).toEqual({
      name: 'x'.repeat(320),
      passkeyId: 'p1',
    });
  });
});
