// Passkeys (WebAuthn, server side, with @simplewebauthn/server): registration
// by a signed-in user with a fresh session, usernameless sign-in (a complete
// sign-in: the authenticator verifies its user), and re-authentication that
// restores freshness. The relying party is the site (SITE_URL's host and
// origin, SITE_NAME). Challenges are kept server-side, stored by their hash,
// single use and short-lived; the client only sends the authenticator's
// response back, which carries the challenge. Counters only go forward.
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { PasskeyDoc, WebauthnChallengeDoc } from '@authkit/db';
import { freshSessionDoc, liveSessionDoc, MESSAGES, renewFreshness, type AuthCore } from '../core.ts';
import { renewSecurityStamp } from '../security-stamp.ts';
import { toPublicUser } from '../convert.ts';
import { AuthError } from '../errors.ts';
import { withClaim } from '../claims.ts';
import type { MailMessage } from '../mail/outbox.ts';
import { passkeyAddedNotice, passkeyRemovedNotice, requestDetails, type MailContext, type RequestDetails } from '../mail/templates.ts';
import { sha256hex, throttleAddress } from '../tokens.ts';
import { defaultPasskeyName } from './passkey-names.ts';
import type { LoginResult, PasskeyInfo, PublicUser, RequestInfo, SessionInfo } from '../types.ts';

/** How long a ceremony's challenge works. */
export const PASSKEY_CHALLENGE_MS = 3 * 60_000;

type WebauthnLibrary = [typeof import('@simplewebauthn/server'), typeof import('@simplewebauthn/server/helpers')];
let webauthnLibrary: Promise<WebauthnLibrary> | undefined;

/**
 * The WebAuthn library (about 4 MB of heap and 13 MB resident with its CBOR,
 * certificate and attestation code) loads on the first passkey ceremony, not
 * when the server starts: most processes serve far more requests than passkeys.
 */
function webauthn(): Promise<WebauthnLibrary> {
  webauthnLibrary ??= Promise.all([import('@simplewebauthn/server'), import('@simplewebauthn/server/helpers')]).catch(
    (error: unknown) => {
      webauthnLibrary = undefined; // a failed load is tried again next time
      throw error;
    },
  );
  return webauthnLibrary;
}
const MAX_PASSKEYS = 20;
const MAX_NAME = 64;
/** Sign-ins with one passkey take turns to compare and store its counter (a few ms each). */
const COUNTER_CLAIM = { lifetimeMs: 5_000, waitMs: 3_000 };

export type Passkeys = ReturnType<typeof createPasskeys>;

export function createPasskeys(core: AuthCore) {
  const { settings, database, now, events } = core;
  const origin = new URL(settings.siteUrl).origin;
  const rpID = new URL(settings.siteUrl).hostname;
  const refused = (message = 'This passkey could not be verified.') =>
    new AuthError('VALIDATION', message, { fieldErrors: { response: [message] } });

  /**
   * Stores a ceremony's challenge, within a quota: per account when signed in,
   * per client address (IPv6 by /64) for a usernameless sign-in, which anybody
   * can ask for. The quota's window is the challenge's lifetime, so the quota is
   * also the cap on a key's outstanding challenges, and a refused call writes
   * nothing; expired ones go with the sweep (FerretDB has no TTL index).
   *
   * Chosen over a stateless, signed usernameless challenge: that would still
   * need a stored record of used challenges to stay single use, and a second
   * way to check challenges next to this one (whose single use is an atomic
   * delete). The price: many addresses get many challenges, at most
   * passkeyChallengesPerWindow each per 3 minutes.
   */
  async function keepChallenge(
    purpose: WebauthnChallengeDoc['purpose'],
    userId: string | null,
    challenge: string,
    request: RequestInfo | undefined,
  ) {
    // No address known (an in-process caller, a socket already gone): one shared key.
    const quotaId = userId
      ? `passkey-options:user:${userId}`
      : `passkey-options:${request?.ip ? throttleAddress(request.ip) : 'unknown'}`;
    const perWindow = settings.throttle.passkeyChallengesPerWindow;
    await core.throttle.takeQuota({ id: quotaId, scope: 'passkey' }, perWindow, PASSKEY_CHALLENGE_MS, now());
    await database.webauthnChallenges.insertOne({
      _id: await sha256hex(challenge),
      purpose,
      user_id: userId,
      challenge,
      expires_at: new Date(now().getTime() + PASSKEY_CHALLENGE_MS),
    });
  }

  /** The challenge the response was made for, used up; null when unknown, expired, used, or for another ceremony. */
  async function takeChallenge(response: { response?: { clientDataJSON?: unknown } }, purpose: WebauthnChallengeDoc['purpose']) {
    const [, { decodeClientDataJSON }] = await webauthn();
    let challenge: string;
    try {
      const clientData = response?.response?.clientDataJSON;
      if (typeof clientData !== 'string' || clientData.length > 4096) return null;
      challenge = decodeClientDataJSON(clientData).challenge;
      if (typeof challenge !== 'string' || challenge.length > 512) return null;
    } catch {
      return null;
    }
    const id = await sha256hex(challenge);
    const doc = await database.webauthnChallenges.findOne({ _id: id });
    // Deleted before use: a delete is atomic, so a challenge serves one response only.
    const taken = await database.webauthnChallenges.deleteOne({ _id: id });
    if (!doc || taken.deletedCount !== 1 || doc.purpose !== purpose || doc.expires_at <= now()) return null;
    return doc;
  }

  /** A change to the user's passkeys, mailed to the owner (review 2026-12-05, finding 2: no silent new way in). */
  async function announce(
    userId: string,
    notice: (context: MailContext, details: RequestDetails) => MailMessage,
    request: RequestInfo,
  ): Promise<void> {
    const user = await database.users.findOne({ _id: userId }, { projection: { username: 1, email: 1 } });
    if (!user) return;
    await core.mail.send(notice(core.mail.contextFor(user), requestDetails(request, now())));
  }

  function info(doc: PasskeyDoc): PasskeyInfo {
    return {
      id: doc._id,
      name: doc.name,
      createdAt: doc.created_at,
      lastUsedAt: doc.last_used_at,
      backedUp: doc.backed_up,
      deviceType: doc.device_type,
      transports: doc.transports,
    };
  }

  /** A name as typed, trimmed; '' only when `optional` (the caller then picks a default). */
  function cleanName(name: unknown, optional = false): string {
    const trimmed = typeof name === 'string' ? name.normalize('NFC').trim() : '';
    if (!trimmed && optional) return '';
    if (!trimmed || [...trimmed].length > MAX_NAME || /\p{Cc}/u.test(trimmed)) {
      const message = `Give the passkey a name of 1 to ${MAX_NAME} characters.`;
      throw new AuthError('VALIDATION', message, { fieldErrors: { name: [message] } });
    }
    return trimmed;
  }

  /** Fresh session: options for navigator.credentials.create() (a discoverable credential, user verification required). */
  async function passkeyRegistrationOptions(session: SessionInfo, request: RequestInfo): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const doc = await freshSessionDoc(core, session, request, 'passkey_register');
    const user = await database.users.findOne({ _id: doc.user_id }, { projection: { username: 1, email: 1 } });
    if (!user) throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
    const existing = await database.passkeys.find({ user_id: doc.user_id }, { projection: { _id: 1, transports: 1 } }).toArray();
    if (existing.length >= MAX_PASSKEYS) throw new AuthError('CONFLICT', `At most ${MAX_PASSKEYS} passkeys per account.`);
    const [{ generateRegistrationOptions }] = await webauthn();
    const options = await generateRegistrationOptions({
      rpName: settings.siteName,
      rpID,
      userName: user.username,
      // Shown by authenticators in their list of passkeys (WebAuthn's user.displayName).
      userDisplayName: user.username,
      // The random account id (no personal data) is the user handle.
      userID: new TextEncoder().encode(doc.user_id),
      attestationType: 'none',
      excludeCredentials: existing.map((key) => ({ id: key._id, transports: key.transports as AuthenticatorTransport[] })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      timeout: PASSKEY_CHALLENGE_MS,
    });
    await keepChallenge('registration', doc.user_id, options.challenge, request);
    return options;
  }

  /**
   * Fresh session: verifies the authenticator's answer and stores the passkey
   * under `name`; an empty name takes a default (passkey-names.ts: the
   * authenticator's by AAGUID, else the browser's, numbered when taken).
   */
  async function registerPasskey(
    session: SessionInfo,
    response: RegistrationResponseJSON,
    name: string,
    request: RequestInfo,
  ): Promise<PasskeyInfo> {
    const doc = await freshSessionDoc(core, session, request, 'passkey_register');
    const typedName = cleanName(name, true);
    const challenge = await takeChallenge(response, 'registration');
    if (!challenge || challenge.user_id !== doc.user_id) throw refused('This passkey request has expired. Try again.');
    const [{ verifyRegistrationResponse }] = await webauthn();
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        requireUserVerification: true,
      });
    } catch {
      throw refused();
    }
    if (!verified.verified || !verified.registrationInfo) throw refused();
    const { credential, credentialBackedUp, credentialDeviceType, aaguid } = verified.registrationInfo;
    const names = await database.passkeys.find({ user_id: doc.user_id }, { projection: { name: 1 } }).toArray();
    if (names.length >= MAX_PASSKEYS) {
      throw new AuthError('CONFLICT', `At most ${MAX_PASSKEYS} passkeys per account.`);
    }
    const passkeyName = typedName || defaultPasskeyName(aaguid, request.userAgent, names.map((key) => key.name));
    const stored: PasskeyDoc = {
      _id: credential.id,
      user_id: doc.user_id,
      public_key: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports ?? [],
      backed_up: credentialBackedUp,
      device_type: credentialDeviceType,
      name: passkeyName,
      created_at: now(),
      last_used_at: null,
    };
    try {
      await database.passkeys.insertOne(stored);
    } catch {
      // The credential id is the key: one authenticator credential, one account.
      throw refused('This passkey is already registered.');
    }
    await events.record('passkey_added', doc.user_id, request, { name: passkeyName });
    await announce(doc.user_id, (context, details) => passkeyAddedNotice(context, passkeyName, details), request);
    return info(stored);
  }

  /** Options for navigator.credentials.get(): usernameless (any passkey of this site), or the signed-in user's for re-authentication. */
  async function passkeyAuthenticationOptions(
    session?: SessionInfo | null,
    request?: RequestInfo,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const userId = session ? (await liveSessionDoc(core, session)).user_id : null;
    const allow = userId
      ? await database.passkeys.find({ user_id: userId }, { projection: { _id: 1, transports: 1 } }).toArray()
      : [];
    const [{ generateAuthenticationOptions }] = await webauthn();
    const options = await generateAuthenticationOptions({
      rpID,
      userVerification: 'required',
      allowCredentials: allow.map((key) => ({ id: key._id, transports: key.transports as AuthenticatorTransport[] })),
      timeout: PASSKEY_CHALLENGE_MS,
    });
    await keepChallenge('authentication', userId, options.challenge, request);
    return options;
  }

  /** Verifies an assertion; resolves to the passkey used (its counter and last use updated). */
  async function verifyAssertion(response: AuthenticationResponseJSON, request: RequestInfo, userId: string | null): Promise<PasskeyDoc> {
    const challenge = await takeChallenge(response, 'authentication');
    if (!challenge) throw refused('This passkey request has expired. Try again.');
    const credentialId = typeof response?.id === 'string' ? response.id : '';
    const passkey = credentialId ? await database.passkeys.findOne({ _id: credentialId }) : null;
    const wrongUser = passkey && ((challenge.user_id !== null && challenge.user_id !== passkey.user_id) || (userId !== null && userId !== passkey.user_id));
    if (!passkey || wrongUser) throw refused('This passkey is not registered here.');
    const failed = async (reason: string) => {
      await events.record('second_factor_failed', passkey.user_id, request, { method: 'passkey', reason });
      return refused();
    };
    // A discoverable credential names its account: it must be the one the passkey belongs to.
    const handle = response.response?.userHandle;
    if (handle !== undefined && handle !== Buffer.from(passkey.user_id).toString('base64url')) throw await failed('user_handle');
    const [{ verifyAuthenticationResponse }] = await webauthn();
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        credential: {
          id: passkey._id,
          publicKey: new Uint8Array(Buffer.from(passkey.public_key, 'base64url')),
          counter: passkey.counter,
          transports: passkey.transports as AuthenticatorTransport[],
        },
        requireUserVerification: true,
      });
    } catch {
      throw await failed('verification');
    }
    const { newCounter, credentialBackedUp } = verified.authenticationInfo;
    if (!verified.verified) throw await failed('verification');
    const changes = { counter: newCounter, backed_up: credentialBackedUp, last_used_at: now() };
    // 0 and 0: an authenticator that keeps no counter (many passkey providers); nothing to compare.
    const keepsCounter = newCounter > 0 || passkey.counter > 0;
    if (keepsCounter) {
      // A counter that does not move forward means a cloned authenticator.
      // Compared and stored under a per-passkey claim (a unique insert, atomic
      // on FerretDB too, unlike a conditional update there), so that of
      // parallel assertions with the same counter only one signs in, and a
      // lower counter arriving at the same time never moves the stored one back.
      if (newCounter <= passkey.counter) throw await failed('counter');
      const claim = await withClaim(database, `passkey-counter:${passkey._id}`, COUNTER_CLAIM, async () => {
        const current = await database.passkeys.findOne({ _id: passkey._id }, { projection: { counter: 1 } });
        if (!current || newCounter <= current.counter) return false;
        const moved = await database.passkeys.updateOne({ _id: passkey._id, counter: { $lt: newCounter } }, { $set: changes });
        return moved.matchedCount === 1;
      });
      if (!claim.done || !claim.result) throw await failed('counter');
    } else {
      await database.passkeys.updateOne({ _id: passkey._id }, { $set: changes });
    }
    await events.record('passkey_used', passkey.user_id, request, { name: passkey.name });
    return { ...passkey, ...changes };
  }

  /** A complete sign-in with a passkey: the account it proves (sign-in.ts then makes the session). */
  async function verifyPasskeySignIn(response: AuthenticationResponseJSON, request: RequestInfo): Promise<PublicUser> {
    const passkey = await verifyAssertion(response, request, null);
    // With the hash: toPublicUser says whether there is one (the hash itself stays here).
    const user = await database.users.findOne({ _id: passkey.user_id });
    if (!user) throw refused('This passkey is not registered here.');
    if (!user.active) throw new AuthError('INACTIVE', MESSAGES.inactive);
    return toPublicUser(user);
  }

  /** Re-authentication with one of the signed-in user's passkeys: the session is fresh again. */
  async function reauthenticateWithPasskey(
    session: SessionInfo,
    response: AuthenticationResponseJSON,
    request: RequestInfo,
  ): Promise<LoginResult> {
    const doc = await liveSessionDoc(core, session);
    await verifyAssertion(response, request, doc.user_id);
    const renewed = await renewFreshness(core, doc, request, ['passkey']);
    await events.record('login', doc.user_id, request, { reauthentication: true, passkey: true });
    return renewed;
  }

  async function listPasskeys(session: SessionInfo): Promise<PasskeyInfo[]> {
    const doc = await liveSessionDoc(core, session);
    const keys = await database.passkeys.find({ user_id: doc.user_id }).sort({ created_at: 1, _id: 1 }).toArray();
    return keys.map(info);
  }

  /** Fresh session; only the user's own passkeys (NOT_FOUND otherwise). */
  async function renamePasskey(session: SessionInfo, passkeyId: string, name: string, request: RequestInfo): Promise<PasskeyInfo> {
    const doc = await freshSessionDoc(core, session, request, 'passkey_rename');
    const passkeyName = cleanName(name);
    const updated = await database.passkeys.findOneAndUpdate(
      { _id: String(passkeyId), user_id: doc.user_id },
      { $set: { name: passkeyName } },
      { returnDocument: 'after' },
    );
    if (!updated) throw new AuthError('NOT_FOUND', 'No such passkey.');
    return info(updated);
  }

  /** Fresh session; only the user's own passkeys (NOT_FOUND otherwise). */
  async function removePasskey(session: SessionInfo, passkeyId: string, request: RequestInfo): Promise<void> {
    const doc = await freshSessionDoc(core, session, request, 'passkey_remove');
    const found = await database.passkeys.findOne({ _id: String(passkeyId), user_id: doc.user_id });
    const deleted = await database.passkeys.deleteOne({ _id: String(passkeyId), user_id: doc.user_id });
    if (!found || deleted.deletedCount !== 1) throw new AuthError('NOT_FOUND', 'No such passkey.');
    await events.record('passkey_removed', doc.user_id, request, { name: found.name });
    // A factor removed: what was issued before (other sessions, links, device tokens) ends.
    await renewSecurityStamp(core, doc.user_id, { keepSessionId: doc._id });
    await announce(doc.user_id, (context, details) => passkeyRemovedNotice(context, found.name, details), request);
  }

  return {
    passkeyRegistrationOptions,
    registerPasskey,
    passkeyAuthenticationOptions,
    verifyPasskeySignIn,
    reauthenticateWithPasskey,
    listPasskeys,
    renamePasskey,
    removePasskey,
  };
}
