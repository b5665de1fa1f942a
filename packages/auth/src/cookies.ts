// The session cookie (set and cleared) and the request loader's header parsing.
import { parseCookie, stringifySetCookie } from 'cookie';
import type { SessionCookie } from './types.ts';

/**
 * With `expires`, a persistent cookie (Expires and Max-Age); without, a
 * browser-session cookie that the browser drops when it closes.
 */
export function makeSessionCookie(
  name: string,
  value: string,
  options: { secure: boolean; expires?: Date; now: Date },
): SessionCookie {
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

/** A cookie that makes the browser forget the session cookie. */
export function makeBlankCookie(name: string, secure: boolean): SessionCookie {
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
 * The token of an `Authorization: Bearer <token>` header value; null otherwise.
 * Not Lucia's readBearerToken: the scheme is case-insensitive (RFC 9110) and
 * extra spaces are tolerated.
 */
export function readBearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer +(\S+) *$/i.exec(header.trim());
  return match?.[1] ?? null;
}
