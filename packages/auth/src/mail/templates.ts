// The mails the package sends: plain text and a simple HTML version of each.
// Links carry a single-use token; nothing else secret goes into a mail.
import type { MailMessage } from './outbox.ts';

export interface MailContext {
  /** The site's name as shown in mails, e.g. "authkit". */
  siteName: string;
  username: string;
  to: string;
}

/** Where and when a change was made: the request that made it (never a secret). */
export interface RequestDetails {
  at: Date;
  ip: string | null;
  userAgent: string | null;
}

/** The details of `request`, made at `at`. */
export function requestDetails(
  request: { ip: string | null; userAgent: string | null },
  at: Date,
): RequestDetails {
  return { at, ip: request.ip, userAgent: request.userAgent };
}

/**
 * A short, plain name for a browser from its user agent ("Firefox on Windows").
 * The user agent is whatever the client sent: only known names come out of it,
 * never its text, so a mail cannot be made to carry an attacker's words or links.
 */
export function describeBrowser(userAgent: string | null): string {
  const ua = userAgent ?? '';
  const browsers: [RegExp, string][] = [
    [/Edg(e|A|iOS)?\//, 'Edge'],
    [/OPR\/|Opera/, 'Opera'],
    [/Firefox\/|FxiOS\//, 'Firefox'],
    [/Chrome\/|CriOS\/|Chromium\//, 'Chrome'],
    [/Safari\//, 'Safari'],
    [/curl\/|Wget\/|python|node|undici|okhttp|Go-http-client/i, 'a script or app'],
  ];
  const systems: [RegExp, string][] = [
    [/Android/, 'Android'],
    [/iPhone|iPad|iPod|iOS/, 'iOS'],
    [/Windows/, 'Windows'],
    [/Mac OS X|Macintosh/, 'macOS'],
    [/CrOS/, 'ChromeOS'],
    [/Linux/, 'Linux'],
  ];
  const browser = browsers.find(([pattern]) => pattern.test(ua))?.[1];
  const system = systems.find(([pattern]) => pattern.test(ua))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  if (browser) return browser;
  if (system) return `a browser on ${system}`;
  return 'an unknown browser or app';
}

/** "When: … From: …", the paragraph every change notice carries. */
function whenAndWhere(details: RequestDetails): string {
  const when = `${details.at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  // An address is digits, dots and colons; anything else in it is not shown.
  const ip = details.ip && /^[0-9a-fA-F.:]{2,64}$/.test(details.ip) ? details.ip : 'unknown';
  return `When: ${when}. From: ${describeBrowser(details.userAgent)}, network address ${ip}.`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Paragraphs (and at most one link as a button) into a mail. */
function compose(
  kind: string,
  context: MailContext,
  subject: string,
  paragraphs: string[],
  link?: { label: string; url: string },
): MailMessage {
  const greeting = `Hello ${context.username},`;
  const footer = `— ${context.siteName}`;
  const text =
    [greeting, ...paragraphs, ...(link ? [`${link.label}: ${link.url}`] : []), footer].join(
      '\n\n',
    ) + '\n';
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2328;max-width:34rem">',
    `<p>${escapeHtml(greeting)}</p>`,
    ...paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    link
      ? `<p><a href="${escapeHtml(link.url)}" style="display:inline-block;padding:.6rem 1rem;background:#1f6feb;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(link.label)}</a></p>` +
        `<p style="font-size:.875rem;color:#59636e">Or copy this address into your browser: ${escapeHtml(link.url)}</p>`
      : '',
    `<p>${escapeHtml(footer)}</p>`,
    '</body></html>',
  ].join('\n');
  return { kind, to: context.to, subject: `${subject} — ${context.siteName}`, text, html };
}

export function passwordResetMail(context: MailContext, url: string, minutes: number): MailMessage {
  return compose(
    'password_reset',
    context,
    'Reset your password',
    [
      'Somebody (we hope you) asked to reset the password of your account.',
      `The link below works once, for ${minutes} minutes. Using it signs you out everywhere.`,
      'If you did not ask for this, you can ignore this mail: your password stays as it is.',
    ],
    { label: 'Choose a new password', url },
  );
}

export function emailVerificationMail(
  context: MailContext,
  url: string,
  hours: number,
): MailMessage {
  return compose(
    'email_verification',
    context,
    'Confirm your email address',
    [
      `Please confirm that ${context.to} is your email address.`,
      `The link below works once, for ${hours} hours.`,
      'If you did not create an account, you can ignore this mail.',
    ],
    { label: 'Confirm my email address', url },
  );
}

export function emailChangeMail(context: MailContext, url: string, hours: number): MailMessage {
  return compose(
    'email_change',
    context,
    'Confirm your new email address',
    [
      `You asked to use ${context.to} for your account from now on.`,
      `The address changes when you open the link below (it works once, for ${hours} hours).`,
      'If you did not ask for this, ignore this mail: nothing changes.',
    ],
    { label: 'Confirm my new email address', url },
  );
}

/** To the old address, when a change to a new one is asked for. */
export function emailChangeRequestedNotice(context: MailContext, newEmail: string): MailMessage {
  return compose(
    'email_change_requested_notice',
    context,
    'Your email address is about to change',
    [
      `Somebody signed in to your account asked to change its email address to ${newEmail}.`,
      'It changes only once that address is confirmed. If this was not you, change your password now and sign out your other devices.',
    ],
  );
}

/** To the old address, once the change is done. */
export function emailChangedNotice(context: MailContext, newEmail: string): MailMessage {
  return compose('email_changed_notice', context, 'Your email address was changed', [
    `The email address of your account is now ${newEmail}.`,
    'If this was not you, contact the site’s administrators at once.',
  ]);
}

export function passwordChangedNotice(context: MailContext): MailMessage {
  return compose('password_changed_notice', context, 'Your password was changed', [
    'The password of your account was just changed, and your other devices were signed out.',
    'If this was not you, reset your password now with “Forgot your password?” on the sign-in page.',
  ]);
}

/** What a password reset did, for its notice (never more than is true). */
export interface ResetOutcome {
  sessionsEnded: number;
  /** Passkeys removed with the reset (the owner ticked them on the reset page). */
  removedPasskeys: { name: string; createdAt: Date }[];
  /** Passkeys that still sign in to the account (a passkey is a complete sign-in, without the password). */
  keptPasskeys: { name: string; createdAt: Date }[];
  /** The account has an authenticator app: the reset leaves it (and its recovery codes) on. */
  totp: boolean;
  /** Provider connections made recently, removed with the reset (the names of the providers). */
  removedProviders: string[];
}

const day = (date: Date) => date.toISOString().slice(0, 10);
const passkeyLine = (key: { name: string; createdAt: Date }) =>
  `“${key.name}” (added ${day(key.createdAt)})`;

export function passwordResetNotice(
  context: MailContext,
  outcome: ResetOutcome,
  details: RequestDetails,
): MailMessage {
  const ended =
    outcome.sessionsEnded === 1
      ? '1 signed-in session was ended'
      : `${outcome.sessionsEnded} signed-in sessions were ended`;
  const paragraphs = [
    `The password of your account was just reset through a link sent to this address. Every device was signed out (${ended}), and the old password no longer works.`,
    whenAndWhere(details),
  ];
  if (outcome.removedPasskeys.length > 0) {
    paragraphs.push(
      `Removed with the reset, as asked: ${outcome.removedPasskeys.map(passkeyLine).join(', ')}.`,
    );
  }
  if (outcome.keptPasskeys.length > 0) {
    paragraphs.push(
      `The reset did not remove these passkeys, and each still signs in without the password: ${outcome.keptPasskeys.map(passkeyLine).join(', ')}. If you do not recognise one, sign in and remove it in your account settings.`,
    );
  } else {
    paragraphs.push('Your account has no passkeys.');
  }
  if (outcome.removedProviders.length > 0) {
    paragraphs.push(
      `Accounts elsewhere connected in the last 14 days were disconnected with the reset (${outcome.removedProviders.join(', ')}): connect them again from your account settings if they are yours.`,
    );
  }
  if (outcome.totp)
    paragraphs.push('Your authenticator app stays on: signing in still asks for a code from it.');
  paragraphs.push(
    'If this was not you, reset your password again at once and tell the site’s administrators.',
  );
  return compose('password_reset_notice', context, 'Your password was reset', paragraphs);
}

export function deactivatedNotice(context: MailContext): MailMessage {
  return compose('account_deactivated_notice', context, 'Your account was deactivated', [
    'An administrator has deactivated your account and signed it out everywhere.',
    'If you think this is a mistake, contact the site’s administrators.',
  ]);
}

/**
 * To the owner of an address that somebody tried to register again. `resetUrl`
 * is a new reset link, or null when the owner already has a live one (a notice
 * never voids it): then the mail points to the "forgot password" page.
 */
export function registrationAttemptNotice(
  context: MailContext,
  resetUrl: string | null,
  forgotUrl: string,
): MailMessage {
  const subject = 'Somebody tried to sign up with your address';
  const attempt =
    'Somebody tried to create a new account with this email address, which already has one: yours.';
  if (resetUrl) {
    return compose(
      'registration_attempt_notice',
      context,
      subject,
      [attempt, 'If it was you, sign in instead; if you forgot your password, reset it here.'],
      { label: 'Reset my password', url: resetUrl },
    );
  }
  return compose(
    'registration_attempt_notice',
    context,
    subject,
    [
      attempt,
      'If it was you, sign in instead. If you forgot your password, use the reset link we sent you recently, or ask for a new one.',
    ],
    { label: 'Forgot your password?', url: forgotUrl },
  );
}

/** To the owner of an address that another account asked to move to. */
export function addressInUseNotice(context: MailContext): MailMessage {
  return compose('address_in_use_notice', context, 'Somebody tried to use your email address', [
    'Somebody signed in to another account asked to change that account’s email address to this one, which already belongs to your account.',
    'Nothing has changed: your account keeps this address, and the other account was sent no link for it. You need not do anything.',
  ]);
}

export function totpEnabledNotice(context: MailContext, details: RequestDetails): MailMessage {
  return compose('totp_enabled_notice', context, 'Two-step verification is on', [
    'Two-step verification was just turned on for your account with an authenticator app: signing in now also asks for a code from it.',
    whenAndWhere(details),
    'Keep your recovery codes somewhere safe. If this was not you, somebody is signed in as you: reset your password now with “Forgot your password?” on the sign-in page (it signs out every device) and tell the site’s administrators.',
  ]);
}

export function totpDisabledNotice(context: MailContext, details: RequestDetails): MailMessage {
  return compose('totp_disabled_notice', context, 'Two-step verification was turned off', [
    'Two-step verification was just turned off for your account: its authenticator app and recovery codes no longer work. Your password alone signs you in now.',
    whenAndWhere(details),
    'If this was not you, somebody is signed in as you: reset your password now with “Forgot your password?” on the sign-in page (it signs out every device), set up the authenticator app again, and tell the site’s administrators.',
  ]);
}

export function recoveryCodesRegeneratedNotice(
  context: MailContext,
  details: RequestDetails,
): MailMessage {
  return compose('recovery_codes_regenerated_notice', context, 'New recovery codes were made', [
    'Ten new recovery codes were just made for your account; the old ones no longer work. Each new code signs in in place of a code from your authenticator app.',
    whenAndWhere(details),
    'If this was not you, somebody is signed in as you and holds these codes: reset your password now with “Forgot your password?” on the sign-in page (it signs out every device), make new recovery codes again, and tell the site’s administrators.',
  ]);
}

export function passkeyAddedNotice(
  context: MailContext,
  name: string,
  details: RequestDetails,
): MailMessage {
  return compose('passkey_added_notice', context, 'A passkey was added to your account', [
    `A passkey named “${name}” was just added to your account. It signs in without your password (and without a code from an authenticator app).`,
    whenAndWhere(details),
    'If this was not you, somebody is signed in as you: reset your password now with “Forgot your password?” on the sign-in page; the reset page offers to remove passkeys added recently. Then tell the site’s administrators.',
  ]);
}

export function passkeyRemovedNotice(
  context: MailContext,
  name: string,
  details: RequestDetails,
): MailMessage {
  return compose('passkey_removed_notice', context, 'A passkey was removed from your account', [
    `The passkey named “${name}” was just removed from your account: it no longer signs in.`,
    whenAndWhere(details),
    'If this was not you, somebody is signed in as you: reset your password now with “Forgot your password?” on the sign-in page (it signs out every device) and tell the site’s administrators.',
  ]);
}

/**
 * Somebody typed the right password, then gave a wrong code (`failed`) or
 * never finished the second step (`abandoned`).
 */
export function secondStepNotice(
  context: MailContext,
  outcome: 'failed' | 'abandoned',
  details: RequestDetails,
  firstFactor: 'password' | 'oauth' = 'password',
): MailMessage {
  if (firstFactor === 'oauth') {
    // The first step was a sign-in at a connected identity provider, not the password.
    return compose(
      'second_step_notice',
      context,
      'Somebody signed in with your connected account',
      [
        outcome === 'failed'
          ? 'Somebody signed in with an account you connected here (GitHub, Google, ...), then gave a wrong code from the authenticator app (or a wrong recovery code). They were not signed in.'
          : 'Somebody signed in with an account you connected here (GitHub, Google, ...), then did not finish signing in with a code from the authenticator app. They were not signed in.',
        whenAndWhere(details),
        'If this was you, all is well. If it was not, secure that account at its provider, or disconnect it under “Connected accounts” on your account page. Your authenticator app kept them out.',
      ],
    );
  }
  const what =
    outcome === 'failed'
      ? 'Somebody entered your password correctly, then a wrong code from the authenticator app (or a wrong recovery code). They were not signed in.'
      : 'Somebody entered your password correctly, then did not finish signing in with a code from the authenticator app. They were not signed in.';
  return compose('second_step_notice', context, 'Somebody entered your password', [
    what,
    whenAndWhere(details),
    'If this was you, all is well. If it was not, somebody knows your password: change it now in your account settings (or reset it with “Forgot your password?” on the sign-in page). Your authenticator app kept them out.',
  ]);
}

/** A recovery code was used: the owner should know, and may be running out. */
export function recoveryCodeUsedNotice(context: MailContext, remaining: number): MailMessage {
  return compose('recovery_code_used_notice', context, 'A recovery code was used', [
    `One of your recovery codes was just used to sign in or change your account. ${remaining} unused ${remaining === 1 ? 'code remains' : 'codes remain'}.`,
    'If this was not you, reset your password now and tell the site’s administrators. You can make new codes in your account settings.',
  ]);
}

/**
 * An administrator removed the user's second factors. When, but not from
 * where: the address and browser would be the administrator's, not the owner's.
 */
export function secondFactorResetNotice(context: MailContext, at: Date): MailMessage {
  const when = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return compose('second_factor_reset_notice', context, 'Your two-step verification was reset', [
    'An administrator reset the two-step verification of your account: its authenticator app, recovery codes and passkeys were removed. Your password alone signs you in now.',
    `When: ${when}.`,
    'Set up two-step verification again in your account settings. If you did not ask for this, change your password now (or reset it with “Forgot your password?” on the sign-in page) and contact the site’s administrators at once.',
  ]);
}

export function providerConnectedNotice(
  context: MailContext,
  provider: string,
  details: RequestDetails,
): MailMessage {
  return compose(
    'provider_connected_notice',
    context,
    `${provider} was connected to your account`,
    [
      `Your ${provider} account was just connected to your account here: it now signs you in (“Continue with ${provider}”).`,
      whenAndWhere(details),
      'If this was not you, somebody is signed in as you: disconnect it under “Connected accounts” on your account page, reset your password with “Forgot your password?” on the sign-in page, and tell the site’s administrators.',
    ],
  );
}

export function providerDisconnectedNotice(
  context: MailContext,
  provider: string,
  details: RequestDetails,
): MailMessage {
  return compose(
    'provider_disconnected_notice',
    context,
    `${provider} was disconnected from your account`,
    [
      `Your ${provider} account was just disconnected from your account here: it no longer signs you in, and the devices that signed in with it were signed out.`,
      whenAndWhere(details),
      'If this was not you, somebody is signed in as you: reset your password now with “Forgot your password?” on the sign-in page (it signs out every device) and tell the site’s administrators.',
    ],
  );
}

export function passwordSetNotice(context: MailContext, details: RequestDetails): MailMessage {
  return compose('password_set_notice', context, 'A password was set on your account', [
    'A password was just set on your account: you can now also sign in with your username or email address and that password.',
    whenAndWhere(details),
    'If this was not you, somebody is signed in as you: reset your password now with “Forgot your password?” on the sign-in page (it signs out every device) and tell the site’s administrators.',
  ]);
}
