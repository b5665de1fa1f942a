// Which driver errors mean "the database is unreachable" (503 at the edges)
// and which are the client's or the data's (never a 503).
import { MongoBulkWriteError, MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './errors.ts';

// The driver's own constructor, as it wraps what a bulk write threw.
const bulk = (cause: Error | { message: string; code?: number; writeErrors?: unknown[] }) =>
  new MongoBulkWriteError(cause as never, {} as never);

describe('isDatabaseUnavailable', () => {
  it('recognises a bulk write whose connection closed (insertMany during an outage)', () => {
    expect(isDatabaseUnavailable(bulk(new MongoNetworkError('connection 9 to 127.0.0.1:33537 closed')))).toBe(true);
    expect(isDatabaseUnavailable(bulk(new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:1')))).toBe(true);
  });

  it('does not take a bulk write refused for its data for an outage', () => {
    const duplicate = bulk({ message: 'E11000 duplicate key error', code: 11000, writeErrors: [{ code: 11000, index: 0 }] });
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
    expect(isDatabaseUnavailable(new MongoServerError({ message: 'bad value', code: 2 }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('connection closed'))).toBe(false);
  });
});
