// The linking rules, as pure functions (unit-tested in linking.test.ts).
// Identity is (issuer, subject): a known identity signs in to its account
// whatever its email says now. An unknown identity never joins an existing
// account by email (no implicit linking: that is how an unverified address at
// a provider, or an account pre-registered by somebody else, takes accounts
// over); its owner signs in and connects the provider from the account page.
import { USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH, usernameSchema } from '../rules.ts';
import type { ProviderIdentity } from './provider.ts';

export type NewIdentityDecision =
  | { action: 'create' }
  | { action: 'refuse'; reason: 'email_missing' | 'email_unverified' | 'account_exists' };

/**
 * What to do with an identity no account has: create an account, or refuse.
 * The provider must give an address and say it is verified (the account's
 * address is then verified too); an address that belongs to an account is
 * never linked, verified or not. Unverified is answered before "exists", so
 * an unverified address at a provider tells nobody whether it has an account.
 */
export function decideNewIdentity(
  identity: Pick<ProviderIdentity, 'email' | 'emailVerified'>,
  emailHasAccount: boolean,
): NewIdentityDecision {
  if (identity.email === null) return { action: 'refuse', reason: 'email_missing' };
  if (!identity.emailVerified) return { action: 'refuse', reason: 'email_unverified' };
  if (emailHasAccount) return { action: 'refuse', reason: 'account_exists' };
  return { action: 'create' };
}

/** Room left for a suffix (`-2` .. `-123456`) when the base name is taken. */
const BASE_MAX = USERNAME_MAX_LENGTH - 7;

/**
 * A username from what the provider says (preferred name or login, else the
 * display name, else the address's local part), reduced to the username rules
 * (letters and digits of any script, and . _ - inside, 3..32 characters).
 */
export function baseUsername(
  identity: Pick<ProviderIdentity, 'username' | 'name' | 'email'>,
): string {
  const sources = [identity.username, identity.name, identity.email?.split('@')[0] ?? null];
  for (const source of sources) {
    if (!source) continue;
    const cleaned = [
      ...source
        .normalize('NFKC')
        .trim()
        .replace(/[^\p{L}\p{M}\p{N}._-]+/gu, '-')
        .replace(/[._-]{2,}/g, '-')
        .replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{M}\p{N}]+$/gu, ''),
    ]
      .slice(0, BASE_MAX)
      .join('')
      .replace(/[^\p{L}\p{M}\p{N}]+$/u, '');
    if ([...cleaned].length >= USERNAME_MIN_LENGTH && usernameSchema.safeParse(cleaned).success)
      return cleaned;
  }
  return 'user';
}

/** The names to try in turn: the base, then base-2, base-3, ..., then random ones. */
export function usernameCandidates(base: string, random: () => number = Math.random): string[] {
  const candidates = [base];
  for (let n = 2; n <= 9; n++) candidates.push(`${base}-${n}`);
  for (let i = 0; i < 5; i++)
    candidates.push(`${base}-${Math.floor(100_000 + random() * 900_000)}`);
  return candidates;
}
