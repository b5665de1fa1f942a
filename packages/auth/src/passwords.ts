// Password hashing (oslo Argon2id, run by @node-rs/argon2 on the libuv thread
// pool, so the event loop stays free). Server-only. The length limits and the
// strength check (zxcvbn-ts) live in the browser-safe rules.ts and
// password-strength.ts, shared with the web's strength hint.
import { Argon2id } from 'oslo/password';

export { accountUserInputs, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './rules.ts';

// The strength estimator's dictionaries take about 12 MB of heap and a moment
// to decompress; only registration and password changes need them, so they
// load on the first check rather than when the server starts.
let strengthModule: Promise<typeof import('./password-strength.ts')> | undefined;

/** Null when the new password is strong enough, else the message (see password-strength.ts). */
export async function passwordWeakness(
  password: string,
  userInputs: string[] = [],
): Promise<string | null> {
  strengthModule ??= import('./password-strength.ts');
  const strength = await strengthModule.catch((error: unknown) => {
    strengthModule = undefined; // a failed load is tried again next time
    throw error;
  });
  return strength.passwordWeakness(password, userInputs);
}

/** At least OWASP's Argon2id recommendation (m=19 MiB, t=2, p=1). */
export const argon2Parameters = {
  memorySize: 19_456,
  iterations: 2,
  parallelism: 1,
  tagLength: 32,
} as const;

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
