// What a throttled sign-in is told: locked by failures (`throttled`, with the
// wait), or refused after waiting for a slot under load (`busy`).
import { AuthError, type ThrottleScope } from '../errors.ts';

const THROTTLED_MESSAGES: Record<ThrottleScope, string> = {
  account: 'Too many failed sign-in attempts for this account.',
  address: 'Too many failed sign-in attempts from your network.',
  device: 'Too many failed sign-in attempts from this device.',
  registration: 'Too many sign-ups from your network.',
  passkey: 'Too many passkey requests.',
};

/** A 429: `reason` says what is throttled (by default the sign-in wording of `scope`), the message adds the wait. */
export function throttled(
  scope: ThrottleScope,
  waitMs: number,
  reason = THROTTLED_MESSAGES[scope],
): AuthError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new AuthError('THROTTLED', `${reason} Try again in ${describeWait(seconds)}.`, {
    retryAfterSeconds: seconds,
    scope,
    waitReason: reason,
  });
}

const BUSY_MESSAGES: Record<ThrottleScope, string> = {
  account: 'Too many sign-ins in progress for this account.',
  address: 'Too many sign-ins in progress from your network.',
  device: 'Too many sign-ins in progress from this device.',
  registration: 'Too many sign-ups in progress from your network.',
  passkey: 'Too many passkey requests in progress.',
};

/** Refused after waiting queueWaitMs for a slot: load, not failures (the message says so). */
export function busy(scope: ThrottleScope): AuthError {
  return new AuthError('THROTTLED', `${BUSY_MESSAGES[scope]} Try again in a few seconds.`, {
    retryAfterSeconds: BUSY_RETRY_SECONDS,
    scope,
    waitReason: BUSY_MESSAGES[scope],
  });
}

/** What a busy refusal asks to wait: the slots in flight are decided within about that. */
const BUSY_RETRY_SECONDS = 2;

function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  if (seconds < 3 * 3600) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.ceil(seconds / 3600)} hours`;
}
