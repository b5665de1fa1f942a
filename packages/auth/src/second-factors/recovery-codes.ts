// Recovery codes: ten random codes shown once, stored only as SHA-256 hashes
// (they carry 50 bits each, so a fast hash is enough), each usable once: using
// one is a delete, which is atomic on every server we support.
import { randomBytes } from 'node:crypto';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import type { Database } from '@authkit/db';
import { sha256hex } from '../tokens.ts';

export const RECOVERY_CODE_COUNT = 10;
const CODE_PATTERN = /^[a-z2-7]{10}$/;

/** What people may type: any case, spaces and dashes ignored. */
export function normalizeRecoveryCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 64) return null;
  const code = input.replace(/[\s-]/g, '').toLowerCase();
  return CODE_PATTERN.test(code) ? code : null;
}

async function hashCode(userId: string, code: string): Promise<string> {
  return sha256hex(`${userId}:${code}`);
}

/** Replaces every recovery code of the user; resolves to the new ones, as shown to the user (`abcde-fghij`). */
export async function replaceRecoveryCodes(database: Database, userId: string, at: Date): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    encodeBase32LowerCaseNoPadding(randomBytes(7)).slice(0, 10),
  );
  await database.recoveryCodes.deleteMany({ user_id: userId });
  const docs = await Promise.all(codes.map(async (code) => ({ _id: await hashCode(userId, code), user_id: userId, created_at: at })));
  await database.recoveryCodes.insertMany(docs);
  return codes.map((code) => `${code.slice(0, 5)}-${code.slice(5)}`);
}

/** Uses up one code; false when it is not one of the user's (or was used already, here or in parallel). */
export async function useRecoveryCode(database: Database, userId: string, input: unknown): Promise<boolean> {
  const code = normalizeRecoveryCode(input);
  if (!code) return false;
  const deleted = await database.recoveryCodes.deleteOne({ _id: await hashCode(userId, code), user_id: userId });
  return deleted.deletedCount === 1;
}

export async function remainingRecoveryCodes(database: Database, userId: string): Promise<number> {
  return database.recoveryCodes.countDocuments({ user_id: userId });
}
