import { requestInfo, signIn } from '@authkit/auth/sveltekit';
import { fail, redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/flash.ts';
import { fieldErrors, formFields, registerSchema } from '#lib/forms.ts';
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
    const values = {
      username: fields.username ?? '',
      email: fields.email ?? '',
      next: fields.next ?? '',
    };
    const parsed = registerSchema.safeParse(fields);
    if (!parsed.success) {
      return fail(400, {
        values,
        errors: fieldErrors(parsed.error),
        message: 'Please correct the highlighted fields.',
      });
    }

    const auth = getAuth();
    let username: string;
    try {
      const { username: name, email, password } = parsed.data;
      const user = await auth.registerUser({ username: name, email, password }, requestInfo(event));
      await signIn(auth, event, user, { remember: false });
      username = user.username;
    } catch (caught) {
      return authFailure(caught, values, event.setHeaders);
    }

    setFlash(event.cookies, event.url, {
      type: 'success',
      message: `Welcome, ${username}! Your account is ready.`,
    });
    redirect(303, safeNext(parsed.data.next));
  },
};
