// Stored documents to the shapes that leave the package (never a password hash
// or a token).
import type { AuthEventDoc, Role, SessionDoc, SessionUserField, UserDoc } from '@authkit/db';
import type { AuthEvent, AuthenticatedUser, PublicUser, SessionInfo } from './types.ts';

/**
 * A user document, or a session's copy of one: the copy says `has_password`,
 * a document has the `password_hash` (read it: a document without one would
 * say false). The hash itself never leaves.
 */
export function toPublicUser(
  doc: Pick<UserDoc, '_id' | SessionUserField> & ({ has_password: boolean } | Pick<UserDoc, 'password_hash'>),
): PublicUser {
  return {
    id: doc._id,
    username: doc.username,
    email: doc.email,
    emailVerified: doc.email_verified === true,
    role: doc.role as Role,
    active: doc.active,
    createdAt: doc.created_at,
    mfaEnabled: doc.mfa_enabled === true,
    hasPassword: 'has_password' in doc ? doc.has_password === true : doc.password_hash !== '',
  };
}

export function toAuthenticatedUser(user: PublicUser): AuthenticatedUser {
  return { ...user, isAuthenticated: true, isActive: user.active, isAnonymous: false };
}

/** `account`: the session's user when the document carries no copy of it (the cache keeps them apart). */
export function toSessionInfo(doc: SessionDoc, account: { mfaEnabled: boolean } | null = null): SessionInfo {
  return {
    id: doc._id,
    userId: doc.user_id,
    createdAt: doc.created_at,
    lastSeenAt: doc.last_seen_at,
    expiresAt: doc.expires_at,
    authenticatedAt: doc.authenticated_at,
    fresh: doc.fresh,
    amr: doc.amr ?? ['password'],
    stepUp: (account ? account.mfaEnabled : doc.user?.mfa_enabled === true) ? 'second_factor' : 'password',
    remember: doc.remember,
    userAgent: doc.user_agent,
    ip: doc.ip,
  };
}

export function toAuthEvent(doc: AuthEventDoc): AuthEvent {
  const event: AuthEvent = { type: doc.type, userId: doc.user_id, at: doc.at, ip: doc.ip, userAgent: doc.user_agent };
  if (doc.details) event.details = doc.details;
  return event;
}
