import { applySessionCookie, requestInfo } from '@authkit/auth/sveltekit';
import { redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { reauthSchema } from '#lib/schemas.ts';
import { safeNext } from '#lib/safe-next.ts';
import { authRefusal, checkForm, emptyForm, nextFromQuery } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import { getConfig } from '#lib/server/config.ts';
import { pendingFormOwner, readPendingForm } from '#lib/server/pending-form.ts';
import { requireSignedIn } from '#lib/server/guard.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  const { session } = requireSignedIn(event);
  const auth = getAuth();
  const methods = await auth.signInMethods(session.userId);
  return {
    ...nextFromQuery(event),
    hasPassword: methods.password,
    // A connected OpenID provider can confirm who you are again (it is asked to sign you in anew).
    providers: auth
      .identityProviders()
      .filter((provider) => provider.reauthentication && methods.providers.includes(provider.id))
      .map(({ id, name }) => ({ id, name })),
    // An account with two-step sign-in steps up with its second factor too.
    askCode: session.stepUp === 'second_factor',
    passkeysAvailable: getConfig().passkeys === 'on',
    form: await emptyForm(reauthSchema),
  };
};

/** A 6-digit code from the app, or else a recovery code; nothing when left empty. */
function secondFactorProof(given: string | undefined) {
  const value = (given ?? '').trim();
  if (value === '') return null;
  const digits = value.replace(/\s+/g, '');
  return /^\d{6}$/.test(digits) ? { code: digits } : { recoveryCode: value };
}

export const actions: Actions = {
  default: async (event) => {
    const { user, session } = requireSignedIn(event);
    const form = await checkForm(event, reauthSchema, {
      message: 'Enter your password to continue.',
    });
    if (form.refusal) return form.refusal;

    const auth = getAuth();
    try {
      const renewed = await auth.confirmLogin(
        session,
        form.data.password,
        requestInfo(event),
        secondFactorProof(form.data.code),
      );
      // A new token for the confirmed session (ASVS 7.2.4).
      applySessionCookie(event.cookies, renewed.cookie);
    } catch (caught) {
      return authRefusal(caught, form.form, event);
    }

    // A change waiting for this confirmation is not made here: it goes back
    // to its form on /account, which shows it to confirm with one press (the
    // same after a passkey). The form says so; no second message here.
    if (readPendingForm(event, pendingFormOwner(user, session))) {
      redirect(303, safeNext(form.data.next));
    }

    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'Thanks, your password is confirmed. You can continue.',
    });
    redirect(303, safeNext(form.data.next));
  },
};
