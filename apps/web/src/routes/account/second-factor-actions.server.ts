// The account page's second-factor actions: set up an authenticator app
// (TOTP), confirm it with a first code, new recovery codes, turn it off; and
// passkey rename/remove, which need no WebAuthn ceremony. Every change needs a
// fresh session (a password or passkey entered recently): a stale one is sent
// to /account/reauth and comes back to the section.
import { isAuthError } from '@authkit/auth';
import { needsReauthentication, requestInfo } from '@authkit/auth/sveltekit';
import { redirect, type RequestEvent } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { fieldErrors, totpCodeSchema } from '#lib/schemas.ts';
import { readFormFields, refusalFor, refuse, toReauth } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import type { PendingForm } from '#lib/server/pending-form.ts';
import { requireSignedIn } from '#lib/server/guard.ts';

export const TWO_STEP = '/account#two-step';
export const PASSKEYS = '/account#passkeys';

/**
 * The refusal of `action` for the page (never the posted codes); `fields` are
 * the fields its form shows messages under.
 */
function refused(
  event: RequestEvent,
  action: string,
  caught: unknown,
  next: string,
  fields: readonly string[] = [],
) {
  if (isAuthError(caught, 'NEEDS_REFRESH')) toReauth(event, next);
  const { status, refusal } = refusalFor(caught, event);
  return refuse(status, action, refusal, fields);
}

/**
 * The signed-in session, fresh; a stale one goes to re-authenticate first,
 * with `pending` (what was typed, never codes) kept for its return.
 */
function freshSession(event: RequestEvent, next: string, pending?: PendingForm) {
  const { session } = requireSignedIn(event);
  if (needsReauthentication(getAuth(), event.locals)) toReauth(event, next, pending);
  return session;
}

/** The QR code as an image (a data: URL: allowed by img-src, no inline markup). */
function qrImage(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

export const secondFactorActions = {
  totpBegin: async (event: RequestEvent) => {
    const session = freshSession(event, TWO_STEP);
    try {
      const enrolment = await getAuth().beginTotpEnrolment(session, requestInfo(event));
      return {
        action: 'totpBegin',
        enrolment: {
          secret: enrolment.secret,
          qr: qrImage(enrolment.qrSvg),
          expiresAt: enrolment.expiresAt.toISOString(),
        },
      };
    } catch (caught) {
      return refused(event, 'totpBegin', caught, TWO_STEP);
    }
  },

  totpConfirm: async (event: RequestEvent) => {
    const { session } = requireSignedIn(event);
    const parsed = totpCodeSchema.safeParse(await readFormFields(event.request));
    if (!parsed.success) {
      return refuse(400, 'totpConfirm', { errors: fieldErrors(parsed.error) }, ['code']);
    }
    try {
      const codes = await getAuth().confirmTotpEnrolment(
        session,
        parsed.data.code,
        requestInfo(event),
      );
      // The page's loads run in this same request, after the action: without
      // JavaScript they render from locals, read before two-step was on.
      if (event.locals.user) event.locals.user = { ...event.locals.user, mfaEnabled: true };
      return { action: 'recoveryCodes', recoveryCodes: codes, enrolled: true };
    } catch (caught) {
      return refused(event, 'totpConfirm', caught, TWO_STEP, ['code']);
    }
  },

  recoveryCodes: async (event: RequestEvent) => {
    const session = freshSession(event, TWO_STEP);
    try {
      const codes = await getAuth().regenerateRecoveryCodes(session, requestInfo(event));
      return { action: 'recoveryCodes', recoveryCodes: codes, enrolled: false };
    } catch (caught) {
      return refused(event, 'recoveryCodes', caught, TWO_STEP);
    }
  },

  totpDisable: async (event: RequestEvent) => {
    const session = freshSession(event, TWO_STEP);
    // One field: six digits are a code from the app, anything else a recovery code.
    const given = ((await readFormFields(event.request)).proof ?? '').trim();
    if (!given || given.length > 64) {
      const message = 'Enter a code from your app or one of your recovery codes.';
      return refuse(400, 'totpDisable', { errors: { proof: [message] } }, ['proof']);
    }
    const compact = given.replace(/\s+/g, '');
    const proof = /^\d{6}$/.test(compact) ? { code: compact } : { recoveryCode: given };
    try {
      await getAuth().disableTotp(session, proof, requestInfo(event));
    } catch (caught) {
      if (isAuthError(caught, 'NEEDS_REFRESH')) toReauth(event, TWO_STEP);
      // The auth package names the proof it checked; the form has one field for both.
      const { status, refusal } = refusalFor(caught, event);
      const wrong = refusal.errors?.code ?? refusal.errors?.recoveryCode;
      const errors = wrong ? { ...refusal.errors, proof: wrong } : refusal.errors;
      return refuse(status, 'totpDisable', { ...refusal, errors }, ['proof']);
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'Two-step verification is off. Your recovery codes no longer work.',
    });
    redirect(303, TWO_STEP);
  },

  passkeyRename: async (event: RequestEvent) => {
    requireSignedIn(event);
    const fields = await readFormFields(event.request);
    const values = { passkeyId: fields.passkeyId ?? '', name: fields.name ?? '' };
    const session = freshSession(event, PASSKEYS, { action: 'passkeyRename', values });
    try {
      await getAuth().renamePasskey(
        session,
        fields.passkeyId ?? '',
        fields.name ?? '',
        requestInfo(event),
      );
    } catch (caught) {
      return refused(event, 'passkeyRename', caught, PASSKEYS);
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'The passkey has been renamed.',
    });
    redirect(303, PASSKEYS);
  },

  passkeyRemove: async (event: RequestEvent) => {
    const session = freshSession(event, PASSKEYS);
    const fields = await readFormFields(event.request);
    try {
      await getAuth().removePasskey(session, fields.passkeyId ?? '', requestInfo(event));
    } catch (caught) {
      return refused(event, 'passkeyRemove', caught, PASSKEYS);
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'The passkey has been removed.',
    });
    redirect(303, PASSKEYS);
  },
};
