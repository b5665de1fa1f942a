import {
  MongoBulkWriteError,
  MongoNetworkError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

/**
 * Socket errors the driver lets through unwrapped: writing to a connection the
 * server has just closed (it is shutting down) throws a plain `EPIPE` Error
 * ("This socket has been ended by the other party"), not a MongoNetworkError.
 */
const NETWORK_ERROR_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT']);

/**
 * What a server answers to operations it cuts off while stopping or stepping
 * down: ShutdownInProgress, InterruptedAtShutdown, InterruptedDueToReplStateChange,
 * NotWritablePrimary, PrimarySteppedDown.
 */
const UNAVAILABLE_SERVER_CODES = new Set([91, 11600, 11602, 10107, 189]);

/** The server could not be reached, or went away mid-operation (maps to 503 at the edges). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoTopologyClosedError
  ) {
    return true;
  }
  // A bulk write (insertMany, bulkWrite) that lost its connection: the driver
  // wraps the network error in a MongoBulkWriteError that keeps only its
  // message (no write errors, no code of the server's).
  if (error instanceof MongoBulkWriteError && [error.writeErrors].flat().length === 0 && typeof error.code !== 'number') {
    return /\b(connection .* (closed|timed out)|ECONN\w+|EPIPE|Topology is closed|Server selection timed out)\b/i.test(error.message);
  }
  if (error instanceof MongoServerError) {
    if (typeof error.code === 'number' && UNAVAILABLE_SERVER_CODES.has(error.code)) return true;
    // FerretDB cuts off operations at shutdown with InternalError "... context canceled".
    return error.code === 1 && /\bcontext canceled\b/.test(error.message);
  }
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

/** A unique index refused a write; `field` names the index's first key when known. */
export function isDuplicateKeyError(error: unknown): error is MongoServerError {
  return error instanceof MongoServerError && error.code === 11000;
}
