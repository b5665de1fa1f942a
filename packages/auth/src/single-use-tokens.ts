// The tokens in links (password reset, email verification, email change):
// made by the one token helper (tokens.ts), stored only as their SHA-256, each
// usable once, expiring, void once a newer link of the same kind is issued,
// and void once the account's security stamp changes (security-stamp.ts):
// a password change or reset, an email change, a sign-out everywhere... ends
// every link issued before it, whatever its kind.
import type { SingleUseTokenDoc, SingleUseTokenKind } from '@authkit/db';
import { withClaim } from './claims.ts';
import type { AuthCore } from './core.ts';
import { issuedUnderCurrentStamp, stampOf } from './security-stamp.ts';
import { generateToken, hashToken, isWellFormedToken } from './tokens.ts';

/** How long one redemption may hold a token against a parallel one (single use across processes). */
const REDEEM_CLAIM_MS = 30_000;

export type SingleUseTokens = ReturnType<typeof createSingleUseTokens>;

export function createSingleUseTokens(core: AuthCore) {
  const { database, now } = core;

  /** A new link token for the user; every older one of the same kind stops working. */
  async function issue(
    kind: SingleUseTokenKind,
    userId: string,
    lifetimeMs: number,
    fields: Pick<SingleUseTokenDoc, 'email' | 'password_digest'> = {},
  ): Promise<string> {
    await database.singleUseTokens.deleteMany({ user_id: userId, kind });
    const token = generateToken();
    const at = now();
    const user = await database.users.findOne({ _id: userId }, { projection: { security_stamp: 1 } });
    await database.singleUseTokens.insertOne({
      _id: await hashToken(token),
      kind,
      user_id: userId,
      ...fields,
      stamp: stampOf(user),
      created_at: at,
      expires_at: new Date(at.getTime() + lifetimeMs),
    });
    return token;
  }

  /** The stored token, if the link is well formed, of one of `kinds`, and not expired. Uses nothing up. */
  async function find(token: unknown, kinds: SingleUseTokenKind[]): Promise<SingleUseTokenDoc | null> {
    if (typeof token !== 'string' || !isWellFormedToken(token)) return null;
    const doc = await database.singleUseTokens.findOne({ _id: await hashToken(token) });
    if (!doc || !kinds.includes(doc.kind) || doc.expires_at <= now()) return null;
    const user = await database.users.findOne({ _id: doc.user_id }, { projection: { security_stamp: 1 } });
    return issuedUnderCurrentStamp(doc.stamp, user) ? doc : null;
  }

  /**
   * Uses a token once: `use` runs with the stored token while no parallel
   * redemption can, and the token is deleted when `use` succeeds (a failure,
   * such as a weak new password, leaves it usable). Resolves to null when the
   * token is unknown, expired, of another kind, or being used right now.
   */
  async function redeem<T>(
    token: unknown,
    kinds: SingleUseTokenKind[],
    use: (doc: SingleUseTokenDoc) => Promise<T>,
  ): Promise<{ result: T } | null> {
    const found = await find(token, kinds);
    if (!found) return null;
    const outcome = await withClaim(
      database,
      `token:${found._id}`,
      { lifetimeMs: REDEEM_CLAIM_MS, waitMs: 0 },
      async () => {
        // Read again under the claim: a redemption that finished meanwhile deleted it.
        const doc = await database.singleUseTokens.findOne({ _id: found._id });
        if (!doc || doc.expires_at <= now()) return null;
        const user = await database.users.findOne({ _id: doc.user_id }, { projection: { security_stamp: 1 } });
        if (!issuedUnderCurrentStamp(doc.stamp, user)) return null;
        const result = await use(doc);
        await database.singleUseTokens.deleteOne({ _id: doc._id });
        return { result };
      },
    );
    return outcome.done ? outcome.result : null;
  }

  /**
   * The user's live link of `kind` (at most one: issuing voids the older),
   * while unexpired and under the account's current stamp; null otherwise.
   */
  async function current(userId: string, kind: SingleUseTokenKind): Promise<SingleUseTokenDoc | null> {
    const doc = await database.singleUseTokens.findOne({ user_id: userId, kind, expires_at: { $gt: now() } });
    if (!doc) return null;
    const user = await database.users.findOne({ _id: userId }, { projection: { security_stamp: 1 } });
    return issuedUnderCurrentStamp(doc.stamp, user) ? doc : null;
  }

  /** Voids every link of `kind` for the user (e.g. reset links once the password changed). */
  async function revokeAll(userId: string, kind: SingleUseTokenKind): Promise<void> {
    await database.singleUseTokens.deleteMany({ user_id: userId, kind });
  }

  return { issue, find, current, redeem, revokeAll };
}
