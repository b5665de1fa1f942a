// Small display helpers shared by the pages.

const dateTime = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** "25 Nov 2026, 14:03 UTC" */
export function formatDateTime(value: Date | string): string {
  return `${dateTime.format(new Date(value))} UTC`;
}

/** A short description of a browser from its user agent: "Chrome on Linux". */
export function describeUserAgent(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown device';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /OPR\//.test(userAgent)
      ? 'Opera'
      : /Firefox\//.test(userAgent)
        ? 'Firefox'
        : /(Chrome|Chromium)\//.test(userAgent)
          ? 'Chrome'
          : /Safari\//.test(userAgent)
            ? 'Safari'
            : /curl\//i.test(userAgent)
              ? 'curl'
              : 'Browser';
  const os = /Windows/.test(userAgent)
    ? 'Windows'
    : /Android/.test(userAgent)
      ? 'Android'
      : /(iPhone|iPad|iOS)/.test(userAgent)
        ? 'iOS'
        : /Mac OS X|Macintosh/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : null;
  return os ? `${browser} on ${os}` : browser;
}

const eventLabels: Record<string, string> = {
  login: 'Signed in',
  login_failed: 'Failed sign-in attempt',
  logout: 'Signed out',
  session_revoked: 'Session signed out',
  password_changed: 'Password changed',
  user_deactivated: 'Account deactivated',
  user_activated: 'Account reactivated',
  role_changed: 'Role changed',
  unauthorized: 'Access refused',
  needs_refresh: 'Password confirmation requested',
  register: 'Account created',
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
};

export function describeEvent(type: string): string {
  return eventLabels[type] ?? type;
}

/** "30 seconds", "2 minutes" */
export function describeWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
