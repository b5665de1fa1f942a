// The passkeys' relying party is the host of SITE_URL. Browsers refuse an IP
// address as an RP ID (WebAuthn's "valid domain" rule: a SecurityError), so a
// site reached by its address cannot offer passkeys: both apps warn at start
// and the site hides its passkey buttons.
import { isIP } from 'node:net';

/** The RP ID passkeys are bound to: SITE_URL's host name. */
export function relyingPartyId(siteUrl: string): string {
  return new URL(siteUrl).hostname;
}

/** True when SITE_URL's host is an IPv4 or IPv6 address (never a valid RP ID). */
export function relyingPartyIsAddress(siteUrl: string): boolean {
  // URL keeps the brackets of an IPv6 host: [::1].
  const host = relyingPartyId(siteUrl).replace(/^\[(.*)\]$/, '$1');
  return isIP(host) !== 0;
}

/** The start-up warning for such a SITE_URL, or null. */
export function relyingPartyWarning(siteUrl: string): string | null {
  if (!relyingPartyIsAddress(siteUrl)) return null;
  return (
    `SITE_URL (${new URL(siteUrl).origin}) names an IP address: browsers refuse an address ` +
    "as the passkeys' relying party, so passkeys are off. Reach the site by a host name " +
    '(e.g. http://localhost:5173 in development) to use them.'
  );
}
