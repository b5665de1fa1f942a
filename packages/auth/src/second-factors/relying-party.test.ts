import { describe, expect, it } from 'vitest';
import { relyingPartyId, relyingPartyIsAddress, relyingPartyWarning } from './relying-party.ts';

describe('relying party (passkeys)', () => {
  it('is the host name of SITE_URL', () => {
    expect(relyingPartyId('https://example.com:8443/app')).toBe('example.com');
  });

  it.each(['http://127.0.0.1:5173', 'http://[::1]:5173', 'https://10.0.0.7'])(
    'an address is no relying party: %s',
    (siteUrl) => {
      expect(relyingPartyIsAddress(siteUrl)).toBe(true);
      expect(relyingPartyWarning(siteUrl)).toMatch(/SITE_URL .* IP address.*passkeys are off/);
    },
  );

  it.each(['http://localhost:5173', 'https://example.com', 'https://127-0-0-1.example.com'])(
    'a host name is one: %s',
    (siteUrl) => {
      expect(relyingPartyIsAddress(siteUrl)).toBe(false);
      expect(relyingPartyWarning(siteUrl)).toBeNull();
    },
  );
});
