// The session cookie (set and cleared) and the request loader's header parsing.
import { parseCookie, stringifySetCookie } from 'cookie';
import type { SessionCookie } from './types.ts';

/** The prefix of a Secure session cookie's name (RFC 6265bis, ASVS 5.0 3.3.3). */
export const HOST_PREFIX = '__Host-';

/**
 * True when the session cookie is `Secure`: by configuration (SECURE_COOKIES,
 * on in production), or because this request came over https.
 */
export function isSecureCookie(secureCookies: boolean, request?: { https?: boolean }): boolean {
  return secureCookies || request?.https === true;
}

/**
 * The session cookie's name. A Secure cookie is `__Host-<name>`: browsers take
 * such a cookie only with Secure, `Path=/` and no Domain, so a sibling
 * subdomain or a plain-http page of the same site cannot plant or shadow it.
 * A cookie over plain http (development) cannot carry the prefix: its plain name.
 */
export function sessionCookieName(name: string, secure: boolean): string {
  return secure ? `${HOST_PREFIX}${name}` : name;
}

/**
 * The session cookie `name` (prefixed when secure, see sessionCookieName).
 * With `expires`, a persistent cookie (Expires and Max-Age); without, a
 * browser-session cookie that the browser drops when it closes.
 */
export function makeSessionCookie(
  baseName: string,
  value: string,
  options: { secure: boolean; expires?: Date; now: Date },
): SessionCookie {
  const name = sessionCookieName(baseName, options.secure);
  // Path=/ and no Domain, as the __Host- prefix requires.
  const attributes: SessionCookie['attributes'] = { httpOnly: true, sameSite: 'lax', secure: options.secure, path: '/' };
  if (options.expires) {
    attributes.expires = options.expires;
    attributes.maxAge = Math.max(0, Math.floor((options.expires.getTime() - options.now.getTime()) / 1000));
  }
  return {
    name,
    value,
    attributes,
    serialize: () => stringifySetCookie({ name, value, ...attributes }),
  };
}

/** A cookie that makes the browser forget the session cookie (the name as it was set). */
export function makeBlankCookie(baseName: string, secure: boolean): SessionCookie {
  const name = sessionCookieName(baseName, secure);
  const attributes: SessionCookie['attributes'] = {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    expires: new Date(0),
    maxAge: 0,
  };
  return { name, value: '', attributes, serialize: () => stringifySetCookie({ name, value: '', ...attributes }) };
}

/** The named cookie's value from a Cookie header; null when absent or empty. Never throws. */
export function readCookie(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  return parseCookie(header)[name] || null;
}

/**
 * The session token from a Cookie header: when secure, only the `__Host-`
 * cookie counts (a plain-named one may have been planted by a sibling
 * subdomain or over http, which is what the prefix guards against).
 */
export function readSessionCookie(
  header: string | null | undefined,
  baseName: string,
  secure: boolean,
): string | null {
  return readCookie(header, sessionCookieName(baseName, secure));
}

/**
 * The token of an `Authorization: Bearer <token>` header value; null otherwise.
 * Not Lucia's readBearerToken: the scheme is case-insensitive (RFC 9110) and
 * extra spaces are tolerated.
 */
export function readBearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer +(\S+) *$/i.exec(header.trim());
  return match?.[1] ?? null;
}
