// A passkey sign-in runs in the browser against the API (through /trpc), not
// in a form action: the forwarder reads the API's answer to it to greet the
// user as a password sign-in does (the welcome flash, and the count of failed
// sign-ins for the dashboard).

/** The API's procedure for a complete sign-in with a passkey. */
export const PASSKEY_SIGN_IN = 'auth.passkeys.authenticate';

export interface PasskeySignedIn {
  username: string;
  failedSignInsSinceLastVisit: number;
}

/**
 * From the API's JSON answer (a batch, `[{ result: { data } }, ...]`, or one
 * `{ result: { data } }`), the sign-in at `index`; null when it is not a
 * signed-in answer (an error, something else).
 */
export function passkeySignedIn(body: string, index: number): PasskeySignedIn | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const entry = Array.isArray(parsed) ? parsed[index] : index === 0 ? parsed : null;
  const data = (entry as { result?: { data?: unknown } } | null)?.result?.data as
    | {
        secondFactorRequired?: unknown;
        user?: { username?: unknown };
        failedSignInsSinceLastVisit?: unknown;
      }
    | undefined;
  if (!data || data.secondFactorRequired !== false) return null;
  const username = data.user?.username;
  if (typeof username !== 'string' || username.length === 0 || username.length > 256) return null;
  const failed = data.failedSignInsSinceLastVisit;
  return {
    username,
    failedSignInsSinceLastVisit:
      typeof failed === 'number' && Number.isInteger(failed) && failed > 0 ? failed : 0,
  };
}
