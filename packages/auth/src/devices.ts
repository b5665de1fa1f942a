// Trusted devices (OWASP "device cookies"): a successful sign-in earns the
// client a signed token bound to the account. Sign-ins that present a valid
// one for the account they try are throttled per device instead of by the
// account and address locks that strangers earned (see throttle.ts); they
// still count toward the account's hard cap.
//
// The token is `<deviceId>.<expires, unix seconds>.<HMAC-SHA256>` over the user
// id, the account's security stamp, the device id and the expiry, so it holds
// no secret state on the server, is void for any other account and as soon as
// the stamp changes (password change or reset, sign-out everywhere, ...), and
// cannot be extended or forged without the key (see keys.ts: AUTH_SECRET_KEY,
// or a key made once per database).
//
// An account trusts at most maxDevicesPerAccount devices: their ids are listed
// on the account (`trusted_devices`, most recently used first) and a token
// whose id is not listed is ignored. A new device pushes out the least
// recently used one, so tokens cannot be minted to multiply the guesses that
// devices get past the soft locks. A client that presents its valid token
// keeps its device id (a new token, a new expiry); the list is written only
// for a new device, or at most daily for a known one. Two sign-ins of one
// account at the same moment may each write the list and one entry be lost:
// that device is then simply not trusted (the safe side).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { UserDoc } from '@authkit/db';
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

/** A known device's place in the list is refreshed at most this often (one write a day, not one per sign-in). */
const REFRESH_MS = 24 * 3600_000;

/** What a device token is checked against: the account, its stamp and its trusted devices. */
export type DeviceAccount = Pick<UserDoc, '_id' | 'security_stamp' | 'trusted_devices'>;

export type Devices = ReturnType<typeof createDevices>;

export function createDevices(
  core: AuthCore,
  keys: Keys,
  /** The account document a sign-in has just read for this user, if any (saves a read). */
  knownAccount: (user: PublicUser) => DeviceAccount | undefined = () => undefined,
) {
  const { settings, now, database } = core;
  const secret = () => keys.key('device_cookies');

  async function mac(
    userId: string,
    stamp: string,
    deviceId: string,
    expires: string,
  ): Promise<string> {
    return createHmac('sha256', await secret())
      .update(`authkit-device-v2\n${userId}\n${stamp}\n${deviceId}\n${expires}`)
      .digest('base64url');
  }

  /**
   * A new device token and cookie for `user` after a successful sign-in: the
   * device id of the valid token the client sent, else a new one (listed on
   * the account, pushing out the least recently used beyond the cap).
   */
  async function trustDevice(user: PublicUser, request: RequestInfo): Promise<DeviceCookie> {
    const account = knownAccount(user) ??
      (await database.users.findOne(
        { _id: user.id },
        { projection: { security_stamp: 1, trusted_devices: 1 } },
      )) ?? {
        _id: user.id,
      };
    const at = now();
    const listed = account.trusted_devices ?? [];
    const deviceId =
      (await verify(request.deviceToken, account)) ?? randomBytes(16).toString('base64url');
    const entry = listed.find((device) => device.id === deviceId);
    if (!entry || at.getTime() - entry.at.getTime() >= REFRESH_MS) {
      const trusted = [{ id: deviceId, at }, ...listed.filter((device) => device.id !== deviceId)]
        .sort((a, b) => b.at.getTime() - a.at.getTime())
        .slice(0, settings.throttle.maxDevicesPerAccount);
      await database.users.updateOne({ _id: user.id }, { $set: { trusted_devices: trusted } });
    }
    const expiresAt = new Date(at.getTime() + settings.deviceLifetimeMs);
    const expires = String(Math.floor(expiresAt.getTime() / 1000));
    const token = `${deviceId}.${expires}.${await mac(user.id, account.security_stamp ?? '', deviceId, expires)}`;
    return { token, cookie: deviceCookie(token, secureFor(core, request), expiresAt, at) };
  }

  /**
   * The device id of a token that is valid for `account` under its current
   * stamp and still among its trusted devices; null for anything else. Never
   * throws for bad input.
   */
  async function verify(
    token: string | null | undefined,
    account: DeviceAccount,
  ): Promise<string | null> {
    const match = typeof token === 'string' ? TOKEN_PATTERN.exec(token) : null;
    if (!match) return null;
    const [, deviceId = '', expires = '', given = ''] = match;
    if (Number(expires) * 1000 <= now().getTime()) return null;
    const expected = Buffer.from(
      await mac(account._id, account.security_stamp ?? '', deviceId, expires),
      'base64url',
    );
    const presented = Buffer.from(given, 'base64url');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
    return account.trusted_devices?.some((device) => device.id === deviceId) ? deviceId : null;
  }

  return { trustDevice, verify, secret };
}

/** The device token a client sent: the header (API clients) or the cookie, `__Host-` first. */
export function deviceTokenFromHeaders(headers: {
  cookie?: string | null;
  deviceToken?: string | null;
}): string | null {
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
  return {
    name,
    value: token,
    attributes,
    serialize: () => stringifySetCookie({ name, value: token, ...attributes }),
  };
}
