// createAuth: the whole Flask-Login surface over Lucia sessions in MongoDB,
// composed from one module per capability (see DESIGN.md): sessions,
// credentials, users, admin, events, throttle and devices. Every method that touches the database is
// `guarded`: an outage is AuthError('UNAVAILABLE'), a 503 at the edges.
import { ensureIndexes, isDatabaseUnavailable } from '@authkit/db';
import { createAdmin } from './admin.ts';
import { isFresh, MESSAGES, type AuthCore } from './core.ts';
import { createCredentials } from './credentials.ts';
import { createDevices, deviceTokenFromHeaders } from './devices.ts';
import { AuthError } from './errors.ts';
import { createEvents } from './events.ts';
import { getDummyHash } from './passwords.ts';
import { createSessions } from './sessions.ts';
import { resolveSettings } from './settings.ts';
import { Throttle } from './throttle.ts';
import type { Auth, AuthOptions } from './types.ts';
import { createUsers } from './users.ts';

export function createAuth(options: AuthOptions): Auth {
  const settings = resolveSettings(options);
  const database = options.database;
  const now = options.now ?? (() => new Date());
  const events = createEvents(database, now);
  const core: AuthCore = { settings, database, now, throttle: new Throttle(database, settings.throttle), events };

  const devices = createDevices(core);
  const credentials = createCredentials(core, devices);
  const sessions = createSessions(core, credentials);
  const users = createUsers(core);
  const admin = createAdmin(core, sessions);

  async function ensureReady(): Promise<void> {
    await ensureIndexes(database, { eventsRetentionSeconds: Math.ceil(settings.eventsRetentionMs / 1000) });
    await getDummyHash();
    // Made (or read) now rather than at the first sign-in.
    await devices.secret();
  }

  return {
    settings,
    database,
    now,
    ensureReady: guarded(ensureReady),
    // Nothing runs in the background yet.
    close: async () => {},
    registerUser: guarded(users.registerUser),
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
    listUsers: guarded(admin.listUsers),
    setActive: guarded(admin.setActive),
    setRole: guarded(admin.setRole),
    deleteExpiredSessions: guarded(async () => {
      // The same sweep keeps the audit trail within its retention.
      await events.deleteExpiredEvents(settings.eventsRetentionMs);
      return sessions.deleteExpiredSessions();
    }),
    on: events.on,
    recordEvent: guarded(events.recordEvent),
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
      if (isDatabaseUnavailable(error)) throw new AuthError('UNAVAILABLE', MESSAGES.unavailable, { cause: error });
      throw error;
    }
  };
}
