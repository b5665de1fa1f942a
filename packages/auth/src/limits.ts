// Stored lengths of what clients send about themselves, and the clip that
// holds a value to one. A leaf: events, core and the capabilities all use it.

/** Stored lengths of what clients send about themselves. */
export const MAX_USER_AGENT = 512;
export const MAX_IP = 64;
export const MAX_LOGIN = 320;
/** An admin's search of the user list (longer than any username; an email address rarely is). */
export const USER_SEARCH_MAX_LENGTH = 100;

export function clip(value: string | null | undefined, max: number): string | null {
  if (typeof value !== 'string' || value === '') return null;
  return value.length > max ? value.slice(0, max) : value;
}
