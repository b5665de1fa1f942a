// The strength check behind the password hint (PasswordField's `strength`):
// the server's own rules from @authkit/auth/password-strength, loaded with a
// dynamic import on the first check, so Vite puts the estimator and its
// dictionaries (about a megabyte) in a chunk of their own that only pages where
// someone types a new password ever load. Browser-safe: no Argon2, no eval.
import type { StrengthCheck } from '@authkit/ui';

let loading: Promise<typeof import('@authkit/auth/password-strength')> | undefined;

export const checkPasswordStrength: StrengthCheck = async (password, { username, email }) => {
  loading ??= import('@authkit/auth/password-strength').catch((error: unknown) => {
    loading = undefined; // try again on the next check (e.g. back online)
    throw error;
  });
  const { accountUserInputs, passwordStrength } = await loading;
  return passwordStrength(password, accountUserInputs(username, email));
};
