// Recovery codes: ten random codes shown once, each usable once: using one is
// a delete, which is atomic on every server we support. A code is 20 base32
// characters (100 bits), shown in groups of four. Stored only as
// HMAC-SHA256(`<user id>:<code>`) under the server's `recovery_codes` key
// (keys.ts), so a leaked collection cannot be searched without that key.
//
// Codes made before (10 characters, stored as SHA-256 of `<user id>:<code>`)
// keep working until used or replaced: the length of what is typed tells the
// format, so each attempt is still one lookup (no version field is stored).
import { createHmac, randomBytes } from 'node:crypto';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import type { Database } from '@authkit/db';
import { sha256hex } from '../tokens.ts';

export const RECOVERY_CODE_COUNT = 10;
const CODE_LENGTH = 20;
const GROUP = 4;
const CODE_PATTERN = /^[a-z2-7]{20}$/;
/** The format before: 10 characters (50 bits), unkeyed hash. */
const LEGACY_PATTERN = /^[a-z2-7]{10}$/;

/** What people may type: any case, spaces and dashes ignored. Null for neither format. */
export function normalizeRecoveryCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 64) return null;
  const code = input.replace(/[\s-]/g, '').toLowerCase();
  return CODE_PATTERN.test(code) || LEGACY_PATTERN.test(code) ? code : null;
}

async function hashCode(key: Uint8Array, userId: string, code: string): Promise<string> {
  if (LEGACY_PATTERN.test(code)) return sha256hex(`${userId}:${code}`);
  return createHmac('sha256', key).update(`${userId}:${code}`).digest('hex');
}

/** Replaces every recovery code of the user; resolves to the new ones, as shown to the user (`abcd-efgh-ijkl-mnop-qrst`). */
export async function replaceRecoveryCodes(database: Database, key: Uint8Array, userId: string, at: Date): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    // 13 random bytes are 104 bits: the first 20 characters carry 100 of them.
    encodeBase32LowerCaseNoPadding(randomBytes(13)).slice(0, CODE_LENGTH),
  );
  await database.recoveryCodes.deleteMany({ user_id: userId });
  const docs = await Promise.all(
    codes.map(async (code) => ({ _id: await hashCode(key, userId, code), user_id: userId, created_at: at })),
  );
  await database.recoveryCodes.insertMany(docs);
  return codes.map((code) => code.match(new RegExp(`.{${GROUP}}`, 'g'))!.join('-'));
}

/** Uses up one code; false when it is not one of the user's (or was used already, here or in parallel). */
export async function useRecoveryCode(database: Database, key: Uint8Array, userId: string, input: unknown): Promise<boolean> {
  const code = normalizeRecoveryCode(input);
  if (!code) return false;
  const deleted = await database.recoveryCodes.deleteOne({ _id: await hashCode(key, userId, code), user_id: userId });
  return deleted.deletedCount === 1;
}

export async function remainingRecoveryCodes(database: Database, userId: string): Promise<number> {
  return database.recoveryCodes.countDocuments({ user_id: userId });
}
