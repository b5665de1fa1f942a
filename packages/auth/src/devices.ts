// Trusted devices (OWASP "device cookies"): a successful sign-in earns the
// client a signed token bound to the account. Sign-ins that present a valid
// one for the account they try are throttled per device instead of by the
// account and address locks that strangers earned (see throttle.ts).
//
// The token is `<deviceId>.<expires, unix seconds>.<HMAC-SHA256>` over the user
// id, device id and expiry, so it holds no state on the server, is void for
// any other account, and cannot be extended or forged without the key (see
// keys.ts: AUTH_SECRET_KEY, or a key made once per database).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import { secureFor, type AuthCore } from './core.ts';
import type { Keys } from './keys.ts';
import type { DeviceCookie, PublicUser, RequestInfo, SessionCookie } from './types.ts';

export const DEVICE_COOKIE_NAME = 'authkit_device';
/** API clients without cookies send the token in this header. */
export const DEVICE_TOKEN_HEADER = 'x-device-token';

/** `__Host-` on https (the browser then refuses it from http or a sibling domain), like the session cookie. */
export function deviceCookieName(secure: boolean): string {
  return secure ? `__Host-${DEVICE_COOKIE_NAME}` : DEVICE_COOKIE_NAME;
}

const TOKEN_PATTERN = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export type Devices = ReturnType<typeof createDevices>;

export function createDevices(core: AuthCore, keys: Keys) {
  const { settings, now } = core;
  const secret = () => keys.key('device_cookies');

  async function mac(userId: string, deviceId: string, expires: string): Promise<string> {
    return createHmac('sha256', await secret())
      .update(`authkit-device-v1\n${userId}\n${deviceId}\n${expires}`)
      .digest('base64url');
  }

  /** A new device token and cookie for `user` (a new device id each time: rotated on every sign-in). */
  async function trustDevice(user: PublicUser, request: RequestInfo): Promise<DeviceCookie> {
    const at = now();
    const expiresAt = new Date(at.getTime() + settings.deviceLifetimeMs);
    const deviceId = randomBytes(16).toString('base64url');
    const expires = String(Math.floor(expiresAt.getTime() / 1000));
    const token = `${deviceId}.${expires}.${await mac(user.id, deviceId, expires)}`;
    return { token, cookie: deviceCookie(token, secureFor(core, request), expiresAt, at) };
  }

  /** The device id of a token that is valid for `userId`; null for anything else. Never throws for bad input. */
  async function verify(token: string | null | undefined, userId: string): Promise<string | null> {
    const match = typeof token === 'string' ? TOKEN_PATTERN.exec(token) : null;
    if (!match) return null;
    const [, deviceId = '', expires = '', given = ''] = match;
    if (Number(expires) * 1000 <= now().getTime()) return null;
    const expected = Buffer.from(await mac(userId, deviceId, expires), 'base64url');
    const presented = Buffer.from(given, 'base64url');
    return presented.length === expected.length && timingSafeEqual(presented, expected) ? deviceId : null;
  }

  return { trustDevice, verify, secret };
}

/** The device token a client sent: the header (API clients) or the cookie, `__Host-` first. */
export function deviceTokenFromHeaders(headers: { cookie?: string | null; deviceToken?: string | null }): string | null {
  const header = headers.deviceToken?.trim();
  if (header) return header.slice(0, 200);
  if (!headers.cookie) return null;
  const cookies = parseCookie(headers.cookie);
  return cookies[deviceCookieName(true)] || cookies[deviceCookieName(false)] || null;
}

function deviceCookie(token: string, secure: boolean, expires: Date, at: Date): SessionCookie {
  const name = deviceCookieName(secure);
  const attributes: SessionCookie['attributes'] = {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    expires,
    maxAge: Math.max(0, Math.floor((expires.getTime() - at.getTime()) / 1000)),
  };
  return { name, value: token, attributes, serialize: () => stringifySetCookie({ name, value: token, ...attributes }) };
}
