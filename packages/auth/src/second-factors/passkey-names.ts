// A name for a passkey the user did not name: the authenticator's, known by
// its AAGUID (a small table of common ones, from the community list at
// github.com/passkeydeveloper/passkey-authenticator-aaguids), else the browser
// and system it was added from ("Chrome on Linux"), else "Passkey". Only a
// label for the owner's list: the AAGUID is not verified (attestation 'none')
// and decides nothing.
import { describeBrowser } from '../mail/templates.ts';

const YUBIKEY = 'YubiKey';
const YUBICO_SECURITY_KEY = 'Security Key by Yubico';

/** AAGUID (lower case) → the name people know the authenticator by. */
export const AUTHENTICATOR_NAMES: Readonly<Record<string, string>> = {
  'fbfc3007-154e-4ecc-8c0b-6e020557d7bd': 'iCloud Keychain',
  'dd4ec289-e01d-41c9-bb89-70fa845d4bf2': 'iCloud Keychain',
  'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4': 'Google Password Manager',
  'adce0002-35bc-c60a-648b-0b25f1f05503': 'Chrome on Mac',
  'b5397666-4885-aa6b-cebf-e52262a439a2': 'Chromium',
  '771b48fd-d3d4-4f74-9232-fc157ab0507a': 'Edge on Mac',
  'd3452668-01fd-4c12-926c-83a4204853aa': 'Microsoft Password Manager',
  '08987058-cadc-4b81-b6e1-30de50dcbe96': 'Windows Hello',
  '9ddd1817-af5a-4672-a2b9-3e3dd95000a9': 'Windows Hello',
  '6028b017-b1d4-4c02-b4b3-afcdafc96bb2': 'Windows Hello',
  'bada5566-a7aa-401f-bd96-45619a55120d': '1Password',
  'd548826e-79b4-db40-a3d8-11116f7e8349': 'Bitwarden',
  '531126d6-e717-415c-9320-3d9aa6981239': 'Dashlane',
  'b84e4048-15dc-4dd0-8640-f4f60813c8af': 'NordPass',
  '0ea242b4-43c4-4a1b-8b17-dd6d0b6baec6': 'Keeper',
  'f3809540-7f14-49c1-a8b3-8f813b225541': 'Enpass',
  '50726f74-6f6e-5061-7373-50726f746f6e': 'Proton Pass',
  'fdb141b2-5d84-443e-8a35-4698c205a502': 'KeePassXC',
  '53414d53-554e-4700-0000-000000000000': 'Samsung Pass',
  'b78a0a55-6ef8-d246-a042-ba0f6d55050c': 'LastPass',
  // Yubico's keys: one name per family (the model variants differ by firmware).
  'cb69481e-8ff7-4039-93ec-0a2729a154a8': YUBIKEY,
  'ee882879-721c-4913-9775-3dfcce97072a': YUBIKEY,
  'fa2b99dc-9e39-4257-8f92-4a30d23c4118': YUBIKEY,
  '2fc0579f-8113-47ea-b116-bb5a8db9202a': YUBIKEY,
  'c5ef55ff-ad9a-4b9f-b580-adebafe026d0': YUBIKEY,
  '73bb0cd4-e502-49b8-9c6f-b59445bf720b': YUBIKEY,
  'd8522d9f-575b-4866-88a9-ba99fa02f35b': YUBIKEY,
  '149a2021-8ef6-4133-96b8-81f8d5b7f1f5': YUBICO_SECURITY_KEY,
  '6d44ba9b-f6ec-2e49-b930-0c8fe920cb73': YUBICO_SECURITY_KEY,
  'b92c3f9a-c014-4056-887f-140a2501163b': YUBICO_SECURITY_KEY,
  'f8a011f3-8c0a-4d15-8006-17111f9edc7d': YUBICO_SECURITY_KEY,
};

/** The authenticator's name by its AAGUID; null for an unknown one (or the all-zero AAGUID many send). */
export function authenticatorName(aaguid: string | null | undefined): string | null {
  if (typeof aaguid !== 'string') return null;
  const key = aaguid.toLowerCase();
  return Object.hasOwn(AUTHENTICATOR_NAMES, key) ? (AUTHENTICATOR_NAMES[key] ?? null) : null;
}

/**
 * The default name: the authenticator's, else the browser's ("Chrome on
 * Linux"), else "Passkey"; with " (2)", " (3)"… when the account already has a
 * passkey of that name, so that two can be told apart.
 */
export function defaultPasskeyName(
  aaguid: string | null | undefined,
  userAgent: string | null | undefined,
  taken: readonly string[] = [],
): string {
  const browser = describeBrowser(userAgent ?? null);
  // describeBrowser's words for "nothing known" (or "a browser on X") make a poor name.
  const fromBrowser = /^an? /.test(browser) ? null : browser;
  const base = authenticatorName(aaguid) ?? fromBrowser ?? 'Passkey';
  const names = new Set(taken.map((name) => name.toLowerCase()));
  if (!names.has(base.toLowerCase())) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base} (${n})`;
    if (!names.has(candidate.toLowerCase())) return candidate;
  }
}
