import { requestInfo } from '@authkit/auth/sveltekit';
import { redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { reauthSchema } from '#lib/forms.ts';
import { safeNext } from '#lib/safe-next.ts';
import { nextFromQuery } from '#lib/server/actions.ts';
import { authRefusal, checkForm, emptyForm } from '#lib/server/forms.ts';
import { getAuth } from '#lib/server/auth.ts';
import { getConfig } from '#lib/server/config.ts';
import { readPendingForm } from '#lib/server/pending-form.ts';
import { requireSignedIn } from '#lib/server/guard.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  requireSignedIn(event);
  return {
    ...nextFromQuery(event),
    passkeysAvailable: !!getConfig().apiUrl,
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
    try {
      await auth.confirmLogin(session, form.data.password, requestInfo(event));
    } catch (caught) {
      return authRefusal(caught, form.form, event);
    }

    // A change waiting for this confirmation is not made here: it goes back
    // to its form on /account, which shows it to confirm with one press (the
    // same after a passkey). The form says so; no second message here.
    if (readPendingForm(event, { userId: user.id, sessionId: session.id })) {
      redirect(303, safeNext(form.data.next));
    }

    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'Thanks, your password is confirmed. You can continue.',
    });
    redirect(303, safeNext(form.data.next));
  },
};
