// A software WebAuthn authenticator for tests: ES256 keys from node:crypto,
// attestation 'none', the authenticator data and CBOR built by hand as an
// authenticator does (https://www.w3.org/TR/webauthn-3/#sctn-authenticator-data).
// Browsers' own part is tested later with Chromium's virtual authenticator.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  userHandle: string;
  rpId: string;
  counter: number;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface SoftAuthenticator {
  /** Answers navigator.credentials.create() options (a new credential each time). */
  register(options: PublicKeyCredentialCreationOptionsJSON, origin?: string): RegistrationResponseJSON;
  /** Answers navigator.credentials.get() options with a credential of its own (the first one allowed, or the latest). */
  authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    choose?: { credentialId?: string; origin?: string },
  ): AuthenticationResponseJSON;
  /** Sets the signature counter of a credential (to test clones and counters). */
  setCounter(credentialId: string, counter: number): void;
  credentialIds(): string[];
}

/** `counterStep` 0 makes an authenticator that keeps no counter (as many passkey providers do). */
export function createSoftAuthenticator(
  site: { origin: string },
  options: { counterStep?: number; /** The model's AAGUID (UUID text); all zeros by default, as many send. */ aaguid?: string } = {},
): SoftAuthenticator {
  const credentials: SoftCredential[] = [];
  const aaguid = options.aaguid ? Buffer.from(options.aaguid.replace(/-/g, ''), 'hex') : Buffer.alloc(16);
  const counterStep = options.counterStep ?? 1;
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
  const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

  function authData(rpId: string, flags: number, counter: number, attested?: Uint8Array): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  function clientData(type: string, challenge: string, origin: string): string {
    return b64(Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false })));
  }

  return {
    register(creation, origin = site.origin) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      const cose = isoCBOR.encode(
        new Map<number, number | Uint8Array>([
          [1, 2], // kty: EC2
          [3, -7], // alg: ES256
          [-1, 1], // crv: P-256
          [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
          [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
        ]),
      );
      const id = randomBytes(16);
      const rpId = creation.rp.id ?? new URL(origin).hostname;
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(id.length);
      const attested = Buffer.concat([aaguid, idLength, id, Buffer.from(cose)]);
      const data = authData(rpId, FLAG_UP | FLAG_UV | FLAG_AT, 0, attested);
      const attestationObject = isoCBOR.encode(
        new Map<string, string | Uint8Array | Map<string, string>>([
          ['fmt', 'none'],
          ['attStmt', new Map<string, string>()],
          ['authData', new Uint8Array(data)],
        ]),
      );
      credentials.push({ id, privateKey, userHandle: creation.user.id, rpId, counter: 0 });
      return {
        id: b64(id),
        rawId: b64(id),
        type: 'public-key',
        response: {
          clientDataJSON: clientData('webauthn.create', creation.challenge, origin),
          attestationObject: b64(attestationObject),
          transports: ['internal'],
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },

    authenticate(request, choose = {}) {
      const allowed = new Set((request.allowCredentials ?? []).map((credential) => credential.id));
      const wanted = choose.credentialId;
      const credential = wanted
        ? credentials.find((candidate) => b64(candidate.id) === wanted)
        : [...credentials].reverse().find((candidate) => allowed.size === 0 || allowed.has(b64(candidate.id)));
      if (!credential) throw new Error('soft authenticator: no matching credential');
      credential.counter += counterStep;
      const origin = choose.origin ?? site.origin;
      const data = authData(request.rpId ?? credential.rpId, FLAG_UP | FLAG_UV, credential.counter);
      const clientDataJSON = clientData('webauthn.get', request.challenge, origin);
      const signed = Buffer.concat([data, sha256(Buffer.from(clientDataJSON, 'base64url'))]);
      return {
        id: b64(credential.id),
        rawId: b64(credential.id),
        type: 'public-key',
        response: {
          clientDataJSON,
          authenticatorData: b64(data),
          // ES256 signatures are DER-encoded, node's default for EC keys.
          signature: b64(sign('sha256', signed, credential.privateKey)),
          userHandle: credential.userHandle,
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },

    setCounter(credentialId, counter) {
      const credential = credentials.find((candidate) => b64(candidate.id) === credentialId);
      if (!credential) throw new Error('soft authenticator: no such credential');
      credential.counter = counter;
    },

    credentialIds: () => credentials.map((credential) => b64(credential.id)),
  };
}
