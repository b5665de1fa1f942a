// Keys per purpose: derived from AUTH_SECRET_KEY, or made once per database.
import { randomBytes } from 'node:crypto';
import { createAuth } from './auth.ts';
import { describe, expect, it } from 'vitest';
import { useTestAuth } from './test-harness.ts';

describe('siteCookieKey without AUTH_SECRET_KEY', () => {
  const { auth, database } = useTestAuth();

  it('is made once per database: every process on it gets the same 32 bytes', async () => {
    const first = await auth.siteCookieKey();
    expect(first).toHaveLength(32);
    const other = createAuth({ database: database.current });
    expect(Buffer.from(await other.siteCookieKey()).equals(Buffer.from(first))).toBe(true);
    const stored = await database.current.secrets.findOne({ _id: 'site_cookies' });
    expect(stored?.key).toBe(Buffer.from(first).toString('base64'));
  });
});

describe('siteCookieKey with AUTH_SECRET_KEY', () => {
  const secretKey = randomBytes(32);
  const { auth, database } = useTestAuth({ secretKey });

  it('is derived for this purpose alone: not the configured key, the same in every process', async () => {
    const key = await auth.siteCookieKey();
    expect(key).toHaveLength(32);
    expect(Buffer.from(key).equals(secretKey)).toBe(false);
    const other = createAuth({ database: database.current, secretKey });
    expect(Buffer.from(await other.siteCookieKey()).equals(Buffer.from(key))).toBe(true);
    const otherSecret = createAuth({ database: database.current, secretKey: randomBytes(32) });
    expect(Buffer.from(await otherSecret.siteCookieKey()).equals(Buffer.from(key))).toBe(false);
    expect(await database.current.secrets.findOne({ _id: 'site_cookies' })).toBeNull();
  });
});
