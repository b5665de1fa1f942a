import pino, { type DestinationStream, type LogFn, type Logger } from 'pino';
import type { Config } from './config.ts';

// pino's `err` serializer is the one every app of the repo logs errors with.
export { serializeError, type LoggedError, type LoggedValue } from '@authkit/db';
import { scrub, serializeError } from '@authkit/db';

/**
 * How much log text may wait for stdout: beyond it, lines are dropped rather
 * than held (a stalled log reader must not grow the process without bound).
 */
export const LOG_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * JSON lines on stdout, written asynchronously: a line is appended to a buffer
 * and written by a background write, so lines that arrive while one is under
 * way go out together (one write for many requests under load, no write
 * system call on the request's path). What it risks: lines still in the
 * buffer when the process dies without running its exit handlers (SIGKILL,
 * the kernel's OOM killer, a native crash) are lost; on a normal exit,
 * process.exit() and an uncaught exception, pino flushes them synchronously
 * (main.ts logs the fatal error, then exits). At most LOG_BUFFER_BYTES wait.
 *
 * The request log never includes headers or bodies; the redaction is a second
 * line of defence should an object with secrets be logged.
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
  return pino(
    options,
    destination ?? pino.destination({ dest: 1, sync: false, maxLength: LOG_BUFFER_BYTES }),
  );
}
