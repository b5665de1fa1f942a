// What a visitor typed into a fresh-only form that was sent to re-enter the
// password first (toReauth). It waits in a short-lived, HttpOnly, signed
// cookie (signed-cookie.ts; `__Host-` on https), bound to the session that
// typed it: another session's cookie, or one forged or tampered with, is
// ignored and cleared. After the password or a passkey, it comes back once to
// fill the form in again on /account, where the visitor sees it and confirms
// it with one press: nothing waiting in a cookie is ever sent unseen.
// Only the fields a form names are kept: never passwords or one-time codes.
import { createHash } from 'node:crypto';
import {
  clearSignedCookie,
  readSignedCookie,
  setSignedCookie,
  takeSignedCookie,
  type CookieJar,
} from './signed-cookie.ts';

export const PENDING_FORM_COOKIE = 'authkit_pending_form';
/** Long enough to find and type the password; short enough not to linger. */
const MAX_AGE_SECONDS = 15 * 60;
/** Bounds what a cookie may carry back (an address, a passkey name). */
const MAX_VALUE_LENGTH = 320;

export interface PendingForm {
  /** The form action that was interrupted (`email`, `passkeyRename`). */
  action: string;
  values: Record<string, string>;
}

/**
 * Whose the form is: the signed-in user and their session. The session is
 * named by when it was made, not by its id: a re-authentication (the very
 * detour this cookie waits through) gives the session a new token and id
 * (ASVS 7.2.4) but keeps it. Use `pendingFormOwner`.
 */
export interface PendingFormOwner {
  userId: string;
  sessionId: string;
}

/** The owner of a pending form typed in this session. */
export function pendingFormOwner(
  user: { id: string },
  session: { createdAt: Date },
): PendingFormOwner {
  return { userId: user.id, sessionId: `created ${session.createdAt.toISOString()}` };
}

interface Stored extends PendingForm {
  userId: string;
  /** A hash of the session id: binds the form to the session without carrying its id. */
  session: string;
  expiresAt: number;
}

type CookieEvent = { cookies: Pick<CookieJar, 'get' | 'set' | 'delete'>; url: URL };

function sessionBinding(sessionId: string): string {
  return createHash('sha256').update(`pending form ${sessionId}`).digest('base64url');
}

export function keepPendingForm(
  event: CookieEvent,
  owner: PendingFormOwner,
  pending: PendingForm,
): void {
  const stored: Stored = {
    userId: owner.userId,
    session: sessionBinding(owner.sessionId),
    action: pending.action,
    values: shortStrings(pending.values),
    expiresAt: Date.now() + MAX_AGE_SECONDS * 1000,
  };
  setSignedCookie(event, 'pending_form', PENDING_FORM_COOKIE, stored, MAX_AGE_SECONDS);
}

/** The kept form of this session, once (the cookie is cleared); null for none, another session's, or a forged one. */
export function takePendingForm(event: CookieEvent, owner: PendingFormOwner): PendingForm | null {
  return ownedBy(takeSignedCookie(event, 'pending_form', PENDING_FORM_COOKIE), owner);
}

/** The kept form of this session, left in place; null (and cleared) for none, another session's, or a forged one. */
export function readPendingForm(event: CookieEvent, owner: PendingFormOwner): PendingForm | null {
  const pending = ownedBy(readSignedCookie(event, 'pending_form', PENDING_FORM_COOKIE), owner);
  if (!pending) clearPendingForm(event);
  return pending;
}

export function clearPendingForm(event: CookieEvent): void {
  clearSignedCookie(event, PENDING_FORM_COOKIE);
}

function ownedBy(value: unknown, owner: PendingFormOwner): PendingForm | null {
  if (!value || typeof value !== 'object') return null;
  const stored = value as Partial<Stored>;
  if (stored.userId !== owner.userId || stored.session !== sessionBinding(owner.sessionId)) {
    return null;
  }
  if (typeof stored.expiresAt !== 'number' || stored.expiresAt < Date.now()) return null;
  if (typeof stored.action !== 'string') return null;
  return { action: stored.action, values: shortStrings(stored.values) };
}

function shortStrings(values: unknown): Record<string, string> {
  const kept: Record<string, string> = {};
  if (!values || typeof values !== 'object') return kept;
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'string') kept[name] = value.slice(0, MAX_VALUE_LENGTH);
  }
  return kept;
}
