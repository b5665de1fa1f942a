import type { SessionInfo } from '@authkit/auth';
import { requestInfo } from '@authkit/auth/sveltekit';
import { redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/flash.ts';
import { reauthSchema } from '#lib/forms.ts';
import { safeNext } from '#lib/safe-next.ts';
import {
  authFailure,
  emailChangeSent,
  LINK_WAIT_REASONS,
  nextFromQuery,
} from '#lib/server/actions.ts';
import { authRefusal, checkForm, emptyForm } from '#lib/server/forms.ts';
import { getAuth } from '#lib/server/auth.ts';
import { getConfig } from '#lib/server/config.ts';
import { clearPendingForm, keepPendingForm, readPendingForm } from '#lib/server/pending-form.ts';
import { requireSignedIn } from '#lib/server/guard.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  requireSignedIn(event);
  return {
    ...nextFromQuery(event),
    passkeysAvailable: getConfig().passkeys === 'on',
    form: await emptyForm(reauthSchema),
  };
};

export const actions: Actions = {
  default: async (event) => {
    const { user, session } = requireSignedIn(event);
    const form = await checkForm(event, reauthSchema, {
      message: 'Enter your password to continue.',
    });
    if (form.refusal) return form.refusal;

    const auth = getAuth();
    let confirmed: SessionInfo;
    try {
      confirmed = await auth.confirmLogin(session, form.data.password, requestInfo(event));
    } catch (caught) {
      return authRefusal(caught, form.form, event);
    }

    // An email change that was waiting for this password is sent now. A
    // refusal (the address is taken, a wait) goes back to its form, with the message.
    const pending = readPendingForm(event.cookies, user.id);
    if (pending?.action === 'email') {
      clearPendingForm(event.cookies);
      const email = pending.values.email ?? '';
      let refusal: string | null = null;
      try {
        await auth.requestEmailChange(confirmed, email, requestInfo(event));
      } catch (caught) {
        const failure = authFailure(caught, {}, event.setHeaders, LINK_WAIT_REASONS);
        refusal = failure.data.errors?.email?.[0] ?? failure.data.message ?? null;
      }
      if (refusal === null) {
        setFlash(event.cookies, event.url, { type: 'success', message: emailChangeSent(email) });
        redirect(303, '/account#email');
      }
      keepPendingForm(event, user.id, { ...pending, errors: { email: [refusal] } });
      redirect(303, '/account#email');
    }

    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'Thanks, your password is confirmed. You can continue.',
    });
    redirect(303, safeNext(form.data.next));
  },
};
