import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.ts';

/**
 * JSON lines on stdout. The request log never includes headers or bodies; the
 * redaction is a second line of defence should an object with secrets be logged.
 */
export function createLogger(
  config: Pick<Config, 'logLevel'>,
  destination?: DestinationStream,
): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'api' },
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
