// What procedures return: explicit field lists (so a password hash can never
// slip out) with dates as ISO strings.
import type { AuthEvent, PublicUser, SessionInfo, SessionListItem } from '@authkit/auth';

export function userDto(user: PublicUser) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    emailVerified: user.emailVerified,
    role: user.role,
    active: user.active,
    createdAt: user.createdAt.toISOString(),
    /** Password sign-ins of this user need a second step (TOTP). */
    mfaEnabled: user.mfaEnabled,
    /** False for an account made by an identity provider until it sets one (auth.setPassword). */
    hasPassword: user.hasPassword,
  };
}

export function sessionDto(session: SessionInfo, fresh: boolean) {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastSeenAt: session.lastSeenAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    authenticatedAt: session.authenticatedAt.toISOString(),
    fresh,
    remember: session.remember,
    userAgent: session.userAgent,
    ip: session.ip,
  };
}

export function sessionListItemDto(session: SessionListItem, fresh: boolean) {
  return { ...sessionDto(session, fresh), current: session.current };
}

export function eventDto(event: AuthEvent) {
  return {
    type: event.type,
    at: event.at.toISOString(),
    ip: event.ip,
    userAgent: event.userAgent,
    details: event.details ?? {},
  };
}

export type UserDto = ReturnType<typeof userDto>;
export type SessionDto = ReturnType<typeof sessionDto>;
