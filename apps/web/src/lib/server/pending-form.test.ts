import type { Cookies } from '@sveltejs/kit';
import { describe, expect, it } from 'vitest';
import {
  keepPendingForm,
  PENDING_FORM_COOKIE,
  readPendingForm,
  takePendingForm,
} from './pending-form.ts';

/** The part of SvelteKit's cookie jar the module uses, kept in a map. */
function jar(): Cookies & { store: Map<string, { value: string; options: unknown }> } {
  const store = new Map<string, { value: string; options: unknown }>();
  return {
    store,
    get: (name: string) => store.get(name)?.value,
    set: (name: string, value: string, options: unknown) =>
      void store.set(name, { value, options }),
    delete: (name: string) => void store.delete(name),
  } as unknown as Cookies & { store: typeof store };
}

const url = new URL('https://example.com/account?/email');

describe('pending form cookie', () => {
  it('gives the typed values back once, to the same user', () => {
    const cookies = jar();
    keepPendingForm({ cookies, url }, 'user-1', { action: 'email', values: { email: 'a@b.test' } });
    expect(cookies.store.get(PENDING_FORM_COOKIE)?.options).toMatchObject({
      path: '/account',
      httpOnly: true,
      sameSite: 'lax',
      secure: true,
    });
    expect(takePendingForm(cookies, 'user-1')).toEqual({
      action: 'email',
      values: { email: 'a@b.test' },
    });
    expect(takePendingForm(cookies, 'user-1')).toBeNull();
  });

  it('gives nothing to another user, and clears the cookie anyway', () => {
    const cookies = jar();
    keepPendingForm({ cookies, url }, 'user-1', { action: 'email', values: { email: 'a@b.test' } });
    expect(takePendingForm(cookies, 'user-2')).toBeNull();
    expect(cookies.store.has(PENDING_FORM_COOKIE)).toBe(false);
  });

  it('ignores a tampered cookie and values that are not short strings', () => {
    const cookies = jar();
    cookies.set(PENDING_FORM_COOKIE, '{not json', { path: '/account' });
    expect(takePendingForm(cookies, 'user-1')).toBeNull();
    const long = 'x'.repeat(1000);
    cookies.set(
      PENDING_FORM_COOKIE,
      JSON.stringify({ userId: 'user-1', action: 'email', values: { email: long, n: 5 } }),
      { path: '/account' },
    );
    expect(takePendingForm(cookies, 'user-1')).toEqual({ action: 'email', values: {} });
  });

  it('carries the messages of a refused completion, and can be read without clearing it', () => {
    const cookies = jar();
    keepPendingForm({ cookies, url }, 'user-1', {
      action: 'email',
      values: { email: 'a@b.test' },
      errors: { email: ['This is already your email address.'] },
    });
    const expected = {
      action: 'email',
      values: { email: 'a@b.test' },
      errors: { email: ['This is already your email address.'] },
    };
    expect(readPendingForm(cookies, 'user-1')).toEqual(expected);
    expect(takePendingForm(cookies, 'user-1')).toEqual(expected);
    expect(readPendingForm(cookies, 'user-1')).toBeNull();
  });
});
