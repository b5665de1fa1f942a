// The account page's second-factor actions: set up an authenticator app
// (TOTP), verify it with a first code (which shows the recovery codes), turn
// it on once the user says the codes are saved, new recovery codes, turn it
// off; and passkey rename/remove (which asks first), which need no WebAuthn
// ceremony. Every change needs a
// fresh session (a password or passkey entered recently): a stale one is sent
// to /account/reauth and comes back to the section.
import { isAuthError, type SessionInfo } from '@authkit/auth';
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

/** The name of one of the session user's passkeys; null for none of theirs. */
async function passkeyName(session: SessionInfo, passkeyId: string): Promise<string | null> {
  const passkeys = await getAuth().listPasskeys(session);
  return passkeys.find((passkey) => passkey.id === passkeyId)?.name ?? null;
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
      // Verified, not on yet: the codes first, then "I have saved them" (totpFinish).
      const codes = await getAuth().verifyTotpEnrolment(
        session,
        parsed.data.code,
        requestInfo(event),
      );
      return { action: 'recoveryCodes', recoveryCodes: codes, enrolling: true };
    } catch (caught) {
      return refused(event, 'totpConfirm', caught, TWO_STEP, ['code']);
    }
  },

  /** "I have saved my recovery codes": two-step verification turns on. */
  totpFinish: async (event: RequestEvent) => {
    const { session } = requireSignedIn(event);
    try {
      await getAuth().finishTotpEnrolment(session, requestInfo(event));
    } catch (caught) {
      return refused(event, 'totpFinish', caught, TWO_STEP);
    }
    // An administrator (sent here by the admin pages) is offered the way back.
    const admin = event.locals.user?.role === 'admin';
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: admin
        ? 'Two-step verification is on: the admin pages are open to you.'
        : 'Two-step verification is on: signing in now asks for a code from your authenticator app.',
      ...(admin ? { link: 'admin-page' as const } : {}),
    });
    redirect(303, TWO_STEP);
  },

  recoveryCodes: async (event: RequestEvent) => {
    const session = freshSession(event, TWO_STEP);
    const auth = getAuth();
    try {
      const codes = await auth.regenerateRecoveryCodes(session, requestInfo(event));
      // During a set-up left before "I have saved them", these finish it.
      const enrolling = (await auth.twoStepStatus(session)).state === 'unsaved';
      return { action: 'recoveryCodes', recoveryCodes: codes, enrolling };
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
    const auth = getAuth();
    let message: string;
    try {
      const before = await passkeyName(session, values.passkeyId);
      const renamed = await auth.renamePasskey(
        session,
        values.passkeyId,
        values.name,
        requestInfo(event),
      );
      message =
        before === null || before === renamed.name
          ? `The passkey is named “${renamed.name}”.`
          : `Renamed the passkey “${before}” to “${renamed.name}”.`;
    } catch (caught) {
      return refused(event, 'passkeyRename', caught, PASSKEYS);
    }
    setFlash(event.cookies, event.url, { type: 'success', message });
    redirect(303, PASSKEYS);
  },

  /** Asks first (the answer names the passkey); removes on the confirmation's post (`confirm=yes`). */
  passkeyRemove: async (event: RequestEvent) => {
    const session = freshSession(event, PASSKEYS);
    const fields = await readFormFields(event.request);
    const passkeyId = fields.passkeyId ?? '';
    const name = await passkeyName(session, passkeyId);
    if (fields.confirm !== 'yes' && name !== null) {
      return { action: 'passkeyRemove', confirmRemove: { passkeyId, name } };
    }
    try {
      await getAuth().removePasskey(session, passkeyId, requestInfo(event));
    } catch (caught) {
      return refused(event, 'passkeyRemove', caught, PASSKEYS);
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: `Removed the passkey “${name}”: it no longer signs in to your account.`,
    });
    redirect(303, PASSKEYS);
  },
};
