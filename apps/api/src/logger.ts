import pino, { type DestinationStream, type LogFn, type Logger } from 'pino';
import type { Config } from './config.ts';

// pino's `err` serializer is the one every app of the repo logs errors with.
export { serializeError, type LoggedError, type LoggedValue } from '@authkit/db';
import { scrub, serializeError } from '@authkit/db';

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
