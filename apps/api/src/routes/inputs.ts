// Input bounds. The auth package validates content (lengths, formats, common
// passwords) with its own messages; these only stop junk early: wrong types,
// unknown keys such as `$ne`, and huge strings that should never reach the
// database or the password hasher.
import { z } from 'zod';

export const limits = {
  username: 256,
  email: 320,
  password: 1024,
  id: 256,
  /** Link tokens are 40 characters; a little room, no more. */
  token: 256,
  /** A TOTP code (6 digits, some room for spaces) and a recovery code (with separators). */
  code: 16,
  recoveryCode: 64,
} as const;

/** For procedures without input: nothing, or an empty object. */
export const noInput = z.strictObject({}).optional();
