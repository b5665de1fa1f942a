// The application's keys, one per purpose. With AUTH_SECRET_KEY configured,
// each purpose gets its own key derived from it (HKDF-SHA256), except device
// cookies, which have always been signed with the configured key itself.
// Without one (dev and tests) a random key per purpose is made once per
// database and kept in `auth_secrets`, so every process agrees. No key is
// ever written in the source.
import { hkdfSync, randomBytes } from 'node:crypto';
import { isDuplicateKeyError, type Database } from '@authkit/db';
import type { AuthCore } from './core.ts';

/** `site_cookies`: the web app's HMAC of its own small cookies (flash, pending form). */
export type KeyPurpose = 'device_cookies' | 'totp_secrets' | 'recovery_codes' | 'site_cookies';

export type Keys = ReturnType<typeof createKeys>;

export function createKeys(core: Pick<AuthCore, 'settings' | 'database'>) {
  const { settings, database } = core;
  const made = new Map<KeyPurpose, Promise<Uint8Array>>();

  function key(purpose: KeyPurpose): Promise<Uint8Array> {
    const configured = settings.secretKey;
    if (configured) {
      if (purpose === 'device_cookies') return Promise.resolve(configured);
      return Promise.resolve(new Uint8Array(hkdfSync('sha256', configured, new Uint8Array(0), `authkit ${purpose} v1`, 32)));
    }
    let pending = made.get(purpose);
    if (!pending) {
      pending = databaseSecret(database, purpose).catch((error: unknown) => {
        made.delete(purpose); // try again next time (the database may be back)
        throw error;
      });
      made.set(purpose, pending);
    }
    return pending;
  }

  return { key };
}

/** The per-database key: made by whichever process comes first (a unique insert), read by the others. */
async function databaseSecret(database: Database, purpose: KeyPurpose): Promise<Uint8Array> {
  const existing = await database.secrets.findOne({ _id: purpose });
  if (existing) return Buffer.from(existing.key, 'base64');
  try {
    await database.secrets.insertOne({ _id: purpose, key: randomBytes(32).toString('base64'), created_at: new Date() });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  const doc = await database.secrets.findOne({ _id: purpose });
  if (!doc) throw new Error(`auth: the ${purpose} key could not be stored`);
  return Buffer.from(doc.key, 'base64');
}
