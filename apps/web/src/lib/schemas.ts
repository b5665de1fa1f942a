// The forms' zod schemas, shared by the pages (checked in the browser as the
// visitor types and before an enhanced submit, through superforms' zod
// adapter) and their actions (checked again on the server). The account rules a browser
// can check (username characters and length, email, password length) come
// from @authkit/auth/rules, the same ones the server applies, so every such
// rule shows in one round; uniqueness and password strength come back from
// the server as field errors.
import { emailSchema, passwordSchema, usernameSchema } from '@authkit/auth/rules';
import { z } from 'zod';
import type { FieldErrors } from './refusal.ts';

// The site's Content-Security-Policy allows no eval: without this, zod probes
// `new Function('')` (to compile faster parsers) and the browser reports a
// violation each time. Its plain parsers are the same checks.
z.config({ jitless: true });

/** Fields that take a password: never sent back by the server, kept or emptied in the browser. */
export const PASSWORD_FIELDS = [
  'password',
  'confirm',
  'currentPassword',
  'newPassword',
  'confirmPassword',
] as const;

/** Fields the server never sends back either: the passwords and the one-time codes. */
export const SECRET_FIELDS = [...PASSWORD_FIELDS, 'code', 'recoveryCode'] as const;

const required = (message: string) => z.string({ error: message }).trim().min(1, message);

/** A password to choose: the account's length rules (strength is checked by the server). */
const newPassword = (message: string) => z.string({ error: message }).pipe(passwordSchema);

export const loginSchema = z.object({
  username: required('Enter your username or email.'),
  password: z.string({ error: 'Enter your password.' }).min(1, 'Enter your password.'),
  remember: z.literal('on').optional(),
  next: z.string().optional(),
});

export const registerSchema = z
  .object({
    username: required('Choose a username.').pipe(usernameSchema),
    email: required('Enter your email address.').pipe(emailSchema),
    password: newPassword('Choose a password.'),
    confirm: z.string({ error: 'Repeat the password.' }).min(1, 'Repeat the password.'),
    next: z.string().optional(),
  })
  .refine((data) => data.password === data.confirm, {
    path: ['confirm'],
    message: 'The passwords do not match.',
    // Shown with the other fields' messages, in one round.
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  });

export const reauthSchema = z.object({
  password: z.string({ error: 'Enter your password.' }).min(1, 'Enter your password.'),
  // An account with two-step sign-in confirms with a code from the app or a
  // recovery code too (the server tells which it was and checks it).
  code: z.string().max(64, 'Use at most 64 characters.').optional(),
  next: z.string().optional(),
});

const passwordsMatch = {
  path: ['confirmPassword'],
  message: 'The passwords do not match.',
  when: (payload: { value: unknown }) =>
    typeof payload.value === 'object' && payload.value !== null,
};

/** A new password twice: the same rules as registration (strength is checked by the server). */
export const resetPasswordSchema = z
  .object({
    newPassword: newPassword('Choose a new password.'),
    confirmPassword: z
      .string({ error: 'Repeat the new password.' })
      .min(1, 'Repeat the new password.'),
  })
  .refine((data) => data.newPassword === data.confirmPassword, passwordsMatch);

export const changePasswordSchema = z
  .object({
    currentPassword: z
      .string({ error: 'Enter your current password.' })
      .min(1, 'Enter your current password.'),
    newPassword: newPassword('Choose a new password.'),
    confirmPassword: z
      .string({ error: 'Repeat the new password.' })
      .min(1, 'Repeat the new password.'),
  })
  .refine((data) => data.newPassword === data.confirmPassword, passwordsMatch);

export const forgotSchema = z.object({
  login: required('Enter your username or email address.').pipe(
    z.string().max(320, 'Use at most 320 characters.'),
  ),
});

export const emailChangeSchema = z.object({
  email: required('Enter your new email address.').pipe(emailSchema),
});

/** zod issues as messages per field (every issue of these schemas names its field). */
export function fieldErrors(error: z.ZodError): FieldErrors {
  return z.flattenError(error).fieldErrors as FieldErrors;
}

/** The second step of sign-in: a code from the app, or (with `method=recovery`) a recovery code. */
export const secondFactorSchema = z.discriminatedUnion('method', [
  z.object({
    method: z.literal('totp'),
    code: z
      .string({ error: 'Enter the 6-digit code from your app.' })
      .transform((value) => value.replace(/\s+/g, ''))
      .pipe(z.string().regex(/^\d{6}$/, 'Enter the 6-digit code from your app.')),
    next: z.string().optional(),
  }),
  z.object({
    method: z.literal('recovery'),
    recoveryCode: required('Enter one of your recovery codes.').pipe(
      z.string().max(64, 'Use at most 64 characters.'),
    ),
    next: z.string().optional(),
  }),
]);

/** A first code from the authenticator app (TOTP set-up). */
export const totpCodeSchema = z.object({
  code: z
    .string({ error: 'Enter the 6-digit code from your app.' })
    .transform((value) => value.replace(/\s+/g, ''))
    .pipe(z.string().regex(/^\d{6}$/, 'Enter the 6-digit code from your app.')),
});

/**
 * The fields of a form, from its schema (the one list of them): the keys of
 * its object, or of every option of a discriminated union, in their order.
 */
export function fieldNames(schema: unknown): string[] {
  const objects = schema instanceof z.ZodDiscriminatedUnion ? schema.options : [schema];
  const names = objects.flatMap((object) =>
    object instanceof z.ZodObject ? Object.keys(object.shape) : [],
  );
  return [...new Set(names)];
}
