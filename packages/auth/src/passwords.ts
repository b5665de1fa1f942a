// Password hashing (oslo Argon2id, run by @node-rs/argon2 on the libuv thread
// pool, so the event loop stays free) and the strength check (zxcvbn-ts).
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';
import { Argon2id } from 'oslo/password';

/** At least OWASP's Argon2id recommendation (m=19 MiB, t=2, p=1). */
export const argon2Parameters = { memorySize: 19_456, iterations: 2, parallelism: 1, tagLength: 32 } as const;

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './rules.ts';

const argon2 = new Argon2id(argon2Parameters);

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password);
}

/** False for a malformed hash too (never throws for bad stored data). */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** True when a stored hash was made with other (older) parameters than today's. */
export function needsRehash(hash: string): boolean {
  // PHC string: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
  const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$([^$]+)$/.exec(hash);
  if (!match) return true;
  const [, memory, iterations, parallelism, digest] = match;
  return (
    Number(memory) !== argon2Parameters.memorySize ||
    Number(iterations) !== argon2Parameters.iterations ||
    Number(parallelism) !== argon2Parameters.parallelism ||
    // base64 without padding: 32 bytes -> 43 characters
    digest?.length !== Math.ceil((argon2Parameters.tagLength * 4) / 3)
  );
}

// Unknown users are checked against this hash so that they cost the same time
// as a wrong password. Made once per process with today's parameters.
let dummyHash: Promise<string> | undefined;
export function getDummyHash(): Promise<string> {
  dummyHash ??= argon2.hash(crypto.randomUUID());
  return dummyHash;
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

/**
 * Null when the password is acceptable, otherwise a message for the user.
 * Refuses common and guessable passwords (zxcvbn score below 2, i.e. fewer than
 * about 10^6 guesses) and passwords built from the user's own name or email.
 */
export function passwordWeakness(password: string, userInputs: string[] = []): string | null {
  const result = estimator().check(password, userInputs.filter(Boolean));
  if (result.score >= 2) return null;
  const warning = result.feedback.warning;
  return warning
    ? `This password is too easy to guess: ${warning.replace(/\.$/, '')}. Try a longer phrase of unrelated words.`
    : 'This password is too easy to guess. Try a longer phrase of unrelated words.';
}
