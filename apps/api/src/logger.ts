import pino, { type DestinationStream, type LogFn, type Logger } from 'pino';
import type { Config } from './config.ts';

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
function scrub(text: string): string {
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

/**
 * JSON lines on stdout. The request log never includes headers or bodies; the
 * redaction is a second line of defence should an object with secrets be logged.
 * Errors keep only their name, message, code and stack (see `serializeError`).
 */
export function createLogger(
  config: Pick<Config, 'logLevel'>,
  destination?: DestinationStream,
): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'api' },
    serializers: { err: serializeError, error: serializeError },
    hooks: {
      // An error logged without a message lends the line its own message as
      // `msg`, past the serializer: give it the serializer's scrubbed one.
      logMethod(this: Logger, args: Parameters<LogFn>, method: LogFn) {
        const [first, ...rest] = args as unknown[];
        const error =
          first instanceof Error
            ? first
            : first !== null && typeof first === 'object' && 'err' in first
              ? first.err
              : undefined;
        if (error instanceof Error && typeof rest[0] !== 'string') {
          return method.apply(this, [first, scrub(error.message), ...rest] as Parameters<LogFn>);
        }
        return method.apply(this, args);
      },
    },
    redact: {
      paths: [
        'token',
        'password',
        'currentPassword',
        'newPassword',
        // The session id is the token's hash: not a credential, but no log's business either.
        'sessionId',
        '*.token',
        '*.password',
        '*.currentPassword',
        '*.newPassword',
        '*.sessionId',
        'headers.cookie',
        'headers.authorization',
        '*.headers.cookie',
        '*.headers.authorization',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
