// Input rules for accounts (zod), shared by registration and password change.
import { z } from 'zod';
import { AuthError } from './errors.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordWeakness } from './passwords.ts';

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
  .refine((value) => length(value) >= 3, 'Use at least 3 characters.')
  .refine((value) => length(value) <= 32, 'Use at most 32 characters.')
  // Letters and digits of any script, and . _ - inside; no spaces, no '@'
  // (so a sign-in name with '@' is always an email).
  .refine(
    (value) => /^[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}._-]*[\p{L}\p{M}\p{N}])?$/u.test(value),
    'Use letters, digits, and . _ - (not at the start or end).',
  );

export const emailSchema = z
  .string({ error: 'Enter an email address.' })
  .transform((value) => value.normalize('NFKC').trim())
  .pipe(z.email('Enter a valid email address.').max(254, 'Use at most 254 characters.'));

/** Length rules only; the strength check needs the other fields (see checkNewPassword). */
export const passwordSchema = z
  .string({ error: 'Enter a password.' })
  .refine((value) => length(value) >= PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters.`)
  .refine((value) => length(value) <= PASSWORD_MAX_LENGTH, `Use at most ${PASSWORD_MAX_LENGTH} characters.`);

export const registrationSchema = z.object({
  username: usernameSchema,
  email: emailSchema,
  password: passwordSchema,
});

/** Length and strength of a new password; `field` names it in the error. */
export function checkNewPassword(password: unknown, field: string, userInputs: string[]): string {
  const parsed = passwordSchema.safeParse(password);
  const message = parsed.success
    ? passwordWeakness(parsed.data, userInputs)
    : (parsed.error.issues[0]?.message ?? 'Enter a password.');
  if (message) {
    throw new AuthError('VALIDATION', 'Please correct the highlighted fields.', { fieldErrors: { [field]: [message] } });
  }
  return password as string;
}
