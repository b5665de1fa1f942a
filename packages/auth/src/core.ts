// What the capability modules of createAuth share: the settings, the database,
// the clock, the throttle and the audit trail, plus the few checks every one
// of them makes (is this session still live, is it fresh) and the messages.
import type { Database, SessionDoc } from '@authkit/db';
import { AuthError } from './errors.ts';
import type { Events } from './events.ts';
import type { Mail } from './mail/mail.ts';
import type { Throttle } from './throttle.ts';
import type { AuthSettings, RequestInfo, SessionInfo } from './types.ts';

export interface AuthCore {
  settings: AuthSettings;
  database: Database;
  now: () => Date;
  throttle: Throttle;
  events: Events;
  mail: Mail;
}

export const MESSAGES = {
  invalidCredentials: 'Invalid username or password.',
  inactive: 'This account has been deactivated.',
  unauthorized: 'Please sign in to continue.',
  needsRefresh: 'Please enter your password again to continue.',
  forbidden: 'You are not allowed to do this.',
  unavailable: 'The service is temporarily unavailable. Please try again shortly.',
  validation: 'Please correct the highlighted fields.',
  incorrectPassword: 'Incorrect password.',
  passwordChangedMeanwhile: 'Your password has just been changed from another session.',
  invalidLink: 'This link is invalid or has expired, or it was already used. Ask for a new one.',
};

/** Stored lengths of what clients send about themselves. */
export const MAX_USER_AGENT = 512;
export const MAX_IP = 64;
export const MAX_LOGIN = 320;

/** `session.fresh` (the stored flag) and a password entered within the fresh window. */
export function isFresh(core: AuthCore, session: Pick<SessionInfo, 'fresh' | 'authenticatedAt'>): boolean {
  return session.fresh && core.now().getTime() - session.authenticatedAt.getTime() < core.settings.freshWindowMs;
}

/** Idle expiry of a session, remembered or not. */
export function idleMs(core: AuthCore, remember: boolean): number {
  return remember ? core.settings.rememberIdleMs : core.settings.sessionIdleMs;
}

/** Cookies are Secure by configuration, or because this request came over https. */
export function secureFor(core: AuthCore, request: RequestInfo): boolean {
  return core.settings.secureCookies || request.https === true;
}

/** The session document behind a SessionInfo, if it still exists and is valid; UNAUTHORIZED otherwise. */
export async function liveSessionDoc(core: AuthCore, session: SessionInfo): Promise<SessionDoc> {
  const doc = await core.database.sessions.findOne({ _id: session.id });
  if (!doc || doc.user_id !== session.userId || doc.expires_at <= core.now()) {
    throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
  }
  return doc;
}

export function clip(value: string | null | undefined, max: number): string | null {
  if (typeof value !== 'string' || value === '') return null;
  return value.length > max ? value.slice(0, max) : value;
}
