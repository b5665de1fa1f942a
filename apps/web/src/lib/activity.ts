// What the account's events and ended sessions say to their owner: the one
// place for these words (the account page's recent activity, the flash a
// signed-out device sees).
import type { AuthEventType, SessionEndReason } from '@authkit/auth';
import { describeUserAgent } from './format.ts';

/** Events per page of the account page's recent activity. */
export const ACTIVITY_PAGE_SIZE = 10;
/** Pages one can go back (the page reads this many events at most: 500). */
export const ACTIVITY_MAX_PAGES = 50;

/**
 * The page of recent activity asked for by the `activity` query parameter:
 * 1 (the newest) when absent, null when it is not a page number we have
 * (the page answers 400).
 */
export function activityPage(param: string | null): number | null {
  if (param === null) return 1;
  if (!/^[1-9]\d{0,2}$/.test(param)) return null;
  const page = Number(param);
  return page <= ACTIVITY_MAX_PAGES ? page : null;
}

/**
 * What follows /account in the link to a page of recent activity, at the card:
 * no parameter for the newest (an empty query still makes it a page load).
 */
export function activityPageSuffix(page: number): `?${string}#activity` {
  return page <= 1 ? '?#activity' : `?activity=${page}#activity`;
}

/**
 * One page of events from the newest `page * size + 1` (how many to read):
 * the page's events, and whether an older page has any.
 */
export function pageOfEvents<T>(newest: readonly T[], page: number, size = ACTIVITY_PAGE_SIZE) {
  const start = (page - 1) * size;
  return { events: newest.slice(start, start + size), older: newest.length > start + size };
}

/** An event as the account page gets it: the type and its small, non-secret details. */
export interface ActivityEvent {
  type: AuthEventType | string;
  details?: Record<string, string | number | boolean | null> | undefined;
}

type Details = NonNullable<ActivityEvent['details']>;

const plural = (count: unknown, one: string, many: string) =>
  typeof count === 'number' ? `${count} ${count === 1 ? one : many}` : many;

/** One line per event type; a function when the details change the words. */
/** A provider's id as recorded (`github`, `google`, `oidc`, `dev`) in a label. */
function providerLabel(details: Details): string {
  const names: Record<string, string> = {
    github: 'GitHub',
    google: 'Google',
    dev: 'the development provider',
  };
  const id = typeof details.provider === 'string' ? details.provider : '';
  return names[id] ?? (id ? id : 'a provider');
}

const eventLabels: Record<AuthEventType, string | ((details: Details) => string)> = {
  login: (details) =>
    details.reauthentication
      ? details.amr === 'oauth'
        ? `Confirmed with ${providerLabel(details)}`
        : 'Confirmed password'
      : 'Signed in',
  login_failed: (details) =>
    details.reason === 'inactive'
      ? 'Sign-in refused: account deactivated'
      : 'Failed sign-in attempt (wrong password)',
  logout: 'Signed out',
  session_revoked: (details) => {
    if (details.reason === 'session_limit')
      return `Signed out ${plural(details.count, 'old session', 'old sessions')} (too many devices)`;
    if (details.reason === 'session_protection')
      return 'Session ended: the browser or network changed';
    if (details.all) return 'Signed out everywhere by an administrator';
    if (details.others)
      return `Signed out ${plural(details.count, 'other device', 'other devices')}`;
    if (details.current) return 'Signed out this device';
    return typeof details.device === 'string'
      ? `Signed out ${describeUserAgent(details.device)}`
      : 'Signed out a device';
  },
  password_changed: 'Changed password',
  password_reset_requested: (details) =>
    details.by ? 'An administrator sent a password reset link' : 'Asked for a password reset link',
  password_reset: 'Reset password with an emailed link',
  email_verification_sent: 'Verification email sent',
  email_verified: 'Confirmed email address',
  email_change_requested: (details) =>
    details.resent ? 'Asked for a new email change link' : 'Asked to change email address',
  email_change_cancelled: 'Cancelled the change of email address',
  email_changed: 'Changed email address',
  user_deactivated: 'Account deactivated by an administrator',
  user_activated: 'Account reactivated by an administrator',
  role_changed: (details) =>
    details.role === 'admin' ? 'Made an administrator' : 'Administrator role removed',
  unauthorized: 'Access refused',
  needs_refresh: 'Asked to confirm password',
  register: (details) => (details.operator ? 'Account created by an operator' : 'Created account'),
  account_locked: 'Sign-ins paused after failed attempts',
  address_locked: 'Sign-ins from a network paused after failed attempts',
  totp_enrolled: 'Two-step verification turned on',
  totp_disabled: 'Two-step verification turned off',
  second_factor_failed: 'Wrong verification code or passkey',
  recovery_code_used: 'Recovery code used',
  recovery_codes_regenerated: 'New recovery codes created',
  passkey_added: 'Passkey added',
  passkey_removed: 'Passkey removed',
  passkey_used: 'Passkey used',
  second_factor_reset: 'Two-step verification reset by an administrator',
  oauth_sign_in: (details) =>
    details.created
      ? `Signed up with ${providerLabel(details)}`
      : `Signed in with ${providerLabel(details)}`,
  oauth_refused: (details) => `Sign-in with ${providerLabel(details)} refused`,
  oauth_connected: (details) => `Connected ${providerLabel(details)}`,
  oauth_disconnected: (details) => `Disconnected ${providerLabel(details)}`,
  password_set: 'Set a password',
};

/** The detail keys the labels read; others (an administrator's id) stay off the page. */
const SHOWN_DETAILS = [
  'reauthentication',
  'reason',
  'count',
  'all',
  'others',
  'current',
  'device',
  'role',
  'operator',
  'resent',
];

/** An event's details as a page may carry them: the keys above, and whether an administrator acted. */
export function shownDetails(details: ActivityEvent['details']): Details {
  if (!details) return {};
  const shown: Details = Object.fromEntries(
    Object.entries(details).filter(([key]) => SHOWN_DETAILS.includes(key)),
  );
  if (details.by) shown.by = true;
  return shown;
}

/** "Confirmed password", "Signed out Safari 18 on iPhone", ... */
export function describeEvent(event: ActivityEvent): string {
  const label = (eventLabels as Record<string, (typeof eventLabels)[AuthEventType]>)[event.type];
  if (label === undefined) return event.type;
  return typeof label === 'string' ? label : label(event.details ?? {});
}

/** How each operator's tool is named where a browser would be. */
const operatorTools: Record<string, string> = { command_line: 'Command line (operator)' };

/**
 * Where an event came from, for its row: the browser and system, or the
 * operator's tool for what an operator did ("Command line (operator)", not
 * "Unknown browser").
 */
export function describeEventSource(event: ActivityEvent & { userAgent: string | null }): string {
  const tool = event.details?.operator;
  if (typeof tool === 'string') return operatorTools[tool] ?? 'An operator';
  return describeUserAgent(event.userAgent);
}

const endedMessages: Record<SessionEndReason, string> = {
  signed_out_elsewhere: 'You were signed out from another device.',
  signed_out_by_admin: 'An administrator signed you out of every device.',
  password_changed: 'Your password was changed, so this device was signed out.',
  password_reset: 'Your password was reset, so this device was signed out.',
  deactivated: 'Your account was deactivated.',
  expired: 'Your session expired. Please sign in again.',
  session_protection: 'Your session ended because your browser or network changed.',
  session_limit: 'You were signed out because your account signed in on too many devices.',
};

/** Why this device was signed out, for the flash on its next page. */
export function describeEndedReason(reason: SessionEndReason): string {
  return endedMessages[reason];
}
