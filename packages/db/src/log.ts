// Errors as they may be logged, by the API's logger and the site alike: never
// the fields a MongoDB error carries besides its message (key values, the
// command), and never the value of a duplicate key.

/** What a logged error keeps: never the other fields an error carries. */
export interface LoggedError {
  name?: string;
  message?: string;
  code?: string | number;
  codeName?: string;
  stack?: string;
  cause?: LoggedValue;
}

/** A logged error, or what was thrown or given as a cause when it is not an object. */
export type LoggedValue = LoggedError | string | number | boolean | null | undefined;

/** How far a `cause` chain is followed (and a stop for cycles). */
const MAX_CAUSES = 5;

/**
 * A duplicate-key message names the key's value (`dup key: { _id: "…" }`),
 * which can be a session id or a user's name or email: cut it out of the
 * message, and of the stack, whose first line repeats the message.
 */
export function scrub(text: string): string {
  return text.replace(/dup key: \{[^\n]*\}/g, 'dup key: { [redacted] }');
}

/**
 * pino's `err` serializer. pino's own copies every field of an error, and a
 * MongoDB server error carries `keyValue`, `keyPattern`, `errorResponse` and
 * `command`, which can hold a session id or user data. Only the name, message,
 * code, codeName and stack are kept, and the `cause` chain is reduced the same way.
 */
export function serializeError(value: unknown, depth = 0): LoggedValue {
  if (typeof value === 'string') return scrub(value);
  if (value === null || value === undefined) return value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value !== 'object') return typeof value;
  const error = value as Record<string, unknown>;
  const logged: LoggedError = {};
  if (typeof error.name === 'string') logged.name = error.name;
  if (typeof error.message === 'string') logged.message = scrub(error.message);
  if (typeof error.code === 'string' || typeof error.code === 'number') logged.code = error.code;
  if (typeof error.codeName === 'string') logged.codeName = error.codeName;
  if (typeof error.stack === 'string') logged.stack = scrub(error.stack);
  if (error.cause !== undefined && depth < MAX_CAUSES) {
    logged.cause = serializeError(error.cause, depth + 1);
  }
  return logged;
}
