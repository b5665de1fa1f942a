// Input rules for accounts (zod), shared by registration and password change.
// The rules a browser can check too live in rules.ts (no server imports).
import { z } from 'zod';
import { AuthError } from './errors.ts';
import { passwordWeakness } from './passwords.ts';
import { emailSchema, passwordSchema, usernameSchema } from './rules.ts';

export { emailSchema, normalizeKey, passwordSchema, usernameSchema } from './rules.ts';

export const registrationSchema = z.object({
  username: usernameSchema,
  email: emailSchema,
  password: passwordSchema,
});

/** Length and strength of a new password; `field` names it in the error. */
export async function checkNewPassword(password: unknown, field: string, userInputs: string[]): Promise<string> {
  const parsed = passwordSchema.safeParse(password);
  const message = parsed.success
    ? await passwordWeakness(parsed.data, userInputs)
    : (parsed.error.issues[0]?.message ?? 'Enter a password.');
  if (message) {
    throw new AuthError('VALIDATION', 'Please correct the highlighted fields.', { fieldErrors: { [field]: [message] } });
  }
  return password as string;
}
