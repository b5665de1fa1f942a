// For unit tests: the part of SvelteKit's cookie jar the site uses, kept in a
// map, and the signing key a started site has.
import type { Cookies } from '@sveltejs/kit';
import { useSignedCookies } from './signed-cookie.ts';

export type TestJar = Cookies & { store: Map<string, { value: string; options: unknown }> };

export function jar(): TestJar {
  const store = new Map<string, { value: string; options: unknown }>();
  return {
    store,
    get: (name: string) => store.get(name)?.value,
    set: (name: string, value: string, options: unknown) =>
      void store.set(name, { value, options }),
    delete: (name: string) => void store.delete(name),
  } as unknown as TestJar;
}

/** A fresh random key (as at start), plain names unless the URL is https. */
export function useTestKey(key: Uint8Array = crypto.getRandomValues(new Uint8Array(32))): void {
  useSignedCookies({ key, secureCookies: false });
}
