import { isAuthError } from '@authkit/auth';
import {
  applySessionCookie,
  needsReauthentication,
  requestInfo,
  signOut,
} from '@authkit/auth/sveltekit';
import { error, fail, redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { changePasswordSchema, emailChangeSchema } from '#lib/schemas.ts';
import {
  authRefusal,
  checkForm,
  emailChangeSent,
  emptyForm,
  readFormFields,
  refusalFor,
  refuse,
  refusedChange,
  toReauth,
} from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import { getConfig } from '#lib/server/config.ts';
import { pendingFormOwner, takePendingForm } from '#lib/server/pending-form.ts';
import { requireSignedIn } from '#lib/server/guard.ts';
import { secondFactorActions } from './second-factor-actions.server.ts';
import { ACTIVITY_PAGE_SIZE, activityPage, pageOfEvents, shownDetails } from '#lib/activity.ts';
import { configuredLocator, locateAll } from '#lib/server/location.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  // Checked before any query starts: a check that throws after a query has
  // started would leave that query's rejection unhandled.
  const { user, session } = requireSignedIn(event);
  // Recent activity, a page at a time (?activity=2 is the next older page).
  const activity = activityPage(event.url.searchParams.get('activity'));
  if (activity === null) error(400, 'There is no such page of recent activity.');
  const auth = getAuth();
  // Bound to this session (a forged or another session's cookie is dropped).
  const pendingForm = takePendingForm(event, pendingFormOwner(user, session));
  const [
    sessions,
    newest,
    passkeys,
    connected,
    methods,
    twoStep,
    pendingEmail,
    locate,
    emailForm,
    passwordForm,
  ] = await Promise.all([
    auth.listSessions(session),
    // One more than the page needs: whether an older page has any.
    auth.listEvents(user.id, activity * ACTIVITY_PAGE_SIZE + 1),
    auth.listPasskeys(session),
    auth.listConnectedAccounts(session),
    auth.signInMethods(user.id),
    auth.twoStepStatus(session),
    auth.pendingEmailChange(session),
    configuredLocator(),
    // Two forms on one page: superforms tells them apart by id.
    emptyForm(emailChangeSchema, 'email'),
    emptyForm(changePasswordSchema, 'password'),
  ]);
  const { events, older } = pageOfEvents(newest, activity);
  // Only where the operator supplies a lookup (IP_LOCATION_MODULE); none by default.
  const locations = await locateAll(
    sessions.map((item) => item.ip),
    locate,
  );
  // Typed before the detour through re-authentication (password or passkey):
  // back in the form, shown for the visitor to confirm with one press. Never
  // sent unseen: the cookie could have been planted.
  if (pendingForm?.action === 'email') emailForm.data.email = pendingForm.values.email ?? '';
  return {
    emailForm,
    passwordForm,
    /** A change interrupted by re-authentication, to fill its form in again. */
    pendingForm,
    fresh: auth.isFresh(session),
    freshWindowMinutes: Math.round(auth.settings.freshWindowMs / 60_000),
    sessions: sessions.map((item) => ({
      // The id is what the revoke form posts; the current session needs none
      // (it is the SHA-256 of this browser's cookie: keep it out of the page).
      id: item.current ? null : item.id,
      current: item.current,
      userAgent: item.userAgent,
      ip: item.ip,
      createdAt: item.createdAt,
      lastSeenAt: item.lastSeenAt,
      remember: item.remember,
      location: locations.get(item.ip) ?? null,
    })),
    /** A change of address waiting for its link: the address and when it was asked for. */
    pendingEmail,
    rememberDays: Math.round(auth.settings.rememberIdleMs / 86_400_000),
    /** False for an account made by an identity provider: the page offers "Set a password". */
    hasPassword: methods.password,
    connected: connected.map((item) => ({
      id: item.id,
      providerName: item.providerName,
      email: item.email,
      displayName: item.displayName,
      createdAt: item.createdAt,
      lastUsedAt: item.lastUsedAt,
    })),
    /** Configured providers not connected yet: "Connect …". */
    connectable: auth
      .identityProviders()
      .filter((provider) => !connected.some((item) => item.provider === provider.id))
      .map(({ id, name }) => ({ id, name })),
    mfaEnabled: user.mfaEnabled,
    /** Off, on (with the unused recovery codes left), or a set-up waiting for "I have saved them". */
    twoStep,
    siteName: auth.settings.siteName,
    passkeysStatus: getConfig().passkeys,
    mfaRequired: user.role === 'admin' && auth.settings.requireMfaForAdmins && !user.mfaEnabled,
    passkeys: passkeys.map((item) => ({
      id: item.id,
      name: item.name,
      createdAt: item.createdAt,
      lastUsedAt: item.lastUsedAt,
    })),
    activity: { page: activity, older },
    events: events.map((item) => ({
      type: item.type,
      details: shownDetails(item.details),
      at: item.at,
      ip: item.ip,
      userAgent: item.userAgent,
    })),
  };
};

export const actions: Actions = {
  ...secondFactorActions,

  revoke: async (event) => {
    const { session } = requireSignedIn(event);
    const fields = await readFormFields(event.request);
    const sessionId = fields.sessionId ?? '';
    const auth = getAuth();
    if (!sessionId)
      return fail(400, { action: 'revoke', message: 'Choose a session to sign out.' });

    if (sessionId === session.id) {
      await signOut(auth, event);
      setFlash(event.cookies, event.url, { type: 'info', message: 'You have been signed out.' });
      redirect(303, '/login');
    }
    try {
      await auth.revokeSession(session, sessionId, requestInfo(event));
    } catch (caught) {
      const { status, message } = refusedChange(caught, event, '/account');
      return fail(status, { action: 'revoke', message });
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'That device has been signed out.',
      scope: 'sessions',
    });
    redirect(303, '/account#sessions');
  },

  revokeOthers: async (event) => {
    const { session } = requireSignedIn(event);
    let count: number;
    try {
      count = await getAuth().revokeOtherSessions(session, requestInfo(event));
    } catch (caught) {
      const { status, message } = refusedChange(caught, event, '/account');
      return fail(status, { action: 'revokeOthers', message });
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message:
        count === 0
          ? 'No other devices were signed in.'
          : `Signed out ${count} other ${count === 1 ? 'device' : 'devices'}.`,
      scope: 'sessions',
    });
    redirect(303, '/account#sessions');
  },

  email: async (event) => {
    const { session } = requireSignedIn(event);
    const auth = getAuth();
    const form = await checkForm(event, emailChangeSchema, { id: 'email' });
    // A new address takes over recovery mail: it needs a password entered
    // recently. The typed address waits for the visitor's return.
    const email = form.form.data.email;
    const pending = { action: 'email', values: { email: typeof email === 'string' ? email : '' } };
    if (needsReauthentication(auth, event.locals)) toReauth(event, '/account#email', pending);
    if (form.refusal) return form.refusal;
    try {
      await auth.requestEmailChange(session, form.data.email, requestInfo(event));
    } catch (caught) {
      if (isAuthError(caught, 'NEEDS_REFRESH')) toReauth(event, '/account#email', pending);
      return authRefusal(caught, form.form, event);
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: emailChangeSent(form.data.email),
    });
    redirect(303, '/account#email');
  },

  /** Mails the pending change's link again (to the pending address only; the form names none). */
  resendEmail: async (event) => {
    const { session } = requireSignedIn(event);
    await readFormFields(event.request);
    let email: string;
    try {
      ({ email } = await getAuth().resendEmailChange(session, requestInfo(event)));
    } catch (caught) {
      const { status, refusal } = refusalFor(caught, event);
      return refuse(status, 'resendEmail', refusal);
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: `We sent a new link to ${email}; the earlier one no longer works.`,
    });
    redirect(303, '/account#email');
  },

  /** Withdraws the pending change: its mailed link stops working. */
  cancelEmail: async (event) => {
    const { session } = requireSignedIn(event);
    await readFormFields(event.request);
    let cancelled: boolean;
    try {
      ({ cancelled } = await getAuth().cancelEmailChange(session, requestInfo(event)));
    } catch (caught) {
      const { status, refusal } = refusalFor(caught, event);
      return refuse(status, 'cancelEmail', refusal);
    }
    setFlash(event.cookies, event.url, {
      type: cancelled ? 'success' : 'info',
      message: cancelled
        ? 'The change of email address is cancelled: its link no longer works.'
        : 'No change of email address was waiting.',
    });
    redirect(303, '/account#email');
  },

  disconnect: async (event) => {
    const { session } = requireSignedIn(event);
    if (needsReauthentication(getAuth(), event.locals)) toReauth(event, '/account#connected');
    const fields = await readFormFields(event.request);
    try {
      await getAuth().disconnectProvider(session, fields.connectionId ?? '', requestInfo(event));
    } catch (caught) {
      const { status, message } = refusedChange(caught, event, '/account#connected');
      return fail(status, { action: 'disconnect', message });
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'Disconnected. Devices that signed in with it have been signed out.',
    });
    redirect(303, '/account#connected');
  },

  /** A first password, for an account made by an identity provider (fresh session). */
  setPassword: async (event) => {
    const { session } = requireSignedIn(event);
    if (needsReauthentication(getAuth(), event.locals)) toReauth(event, '/account#password');
    const fields = await readFormFields(event.request);
    if ((fields.newPassword ?? '') !== (fields.confirmPassword ?? '')) {
      return fail(400, { action: 'setPassword', message: 'The two passwords do not match.' });
    }
    try {
      await getAuth().setPassword(session, fields.newPassword ?? '', requestInfo(event));
    } catch (caught) {
      const { status, message } = refusedChange(caught, event, '/account#password');
      const detail = isAuthError(caught, 'VALIDATION')
        ? Object.values(caught.fieldErrors).flat()[0]
        : undefined;
      return fail(status, { action: 'setPassword', message: detail ?? message });
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'Your password has been set: you can now also sign in with it.',
    });
    redirect(303, '/account#password');
  },

  password: async (event) => {
    const { session } = requireSignedIn(event);
    const auth = getAuth();
    // No detour through /account/reauth when the session is stale: the current
    // password in this form is the confirmation (auth.changePassword checks it).
    const form = await checkForm(event, changePasswordSchema, { id: 'password' });
    if (form.refusal) return form.refusal;
    try {
      const renewed = await auth.changePassword(
        session,
        { currentPassword: form.data.currentPassword, newPassword: form.data.newPassword },
        requestInfo(event),
      );
      // The session goes on under a new token (ASVS 7.2.4).
      applySessionCookie(event.cookies, renewed.cookie);
    } catch (caught) {
      // A wrong current password or a weak new one comes back as field errors
      // named after the form's fields (currentPassword, newPassword).
      return authRefusal(caught, form.form, event);
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'Your password has been changed. Your other devices have been signed out.',
    });
    redirect(303, '/account');
  },
};
