// Showing what two-step set-up gives the user: the key in groups of four (as
// authenticator apps and GitHub show it), and the recovery codes as a text
// file to download.

/** "ABCDEFGH…" as ["ABCD", "EFGH", …]. */
export function secretGroups(secret: string): string[] {
  return secret.match(/.{1,4}/g) ?? [];
}

/** The downloaded file: what the codes are for, and one code a line. */
export function recoveryCodesFile(siteName: string, codes: readonly string[]): string {
  return [
    `${siteName} recovery codes for two-step verification`,
    'Each code signs you in once if you cannot use your authenticator app.',
    'Keep them somewhere safe; making new codes voids these.',
    '',
    ...codes,
    '',
  ].join('\n');
}
