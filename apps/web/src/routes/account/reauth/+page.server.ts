import { requestInfo } from '@authkit/auth/sveltekit';
import { fail, redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/flash.ts';
import { fieldErrors, formFields, reauthSchema } from '#lib/forms.ts';
import { safeNext } from '#lib/safe-next.ts';
import { authFailure } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ url }) => {
  return { next: url.searchParams.get('next') ?? '' };
};

export const actions: Actions = {
  default: async (event) => {
    const fields = formFields(await event.request.formData());
    const values = { next: fields.next ?? '' };
    const parsed = reauthSchema.safeParse(fields);
    if (!parsed.success) {
      return fail(400, {
        values,
        errors: fieldErrors(parsed.error),
        message: 'Enter your password to continue.',
      });
    }
    try {
      await getAuth().confirmLogin(event.locals.session!, parsed.data.password, requestInfo(event));
    } catch (caught) {
      return authFailure(caught, values, event.setHeaders);
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'Thanks, your password is confirmed. You can continue.',
    });
    redirect(303, safeNext(parsed.data.next));
  },
};
