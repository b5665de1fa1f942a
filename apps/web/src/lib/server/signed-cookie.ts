// The site's own small cookies (flash messages, the pending form) are signed:
// HMAC-SHA256 with a key of their own (`auth.siteCookieKey()`: derived from
// AUTH_SECRET_KEY, or made once per database in development), over the
// cookie's purpose and its payload, so a cookie planted by a sibling subdomain
// or a plain-http page, or one of them used as the other, is ignored. On
// https (or with SECURE_COOKIES) they carry the `__Host-` prefix, as the
// session cookie does: the browser then takes them only from this host.
import { createHmac, timingSafeEqual } from 'node:crypto';
/**
 * The part of a cookie jar used here: SvelteKit's `event.cookies`, and the
 * auth adapter's view of it (the guard sets a flash from there).
 */
export interface CookieJar {
  get(name: string): string | undefined;
  set(
    name: string,
    value: string,
    options: { path: string; httpOnly: boolean; sameSite: 'lax'; secure: boolean; maxAge: number },
  ): void;
  delete(name: string, options: { path: string; secure?: boolean }): void;
}

export type SignedCookiePurpose = 'flash' | 'pending_form';

let settings: { key: Uint8Array; secureCookies: boolean } | null = null;

/**
 * Set once the key is known (src/lib/server/auth.ts, at start). Until then
 * (development with the database down) nothing is signed: no cookie is set and
 * none is believed.
 */
export function useSignedCookies(given: { key: Uint8Array; secureCookies: boolean }): void {
  settings = given;
}

/** The name to use on this request: `__Host-<name>` when the cookie is Secure. */
export function signedCookieName(name: string, url: URL): string {
  return isSecure(url) ? `__Host-${name}` : name;
}

export function isSecure(url: URL): boolean {
  return (settings?.secureCookies ?? false) || url.protocol === 'https:';
}

function mac(purpose: SignedCookiePurpose, payload: string): Buffer {
  if (!settings) throw new Error('signed cookies: no key yet');
  return createHmac('sha256', settings.key).update(`${purpose}.${payload}`).digest();
}

/** `<payload base64url>.<HMAC base64url>`; null while there is no key. */
export function signValue(purpose: SignedCookiePurpose, value: unknown): string | null {
  if (!settings) return null;
  const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${payload}.${mac(purpose, payload).toString('base64url')}`;
}

/** The signed value, parsed; null for a missing, unsigned, tampered or foreign one. */
export function verifyValue(purpose: SignedCookiePurpose, signed: string | undefined): unknown {
  if (!settings || !signed || signed.length > 8192) return null;
  const [payload, tag, extra] = signed.split('.');
  if (!payload || !tag || extra !== undefined) return null;
  const expected = mac(purpose, payload);
  const given = Buffer.from(tag, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

/** Sets a signed, HttpOnly, SameSite=Lax cookie on `/` (as `__Host-` requires); nothing while there is no key. */
export function setSignedCookie(
  event: { cookies: Pick<CookieJar, 'set'>; url: URL },
  purpose: SignedCookiePurpose,
  name: string,
  value: unknown,
  maxAgeSeconds: number,
): void {
  const signed = signValue(purpose, value);
  if (signed === null) return;
  event.cookies.set(signedCookieName(name, event.url), signed, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: isSecure(event.url),
    maxAge: maxAgeSeconds,
  });
}

/**
 * Reads and clears the cookie: its verified value, or null (a missing, forged
 * or tampered one is cleared all the same). On https a plain-named one is
 * never believed (it may have been planted) and is cleared too.
 */
export function takeSignedCookie(
  event: { cookies: Pick<CookieJar, 'get' | 'delete'>; url: URL },
  purpose: SignedCookiePurpose,
  name: string,
): unknown {
  const value = readSignedCookie(event, purpose, name);
  clearSignedCookie(event, name);
  return value;
}

export function readSignedCookie(
  event: { cookies: Pick<CookieJar, 'get'>; url: URL },
  purpose: SignedCookiePurpose,
  name: string,
): unknown {
  return verifyValue(purpose, event.cookies.get(signedCookieName(name, event.url)));
}

export function clearSignedCookie(
  event: { cookies: Pick<CookieJar, 'get' | 'delete'>; url: URL },
  name: string,
): void {
  for (const each of new Set([signedCookieName(name, event.url), name])) {
    if (event.cookies.get(each) !== undefined) {
      event.cookies.delete(each, {
        path: '/',
        secure: each.startsWith('__Host-') || isSecure(event.url),
      });
    }
  }
}
