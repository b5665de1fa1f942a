import { describe, expect, it } from 'vitest';
import {
  decodeFlash,
  encodeFlash,
  FLASH_COOKIE,
  flashAtTop,
  setFlash,
  takeFlash,
  type FlashCookies,
} from './flash.ts';

function jar(): FlashCookies & { store: Map<string, { value: string; options: unknown }> } {
  const store = new Map<string, { value: string; options: unknown }>();
  return {
    store,
    get: (name) => store.get(name)?.value,
    set: (name, value, options) => void store.set(name, { value, options }),
    delete: (name) => void store.delete(name),
  };
}

describe('flash cookie', () => {
  it('round-trips a message once', () => {
    const cookies = jar();
    setFlash(cookies, new URL('http://localhost/login'), {
      type: 'success',
      message: 'Welcome back!',
    });
    expect(cookies.store.get(FLASH_COOKIE)?.options).toMatchObject({
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: false,
    });
    expect(takeFlash(cookies)).toEqual({ type: 'success', message: 'Welcome back!' });
    expect(takeFlash(cookies)).toBeNull();
  });

  it('marks the cookie secure on https', () => {
    const cookies = jar();
    setFlash(cookies, new URL('https://example.com/'), { type: 'info', message: 'Hi' });
    expect(cookies.store.get(FLASH_COOKIE)?.options).toMatchObject({ secure: true });
  });

  it('ignores malformed or tampered values', () => {
    expect(decodeFlash(undefined)).toBeNull();
    expect(decodeFlash('not json')).toBeNull();
    expect(decodeFlash('null')).toBeNull();
    expect(decodeFlash(JSON.stringify({ type: 'html', message: 'x' }))).toBeNull();
    expect(decodeFlash(JSON.stringify({ type: 'info', message: '' }))).toBeNull();
    expect(decodeFlash(JSON.stringify({ type: 'info', message: 'x'.repeat(501) }))).toBeNull();
    expect(decodeFlash(JSON.stringify({ type: 'info', message: 42 }))).toBeNull();
  });

  it('clears a tampered cookie too', () => {
    const cookies = jar();
    cookies.set(FLASH_COOKIE, '{bad', {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: false,
      maxAge: 1,
    });
    expect(takeFlash(cookies)).toBeNull();
    expect(cookies.get(FLASH_COOKIE)).toBeUndefined();
  });

  it('keeps a known scope and drops an unknown one', () => {
    const scoped = { type: 'success', message: 'Done', scope: 'sessions' } as const;
    expect(decodeFlash(encodeFlash(scoped))).toEqual(scoped);
    expect(decodeFlash(JSON.stringify({ type: 'info', message: 'x', scope: 'nav' }))).toEqual({
      type: 'info',
      message: 'x',
    });
    expect(decodeFlash(JSON.stringify({ type: 'info', message: 'x', scope: 1 }))).toEqual({
      type: 'info',
      message: 'x',
    });
  });

  it('shows a scoped message in its place, and at the top anywhere else', () => {
    const scoped = { type: 'success', message: 'Done', scope: 'sessions' } as const;
    expect(flashAtTop(scoped, '/account')).toBe(false);
    expect(flashAtTop(scoped, '/dashboard')).toBe(true);
    expect(flashAtTop(scoped, null)).toBe(true);
    expect(flashAtTop({ type: 'info', message: 'Hi' }, '/account')).toBe(true);
  });

  it('encodes only type, message and scope', () => {
    const extra = { type: 'warning', message: 'Careful', html: '<b>' } as unknown as Parameters<
      typeof encodeFlash
    >[0];
    expect(JSON.parse(encodeFlash(extra))).toEqual({ type: 'warning', message: 'Careful' });
  });
});
