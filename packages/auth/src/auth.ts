// createAuth: the whole Flask-Login surface over Lucia sessions in MongoDB,
// composed from one module per capability (see DESIGN.md): sessions (with the
// session cache and its invalidation feed), credentials, users, admin, events,
// throttle and trusted devices, recovery, email addresses, mail, second factors
// (TOTP with recovery codes, passkeys). Every method
// that touches the database is `guarded`: an outage is
// AuthError('UNAVAILABLE'), a 503 at the edges.
import { ensureIndexes, isDatabaseUnavailable } from '@authkit/db';
import { checkAdminSession, createAdmin } from './admin.ts';
import { isFresh, MESSAGES, recordNeedsRefresh, type AuthCore } from './core.ts';
import { createCredentials } from './credentials.ts';
import { createDevices, deviceTokenFromHeaders } from './devices.ts';
import { AuthError } from './errors.ts';
import { createEvents } from './events.ts';
import { createIdentityProviders } from './identity-providers/flows.ts';
import { createEmailAddresses } from './email-address.ts';
import { InvalidationFeed } from './invalidation-feed.ts';
import { createKeys } from './keys.ts';
import { createMail } from './mail/mail.ts';
import { getDummyHash } from './passwords.ts';
import { createRecovery } from './recovery.ts';
import { SessionCache } from './session-cache.ts';
import { createSessions } from './sessions.ts';
import { createPasskeys } from './second-factors/passkeys.ts';
import { createSecondFactorSignIn } from './second-factors/sign-in.ts';
import { createTotp } from './second-factors/totp.ts';
import { resolveSettings } from './settings.ts';
import { createSignIn } from './sign-in.ts';
import { createSingleUseTokens } from './single-use-tokens.ts';
import { Throttle } from './throttle.ts';
import type { Auth, AuthOptions } from './types.ts';
import { createUsers } from './users.ts';

export function createAuth(options: AuthOptions): Auth {
  const settings = resolveSettings(options);
  const database = options.database;
  const now = options.now ?? (() => new Date());
  const events = createEvents(database, now);
  const mail = createMail(database, settings);
  const cache =
    settings.sessionCacheMs > 0 ? new SessionCache(settings.sessionCacheMaxEntries) : null;
  const feed = new InvalidationFeed(database, cache, settings.sessionCacheMs);
  const throttle = new Throttle(database, settings.throttle);
  const core: AuthCore = { settings, database, now, throttle, events, mail, cache, feed };

  const tokens = createSingleUseTokens(core);
  const keys = createKeys(core);
  // trustDevice uses the account document a sign-in just read (credentials keeps it).
  const devices = createDevices(core, keys, (user) => credentials.checkedDocOf(user));
  const totp = createTotp(core, keys);
  const credentials = createCredentials(core, devices, totp);
  const sessions = createSessions(core, credentials);
  const emailAddresses = createEmailAddresses(core, tokens);
  const recovery = createRecovery(core, tokens, credentials, sessions, devices);
  const users = createUsers(core, emailAddresses, recovery);
  const secondFactorSignIn = createSecondFactorSignIn(core, totp);
  const passkeys = createPasskeys(core);
  const signIn = createSignIn(core, credentials, sessions, secondFactorSignIn, passkeys, devices);
  const admin = createAdmin(core, sessions, recovery, totp);
  const providers = createIdentityProviders(core, settings.identityProviders, signIn);

  async function ensureReady(): Promise<void> {
    await ensureIndexes(database, {
      eventsRetentionSeconds: Math.ceil(settings.eventsRetentionMs / 1000),
    });
    await getDummyHash();
    // Made (or read) now rather than at the first sign-in.
    await keys.key('device_cookies');
    await keys.key('totp_secrets');
    await keys.key('recovery_codes');
  }

  return {
    settings,
    database,
    now,
    ensureReady: guarded(ensureReady),
    // Stops the feed reader and the mail sender; writes pending touches and feed entries.
    close: async () => {
      await feed.close();
      await mail.close();
    },
    registerUser: guarded(users.registerUser),
    signUp: guarded(users.signUp),
    signIn: guarded(signIn.signIn),
    authenticate: guarded(credentials.authenticate),
    loginUser: guarded(sessions.loginUser),
    logoutUser: guarded(sessions.logoutUser),
    loadUser: guarded(sessions.loadUser),
    tokenFromHeaders: sessions.tokenFromHeaders,
    isFresh: (session) => isFresh(core, session),
    trustDevice: guarded(devices.trustDevice),
    deviceTokenFromHeaders,
    failedSignInsSinceLastVisit: guarded(events.failedSignInsSinceLastVisit),
    confirmLogin: guarded(credentials.confirmLogin),
    anonymousUser: sessions.anonymousUser,
    blankCookie: sessions.blankCookie,
    changePassword: guarded(credentials.changePassword),
    listSessions: guarded(sessions.listSessions),
    revokeSession: guarded(sessions.revokeSession),
    revokeOtherSessions: guarded(sessions.revokeOtherSessions),
    listEvents: guarded(events.listEvents),
    requestPasswordReset: guarded(recovery.requestPasswordReset),
    checkPasswordResetToken: guarded(recovery.checkPasswordResetToken),
    resetPassword: guarded(recovery.resetPassword),
    createPasswordResetLink: guarded(recovery.createPasswordResetLink),
    verifyEmail: guarded(emailAddresses.verifyEmail),
    resendVerification: guarded(emailAddresses.resendVerification),
    requestEmailChange: guarded(emailAddresses.requestEmailChange),
    pendingEmailChange: guarded(emailAddresses.pendingEmailChange),
    resendEmailChange: guarded(emailAddresses.resendEmailChange),
    cancelEmailChange: guarded(emailAddresses.cancelEmailChange),
    checkEmailLink: guarded(emailAddresses.checkEmailLink),
    listUsers: guarded(admin.listUsers),
    getUserForAdmin: guarded(admin.getUserForAdmin),
    setActive: guarded(admin.setActive),
    setRole: guarded(admin.setRole),
    sendPasswordResetLink: guarded(admin.sendPasswordResetLink),
    endUserSessions: guarded(admin.endUserSessions),
    resetSecondFactor: guarded(admin.resetSecondFactor),
    checkAdminSession: (user, session, options) => checkAdminSession(core, user, session, options),
    secondFactorRequired: guarded(secondFactorSignIn.secondFactorRequired),
    startSecondFactor: guarded(secondFactorSignIn.startSecondFactor),
    completeSecondFactor: guarded(signIn.completeSecondFactor),
    beginTotpEnrolment: guarded(totp.beginTotpEnrolment),
    confirmTotpEnrolment: guarded(totp.confirmTotpEnrolment),
    verifyTotpEnrolment: guarded(totp.verifyTotpEnrolment),
    finishTotpEnrolment: guarded(totp.finishTotpEnrolment),
    twoStepStatus: guarded(totp.twoStepStatus),
    disableTotp: guarded(totp.disableTotp),
    regenerateRecoveryCodes: guarded(totp.regenerateRecoveryCodes),
    passkeyRegistrationOptions: guarded(passkeys.passkeyRegistrationOptions),
    registerPasskey: guarded(passkeys.registerPasskey),
    passkeyAuthenticationOptions: guarded(passkeys.passkeyAuthenticationOptions),
    signInWithPasskey: guarded(signIn.signInWithPasskey),
    reauthenticateWithPasskey: guarded(passkeys.reauthenticateWithPasskey),
    listPasskeys: guarded(passkeys.listPasskeys),
    renamePasskey: guarded(passkeys.renamePasskey),
    removePasskey: guarded(passkeys.removePasskey),
    identityProviders: providers.listProviders,
    startProviderFlow: guarded(providers.startFlow),
    completeProviderFlow: guarded(providers.completeFlow),
    listConnectedAccounts: guarded(providers.listConnectedAccounts),
    disconnectProvider: guarded(providers.disconnect),
    signInMethods: guarded(providers.signInMethods),
    setPassword: guarded(credentials.setPassword),
    siteCookieKey: guarded(() => keys.key('site_cookies')),
    deleteExpiredSessions: guarded(async () => {
      // First, before any deletion of pending sign-ins: abandoned second steps are announced
      // to their owners while they are still there (the TTL index leaves them a grace period).
      await secondFactorSignIn.announceAbandonedSecondSteps();
      // The same sweep keeps the audit trail within its retention, and deletes
      // expired second steps (and, in sessions, challenges and link tokens).
      await events.deleteExpiredEvents(settings.eventsRetentionMs);
      await secondFactorSignIn.deleteExpiredPendingSignIns();
      await providers.deleteExpiredFlows();
      return sessions.deleteExpiredSessions();
    }),
    invalidateSessions: guarded(sessions.invalidateSessions),
    sessionCacheStats: () => ({
      entries: cache?.size ?? 0,
      maxEntries: cache ? settings.sessionCacheMaxEntries : 0,
      trusted: cache !== null && feed.trusted(),
    }),
    on: events.on,
    recordEvent: guarded(events.recordEvent),
    recordNeedsRefresh: guarded((session, request, action) =>
      recordNeedsRefresh(core, { sessionId: session.id, userId: session.userId }, request, action),
    ),
  };
}

/** Database outages become AuthError('UNAVAILABLE') (503 at the edges); anything else passes through. */
function guarded<Args extends unknown[], Result>(
  fn: (...args: Args) => Promise<Result>,
): (...args: Args) => Promise<Result> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (error) {
      if (isDatabaseUnavailable(error))
        throw new AuthError('UNAVAILABLE', MESSAGES.unavailable, { cause: error });
      throw error;
    }
  };
}
