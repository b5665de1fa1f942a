import { describe, expect, it } from 'vitest';
import { authenticatorName, defaultPasskeyName } from './passkey-names.ts';

const CHROME_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

describe('authenticatorName', () => {
  it('knows common authenticators by AAGUID, in any case', () => {
    expect(authenticatorName('fbfc3007-154e-4ecc-8c0b-6e020557d7bd')).toBe('iCloud Keychain');
    expect(authenticatorName('EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4')).toBe(
      'Google Password Manager',
    );
    expect(authenticatorName('08987058-cadc-4b81-b6e1-30de50dcbe96')).toBe('Windows Hello');
    expect(authenticatorName('bada5566-a7aa-401f-bd96-45619a55120d')).toBe('1Password');
    expect(authenticatorName('d548826e-79b4-db40-a3d8-11116f7e8349')).toBe('Bitwarden');
    expect(authenticatorName('cb69481e-8ff7-4039-93ec-0a2729a154a8')).toBe('YubiKey');
  });

  it('has no name for the all-zero AAGUID, an unknown one or none', () => {
    expect(authenticatorName('00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(authenticatorName('12345678-1234-1234-1234-123456789abc')).toBeNull();
    expect(authenticatorName(undefined)).toBeNull();
    // Not an own property of the table.
    expect(authenticatorName('constructor')).toBeNull();
  });
});

describe('defaultPasskeyName', () => {
  it('takes the authenticator’s name first', () => {
    expect(defaultPasskeyName('fbfc3007-154e-4ecc-8c0b-6e020557d7bd', SAFARI_IPHONE)).toBe(
      'iCloud Keychain',
    );
  });

  it('falls back to the browser and system it was added from', () => {
    expect(defaultPasskeyName('00000000-0000-0000-0000-000000000000', CHROME_LINUX)).toBe(
      'Chrome on Linux',
    );
    expect(defaultPasskeyName(null, SAFARI_IPHONE)).toBe('Safari on iOS');
  });

  it('is "Passkey" when nothing is known', () => {
    expect(defaultPasskeyName(null, null)).toBe('Passkey');
    expect(defaultPasskeyName(null, 'something odd')).toBe('Passkey');
    // "a browser on Linux" is no name for a passkey.
    expect(defaultPasskeyName(null, 'Mozilla/5.0 (X11; Linux x86_64)')).toBe('Passkey');
  });

  it('numbers a name the account already has', () => {
    expect(defaultPasskeyName(null, CHROME_LINUX, ['Chrome on Linux'])).toBe('Chrome on Linux (2)');
    expect(defaultPasskeyName(null, CHROME_LINUX, ['chrome on linux', 'Chrome on Linux (2)'])).toBe(
      'Chrome on Linux (3)',
    );
    expect(defaultPasskeyName(null, CHROME_LINUX, ['Work laptop'])).toBe('Chrome on Linux');
  });
});
