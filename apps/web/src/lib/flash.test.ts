import { describe, expect, it } from 'vitest';
import {
  decodeFlash,
  encodeFlash,
  FLASH_COOKIE,
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

  it('encodes only type and message', () => {
    const extra = { type: 'warning', message: 'Careful', html: '<b>' } as unknown as Parameters<
      typeof encodeFlash
    >[0];
    expect(JSON.parse(encodeFlash(extra))).toEqual({ type: 'warning', message: 'Careful' });
  });
});
