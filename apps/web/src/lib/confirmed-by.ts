// How a session last proved who its user is, in words for the page ("your
// password and a code from your authenticator app"), from its `amr` (the
// factors of its sign-in or latest re-authentication).
import type { AuthMethod } from '@authkit/auth';

export function describeConfirmation(amr: readonly AuthMethod[]): string {
  if (amr.includes('passkey')) return 'a passkey';
  const first = amr.includes('oauth')
    ? 'a connected account'
    : amr.includes('password')
      ? 'your password'
      : null;
  const second = amr.includes('totp')
    ? 'a code from your authenticator app'
    : amr.includes('recovery_code')
      ? 'a recovery code'
      : null;
  if (first && second) return `${first} and ${second}`;
  return first ?? second ?? 'your password';
}
