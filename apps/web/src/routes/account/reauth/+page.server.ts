import { requestInfo } from '@authkit/auth/sveltekit';
import { redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/flash.ts';
import { reauthSchema } from '#lib/forms.ts';
import { safeNext } from '#lib/safe-next.ts';
import { authFailure, nextFromQuery, parseForm } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import { getConfig } from '#lib/server/config.ts';
import { requireSignedIn } from '#lib/server/guard.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
  requireSignedIn(event);
  return { ...nextFromQuery(event), passkeysAvailable: !!getConfig().apiUrl };
};

export const actions: Actions = {
  default: async (event) => {
    const { session } = requireSignedIn(event);
    const form = await parseForm(
      event.request,
      reauthSchema,
      ['next'],
      'Enter your password to continue.',
    );
    if (form.failure) return form.failure;

    try {
      await getAuth().confirmLogin(session, form.data.password, requestInfo(event));
    } catch (caught) {
      return authFailure(caught, form.values, event.setHeaders);
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'Thanks, your password is confirmed. You can continue.',
    });
    redirect(303, safeNext(form.data.next));
  },
};
