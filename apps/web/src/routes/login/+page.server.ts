import { requestInfo, signIn } from '@authkit/auth/sveltekit';
import { redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/flash.ts';
import { fieldErrors, formFields, loginSchema } from '#lib/forms.ts';
import { safeNext } from '#lib/safe-next.ts';
import { authFailure } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import { fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ url }) => {
  return { next: url.searchParams.get('next') ?? '' };
};

export const actions: Actions = {
  default: async (event) => {
    const fields = formFields(await event.request.formData());
    const values = {
      username: fields.username ?? '',
      next: fields.next ?? '',
      remember: fields.remember ?? '',
    };
    const parsed = loginSchema.safeParse(fields);
    if (!parsed.success) {
      return fail(400, {
        values,
        errors: fieldErrors(parsed.error),
        message: 'Please fill in both fields.',
      });
    }

    const auth = getAuth();
    let username: string;
    try {
      const user = await auth.authenticate(
        parsed.data.username,
        parsed.data.password,
        requestInfo(event),
      );
      await signIn(auth, event, user, { remember: parsed.data.remember === 'on' });
      username = user.username;
    } catch (caught) {
      return authFailure(caught, values, event.setHeaders);
    }

    setFlash(event.cookies, event.url, {
      type: 'success',
      message: `Welcome back, ${username}! You are signed in.`,
    });
    redirect(303, safeNext(parsed.data.next));
  },
};
