// The account rules that need nothing from the server (zod): username
// characters and length, email shape, password length. Exported on their own
// (`@authkit/auth/rules`) so a browser checks a form with the very rules the
// server applies; this module must import nothing server-only. Uniqueness and
// password strength stay server checks (see validation.ts).
import { z } from 'zod';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;
export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 32;
export const EMAIL_MAX_LENGTH = 254;

/** The unique key of a username or email: Unicode NFKC, trimmed, lower case. */
export function normalizeKey(value: string): string {
  return value.normalize('NFKC').trim().toLowerCase();
}

/** Length in characters (code points), not UTF-16 units. */
function length(value: string): number {
  return [...value].length;
}

export const usernameSchema = z
  .string({ error: 'Enter a username.' })
  .transform((value) => value.normalize('NFKC').trim())
  .refine((value) => length(value) >= USERNAME_MIN_LENGTH, `Use at least ${USERNAME_MIN_LENGTH} characters.`)
  .refine((value) => length(value) <= USERNAME_MAX_LENGTH, `Use at most ${USERNAME_MAX_LENGTH} characters.`)
  // Letters and digits of any script, and . _ - inside; no spaces, no '@'
  // (so a sign-in name with '@' is always an email).
  .refine(
    (value) => /^[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}._-]*[\p{L}\p{M}\p{N}])?$/u.test(value),
    'Use letters, digits, and . _ - (not at the start or end).',
  );

export const emailSchema = z
  .string({ error: 'Enter an email address.' })
  .transform((value) => value.normalize('NFKC').trim())
  .pipe(z.email('Enter a valid email address.').max(EMAIL_MAX_LENGTH, `Use at most ${EMAIL_MAX_LENGTH} characters.`));

/**
 * What an account's own details contribute to the strength check: a password
 * built from the username, the email address or its local part is weak.
 */
export function accountUserInputs(username: unknown, email: unknown): string[] {
  const inputs: unknown[] = [username, email, typeof email === 'string' ? (email.split('@')[0] ?? '') : ''];
  return inputs.filter((value): value is string => typeof value === 'string' && value !== '');
}

/** Length rules only; the strength check needs the other fields (see checkNewPassword). */
export const passwordSchema = z
  .string({ error: 'Enter a password.' })
  .refine((value) => length(value) >= PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters.`)
  .refine((value) => length(value) <= PASSWORD_MAX_LENGTH, `Use at most ${PASSWORD_MAX_LENGTH} characters.`);
