// The mails the package sends: plain text and a simple HTML version of each.
// Links carry a single-use token; nothing else secret goes into a mail.
import type { MailMessage } from './outbox.ts';

export interface MailContext {
  /** The site's name as shown in mails, e.g. "authkit". */
  siteName: string;
  username: string;
  to: string;
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
  const text = [greeting, ...paragraphs, ...(link ? [`${link.label}: ${link.url}`] : []), footer].join('\n\n') + '\n';
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

export function emailVerificationMail(context: MailContext, url: string, hours: number): MailMessage {
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
  return compose('email_change_requested_notice', context, 'Your email address is about to change', [
    `Somebody signed in to your account asked to change its email address to ${newEmail}.`,
    'It changes only once that address is confirmed. If this was not you, change your password now and sign out your other devices.',
  ]);
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

export function passwordResetNotice(context: MailContext): MailMessage {
  return compose('password_reset_notice', context, 'Your password was reset', [
    'The password of your account was just reset through a link sent to this address, and every device was signed out.',
    'If this was not you, reset your password again and tell the site’s administrators.',
  ]);
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
export function registrationAttemptNotice(context: MailContext, resetUrl: string | null, forgotUrl: string): MailMessage {
  const subject = 'Somebody tried to sign up with your address';
  const attempt = 'Somebody tried to create a new account with this email address, which already has one: yours.';
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

export function totpEnabledNotice(context: MailContext): MailMessage {
  return compose('totp_enabled_notice', context, 'Two-step sign-in is on', [
    'An authenticator app was just set up for your account: signing in now also asks for a code from it.',
    'Keep your recovery codes somewhere safe. If this was not you, reset your password now and tell the site’s administrators.',
  ]);
}

export function totpDisabledNotice(context: MailContext): MailMessage {
  return compose('totp_disabled_notice', context, 'Two-step sign-in was turned off', [
    'The authenticator app of your account was just turned off, and its recovery codes no longer work.',
    'If this was not you, reset your password now and tell the site’s administrators.',
  ]);
}

/** A recovery code was used: the owner should know, and may be running out. */
export function recoveryCodeUsedNotice(context: MailContext, remaining: number): MailMessage {
  return compose('recovery_code_used_notice', context, 'A recovery code was used', [
    `One of your recovery codes was just used to sign in or change your account. ${remaining} unused ${remaining === 1 ? 'code remains' : 'codes remain'}.`,
    'If this was not you, reset your password now and tell the site’s administrators. You can make new codes in your account settings.',
  ]);
}

export function secondFactorResetNotice(context: MailContext): MailMessage {
  return compose('second_factor_reset_notice', context, 'Your second factors were removed', [
    'An administrator removed the authenticator app, the recovery codes and the passkeys of your account. Your password alone signs you in now.',
    'Set up an authenticator app again in your account settings. If you did not ask for this, contact the site’s administrators at once.',
  ]);
}
