// Password rules that the browser shares with the server: the length limits
// and the strength check (zxcvbn-ts). Browser-safe on purpose: no node:
// imports, no Argon2. The web imports it with a dynamic
// `import('@authkit/auth/password-strength')`, so its dictionaries (about a
// megabyte) load only where a new password is typed; the server loads this
// module on its first strength check (passwords.ts), not at start. Neither
// eval nor `new Function`: it runs under the site's strict Content-Security-Policy.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './rules.ts';

/** In characters (code points), not UTF-16 units; defined with the other account rules. */
export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH };
export { accountUserInputs } from './rules.ts';

/** The lowest zxcvbn score (0..4) a new password may have: about 10^6 guesses. */
export const PASSWORD_MIN_SCORE = 2;

/** Length in characters (code points), as the length rules count it. */
export function passwordLength(password: string): number {
  return [...password].length;
}

let zxcvbn: ZxcvbnFactory | undefined;
function estimator(): ZxcvbnFactory {
  // Built lazily: loading the dictionaries takes a moment and not every process registers users.
  zxcvbn ??= new ZxcvbnFactory({
    translations: zxcvbnEn.translations,
    graphs: zxcvbnCommon.adjacencyGraphs,
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    // The estimator runs on the event loop: with the defaults (256 characters,
    // 100 l33t substitutions) one crafted password costs over a second of CPU.
    // These limits keep the worst case near 50 ms and still catch "P@ssw0rd1234";
    // a password whose first 64 characters are strong is strong.
    maxLength: 64,
    l33tMaxSubstitutions: 10,
  });
  return zxcvbn;
}

interface Estimate {
  score: 0 | 1 | 2 | 3 | 4;
  warning: string | null;
  suggestions: string[];
}

function estimate(password: string, userInputs: string[]): Estimate {
  const result = estimator().check(password, userInputs.filter(Boolean));
  return {
    score: result.score,
    warning: result.feedback.warning || null,
    suggestions: result.feedback.suggestions.filter(Boolean),
  };
}

function weaknessMessage(warning: string | null): string {
  return warning
    ? `This password is too easy to guess: ${warning.replace(/\.$/, '')}. Try a longer phrase of unrelated words.`
    : 'This password is too easy to guess. Try a longer phrase of unrelated words.';
}

/**
 * Null when the password is acceptable, otherwise a message for the user.
 * Refuses common and guessable passwords (zxcvbn score below 2, i.e. fewer than
 * about 10^6 guesses) and passwords built from the user's own name or email.
 * Strength only: the length rules are checked before (see passwordStrength).
 */
export function passwordWeakness(password: string, userInputs: string[] = []): string | null {
  const { score, warning } = estimate(password, userInputs);
  return score >= PASSWORD_MIN_SCORE ? null : weaknessMessage(warning);
}

export interface PasswordStrength {
  /** zxcvbn's score: 0 (a common password) to 4 (very hard to guess). */
  score: 0 | 1 | 2 | 3 | 4;
  /** Exactly the server's rule for a new password: the length limits, then score >= 2. */
  acceptable: boolean;
  /** The message the server would answer, or null when acceptable. */
  message: string | null;
  /** Why the password is weak (zxcvbn's warning), when it says. */
  warning: string | null;
  /** zxcvbn's suggestions, for a hint. */
  suggestions: string[];
  /** The password is shorter or longer than the length limits allow. */
  length: 'ok' | 'short' | 'long';
}

/**
 * Everything a strength hint needs. `acceptable` and `message` are what the
 * server decides for the same password and user inputs (checkNewPassword and
 * registerUser: the length rules, then passwordWeakness), so the hint and
 * the server never disagree.
 */
export function passwordStrength(password: string, userInputs: string[] = []): PasswordStrength {
  const { score, warning, suggestions } = estimate(password, userInputs);
  const characters = passwordLength(password);
  if (characters < PASSWORD_MIN_LENGTH) {
    const message = `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
    return { score, acceptable: false, message, warning, suggestions, length: 'short' };
  }
  if (characters > PASSWORD_MAX_LENGTH) {
    const message = `Use at most ${PASSWORD_MAX_LENGTH} characters.`;
    return { score, acceptable: false, message, warning, suggestions, length: 'long' };
  }
  const acceptable = score >= PASSWORD_MIN_SCORE;
  return {
    score,
    acceptable,
    message: acceptable ? null : weaknessMessage(warning),
    warning,
    suggestions,
    length: 'ok',
  };
}
