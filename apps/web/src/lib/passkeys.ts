// The browser's part of passkeys: the WebAuthn ceremonies (@simplewebauthn/browser)
// with options from, and answers to, the API through @authkit/api-client. The
// API is reached at this site's /trpc, which forwards to it (same origin: the
// session cookie goes along, the CSP's connect-src stays 'self').
import { createApiClient, type ApiClient } from '@authkit/api-client';
import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  WebAuthnError,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/browser';

function api(): ApiClient {
  return createApiClient({ url: `${window.location.origin}/trpc` });
}

// The options travel as JSON: tRPC's inferred types widen the binary
// extension fields (never sent here) that the browser library types narrowly.
const requestOptions = (options: unknown) => options as PublicKeyCredentialRequestOptionsJSON;
const creationOptions = (options: unknown) => options as PublicKeyCredentialCreationOptionsJSON;
/** The response as JSON for the API (its extension results as a plain record). */
function sent<T extends AuthenticationResponseJSON | RegistrationResponseJSON>(response: T) {
  const clientExtensionResults: Record<string, unknown> = { ...response.clientExtensionResults };
  return { ...response, clientExtensionResults };
}

export function passkeysSupported(): boolean {
  return browserSupportsWebAuthn();
}

/** A usernameless sign-in: any passkey of this site; the API sets the session cookie. */
export async function signInWithPasskey(remember: boolean): Promise<void> {
  const client = api();
  const options = await client.auth.passkeys.authenticationOptions.mutate();
  const response = await startAuthentication({ optionsJSON: requestOptions(options) });
  await client.auth.passkeys.authenticate.mutate({ response: sent(response), remember });
}

/**
 * Adds a passkey to the signed-in account (fresh session); an empty name lets
 * the server name it (after the authenticator or this browser). Resolves to
 * the name it was given.
 */
export async function addPasskey(name: string): Promise<string> {
  const client = api();
  const options = await client.auth.passkeys.registrationOptions.mutate();
  const response = await startRegistration({ optionsJSON: creationOptions(options) });
  // Only what the API reads: the attestation, not the browser's convenience copies of its parts.
  const { clientDataJSON, attestationObject } = response.response;
  // Browsers may name transports the API does not know yet: those are left out.
  const transports = (response.response.transports ?? []).filter(isKnownTransport);
  const registered = await client.auth.passkeys.register.mutate({
    response: { ...sent(response), response: { clientDataJSON, attestationObject, transports } },
    name,
  });
  return registered.passkey.name;
}

/** Confirms the signed-in user with one of their passkeys: the session is fresh again. */
export async function reauthenticateWithPasskey(): Promise<void> {
  const client = api();
  const options = await client.auth.passkeys.reauthenticationOptions.mutate();
  const response = await startAuthentication({ optionsJSON: requestOptions(options) });
  await client.auth.passkeys.reauthenticate.mutate({ response: sent(response) });
}

const KNOWN_TRANSPORTS = [
  'ble',
  'cable',
  'hybrid',
  'internal',
  'nfc',
  'smart-card',
  'usb',
] as const;
function isKnownTransport(value: string): value is (typeof KNOWN_TRANSPORTS)[number] {
  return (KNOWN_TRANSPORTS as readonly string[]).includes(value);
}

export const PASSKEYS_MISCONFIGURED = 'Passkeys are not set up correctly on this site.';

interface ApiFailure {
  message?: string;
  data?: { httpStatus?: number; fieldErrors?: Record<string, string[] | undefined> } | null;
}

/** What went wrong, for the page: a site set up wrongly, a cancelled prompt, or the API's message. */
export function passkeyProblem(caught: unknown): { message: string; status?: number } {
  // The browser refused this site as the relying party (an IP address, or an
  // RP ID that is not this host): trying again cannot help.
  if (caught instanceof Error && caught.name === 'SecurityError') {
    return { message: PASSKEYS_MISCONFIGURED };
  }
  if (
    caught instanceof WebAuthnError ||
    (caught instanceof Error && caught.name === 'NotAllowedError')
  ) {
    return { message: 'The passkey prompt was cancelled or timed out. You can try again.' };
  }
  const failure = caught as ApiFailure | null;
  const status = failure?.data?.httpStatus;
  const field = failure?.data?.fieldErrors;
  const detail = field ? Object.values(field).flat().find(Boolean) : undefined;
  if (status && status < 500 && (detail || failure?.message)) {
    return { message: detail ?? failure?.message ?? '', status };
  }
  return { message: 'Something went wrong with the passkey. Please try again.', status };
}
