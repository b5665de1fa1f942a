// The keys a sign-in attempt is counted on, and what each allows.
import type { ThrottleScope } from '../errors.ts';
import { sha256hex, throttleAddress } from '../tokens.ts';
import type { AuthSettings } from '../types.ts';

export interface ThrottleKey {
  id: string;
  scope: ThrottleScope;
  /** Failures let through before the first lock (the last of them sets it); also the most attempts in flight. */
  free: number;
  /** Failures in a row after which the key is locked for capLockMs. */
  cap?: number;
  /** A correct password leaves the key's failures on record (an address: they were other people's). */
  keepFailures?: boolean;
}

/** Who is attempting a sign-in, as the throttle sees it. */
export interface Attempt {
  /** `user:<id>` when the name resolves to an account, else `name:<normalised name>`. */
  account: string;
  ip: string | null;
  /** The id of a valid device cookie for this account, if the client sent one. */
  deviceId: string | null;
}

/**
 * The keys an attempt is counted on. Anybody on the account (hashed: people
 * type passwords into the username field) and on the address; a trusted
 * device on its own key instead, so that the locks strangers earned on the
 * account and the address do not apply to it. Every attempt, a trusted
 * device's too, counts toward the account's hard cap.
 */
export async function keysFor(
  attempt: Attempt,
  settings: AuthSettings['throttle'],
): Promise<ThrottleKey[]> {
  const account = await sha256hex(attempt.account);
  const cap: ThrottleKey = {
    id: `cap:${account}`,
    scope: 'account',
    free: settings.accountHardCap,
    cap: settings.accountHardCap,
  };
  if (attempt.deviceId) {
    return [
      {
        id: `device:${await sha256hex(attempt.deviceId)}`,
        scope: 'device',
        free: settings.deviceFreeFailures,
      },
      cap,
    ];
  }
  const keys: ThrottleKey[] = [
    { id: `account:${account}`, scope: 'account', free: settings.accountFreeFailures },
    cap,
  ];
  if (attempt.ip) {
    keys.push({
      id: `address:${throttleAddress(attempt.ip)}`,
      scope: 'address',
      free: settings.addressFreeFailures,
      keepFailures: true,
    });
  }
  return keys;
}
