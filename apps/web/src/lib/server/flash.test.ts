import { beforeEach, describe, expect, it } from 'vitest';
import { FLASH_COOKIE, setFlash, takeFlash } from './flash.ts';
import { signValue } from './signed-cookie.ts';
import { jar, useTestKey } from './test-cookies.ts';

const http = new URL('http://localhost/login');
const https = new URL('https://example.com/login');

beforeEach(() => useTestKey());

describe('flash cookie', () => {
  it('round-trips a message once, in a signed HttpOnly cookie', () => {
    const cookies = jar();
    setFlash(cookies, http, { type: 'success', message: 'Welcome back!' });
    const stored = cookies.store.get(FLASH_COOKIE);
    expect(stored?.options).toMatchObject({
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: false,
      maxAge: 60,
    });
    expect(stored?.value).not.toContain('Welcome');
    expect(takeFlash(cookies, http)).toEqual({ type: 'success', message: 'Welcome back!' });
    expect(takeFlash(cookies, http)).toBeNull();
  });

  it('is __Host-flash and Secure on https; a plain-named one is then ignored and cleared', () => {
    const cookies = jar();
    setFlash(cookies, https, { type: 'info', message: 'Hi' });
    expect(cookies.store.get(`__Host-${FLASH_COOKIE}`)?.options).toMatchObject({
      secure: true,
      path: '/',
    });
    expect(cookies.store.has(FLASH_COOKIE)).toBe(false);
    expect(takeFlash(cookies, https)).toEqual({ type: 'info', message: 'Hi' });

    // Validly signed, but under the name a sibling subdomain or http page can set.
    const planted = jar();
    setFlash(planted, http, { type: 'info', message: 'Planted' });
    expect(takeFlash(planted, https)).toBeNull();
    expect(planted.store.size).toBe(0);
  });

  it('ignores and clears a forged, tampered or re-purposed cookie', () => {
    const message = {
      type: 'error',
      message: 'Call +1 555 0100 now',
      expiresAt: Date.now() + 60_000,
    };
    const honest = jar();
    setFlash(honest, http, { type: 'info', message: 'Hi' });
    const [payload, tag] = honest.store.get(FLASH_COOKIE)!.value.split('.');
    const forged = Buffer.from(JSON.stringify(message)).toString('base64url');
    for (const value of [
      JSON.stringify(message), // the old, unsigned format
      `${forged}.${tag}`, // another payload under a real signature
      `${payload}.${tag}x`,
      `${payload}`,
      `${payload}.${tag}.${tag}`,
      signValue('pending_form', message)!, // signed for the other cookie
    ]) {
      const cookies = jar();
      cookies.set(FLASH_COOKIE, value, { path: '/' });
      expect(takeFlash(cookies, http), value).toBeNull();
      expect(cookies.store.size).toBe(0);
    }
    // Signed with another key (another site, or before a key change).
    useTestKey();
    expect(takeFlash(honest, http)).toBeNull();
  });

  it('refuses an expired message', () => {
    const cookies = jar();
    const value = signValue('flash', { type: 'info', message: 'Old', expiresAt: Date.now() - 1 });
    cookies.set(FLASH_COOKIE, value!, { path: '/' });
    expect(takeFlash(cookies, http)).toBeNull();
  });

  it('keeps a known scope', () => {
    const cookies = jar();
    setFlash(cookies, http, { type: 'success', message: 'Done', scope: 'sessions' });
    expect(takeFlash(cookies, http)).toEqual({
      type: 'success',
      message: 'Done',
      scope: 'sessions',
    });
  });
});
