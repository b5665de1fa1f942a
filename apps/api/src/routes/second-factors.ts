// Second factors: the second step of a password sign-in (TOTP or a recovery
// code), TOTP set-up, and passkeys (WebAuthn; the browser runs the ceremonies
// with the options these procedures give, see packages/api-client).
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@authkit/auth';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { freshProcedure, protectedProcedure, publicProcedure } from '../trpc.ts';
import { limits, noInput } from './inputs.ts';
import { renewedSession, signedInAnswer } from './sign-in.ts';

const code = z.string().max(limits.code);
const recoveryCode = z.string().max(limits.recoveryCode);
/** A code from the app, or one of the recovery codes. */
const proof = z.union([z.strictObject({ code }), z.strictObject({ recoveryCode })]);

// The authenticator's answers, bounded; their content is checked by the auth package.
const b64url = z.string().max(16_384).regex(/^[A-Za-z0-9_-]*={0,2}$/, 'expected base64url');
const credentialBase = {
  id: b64url.max(1_024),
  rawId: b64url.max(1_024),
  type: z.literal('public-key'),
  clientExtensionResults: z.record(z.string().max(64), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
};
const transports = z.array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])).max(8);
const registrationResponse = z.object({
  ...credentialBase,
  response: z.object({
    clientDataJSON: b64url,
    attestationObject: b64url,
    transports: transports.optional(),
  }),
});
const authenticationResponse = z.object({
  ...credentialBase,
  response: z.object({
    clientDataJSON: b64url,
    authenticatorData: b64url,
    signature: b64url,
    userHandle: b64url.max(1_024).optional(),
  }),
});
const passkeyId = z.string().min(1).max(1_024);
const passkeyName = z.string().max(256);

function passkeyDto(passkey: {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  backedUp: boolean;
  deviceType: string;
}) {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: passkey.createdAt.toISOString(),
    lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
    backedUp: passkey.backedUp,
    deviceType: passkey.deviceType,
  };
}

export const secondFactorProcedures = {
  /**
   * The second step after auth.login answered `secondFactorRequired`: the
   * challenge and a code (or a recovery code). Answers like login (cookie, or
   * the token with `bearer: true`). 401 when the challenge is unknown, used or
   * expired; 400 with fieldErrors.code / .recoveryCode; 429 after wrong codes.
   */
  verifySecondFactor: publicProcedure
    .input(
      z.union([
        z.strictObject({ challenge: z.string().max(limits.token), code, bearer: z.boolean().optional() }),
        z.strictObject({ challenge: z.string().max(limits.token), recoveryCode, bearer: z.boolean().optional() }),
      ]),
    )
    .mutation(async ({ ctx, input }) => {
      const given = 'code' in input ? { code: input.code } : { recoveryCode: input.recoveryCode };
      const signedIn = await ctx.auth.completeSecondFactor(input.challenge, given, ctx.request);
      return signedInAnswer(ctx, signedIn, { bearer: input.bearer });
    }),
} satisfies TRPCRouterRecord;

export const totpRouter = {
  /** Fresh session: a new secret (shown once, with an otpauth:// URI and a QR code), pending until confirmed. */
  beginEnrolment: freshProcedure.input(noInput).mutation(async ({ ctx }) => {
    const enrolment = await ctx.auth.beginTotpEnrolment(ctx.session, ctx.request);
    return {
      secret: enrolment.secret,
      uri: enrolment.uri,
      qrSvg: enrolment.qrSvg,
      expiresAt: enrolment.expiresAt.toISOString(),
    };
  }),

  /** A first code from the app turns TOTP on; the answer holds the 10 recovery codes, shown this once. */
  confirmEnrolment: protectedProcedure
    .input(z.strictObject({ code }))
    .mutation(async ({ ctx, input }) => {
      const recoveryCodes = await ctx.auth.confirmTotpEnrolment(ctx.session, input.code, ctx.request);
      return { recoveryCodes };
    }),

  /** Fresh session and a code or recovery code. */
  disable: freshProcedure.input(proof).mutation(async ({ ctx, input }) => {
    await ctx.auth.disableTotp(ctx.session, input, ctx.request);
    return { ok: true as const };
  }),

  /** Fresh session: 10 new recovery codes; the old ones stop working. */
  regenerateRecoveryCodes: freshProcedure.input(noInput).mutation(async ({ ctx }) => {
    const recoveryCodes = await ctx.auth.regenerateRecoveryCodes(ctx.session, ctx.request);
    return { recoveryCodes };
  }),
} satisfies TRPCRouterRecord;

export const passkeysRouter = {
  /** Fresh session: options for navigator.credentials.create(). */
  registrationOptions: freshProcedure.input(noInput).mutation(async ({ ctx }) => {
    return ctx.auth.passkeyRegistrationOptions(ctx.session, ctx.request);
  }),

  /** Fresh session: the authenticator's answer to those options, and a name for the passkey. */
  register: freshProcedure
    .input(z.strictObject({ response: registrationResponse, name: passkeyName }))
    .mutation(async ({ ctx, input }) => {
      const response = input.response as RegistrationResponseJSON;
      const passkey = await ctx.auth.registerPasskey(ctx.session, response, input.name, ctx.request);
      return { passkey: passkeyDto(passkey) };
    }),

  list: protectedProcedure.input(noInput).query(async ({ ctx }) => {
    const passkeys = await ctx.auth.listPasskeys(ctx.session);
    return passkeys.map(passkeyDto);
  }),

  rename: freshProcedure
    .input(z.strictObject({ id: passkeyId, name: passkeyName }))
    .mutation(async ({ ctx, input }) => {
      const passkey = await ctx.auth.renamePasskey(ctx.session, input.id, input.name, ctx.request);
      return { passkey: passkeyDto(passkey) };
    }),

  remove: freshProcedure.input(z.strictObject({ id: passkeyId })).mutation(async ({ ctx, input }) => {
    await ctx.auth.removePasskey(ctx.session, input.id, ctx.request);
    return { ok: true as const };
  }),

  /** Public: options for a usernameless sign-in (navigator.credentials.get()); 429 past the per-address quota. */
  authenticationOptions: publicProcedure.input(noInput).mutation(async ({ ctx }) => {
    return ctx.auth.passkeyAuthenticationOptions(null, ctx.request);
  }),

  /** Public: a complete sign-in with a passkey; answers like auth.login (cookie, or the token with `bearer`). */
  authenticate: publicProcedure
    .input(z.strictObject({ response: authenticationResponse, remember: z.boolean().optional(), bearer: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      const response = input.response as AuthenticationResponseJSON;
      const signedIn = await ctx.auth.signInWithPasskey(response, { remember: input.remember }, ctx.request);
      return signedInAnswer(ctx, signedIn, { bearer: input.bearer });
    }),

  /** Options for re-authentication with one of the signed-in user's passkeys. */
  reauthenticationOptions: protectedProcedure.input(noInput).mutation(async ({ ctx }) => {
    return ctx.auth.passkeyAuthenticationOptions(ctx.session, ctx.request);
  }),

  /** Like auth.reauthenticate, with a passkey: the session is fresh again. */
  reauthenticate: protectedProcedure
    .input(z.strictObject({ response: authenticationResponse }))
    .mutation(async ({ ctx, input }) => {
      const response = input.response as AuthenticationResponseJSON;
      const renewed = await ctx.auth.reauthenticateWithPasskey(ctx.session, response, ctx.request);
      return renewedSession(ctx, renewed);
    }),
} satisfies TRPCRouterRecord;
