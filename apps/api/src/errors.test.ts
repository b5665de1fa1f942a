// What a client sees of an error: unit tests of the mapping and the formatter.
import { AuthError, type AuthErrorCode } from '@authkit/auth';
import { trpcErrorCode } from '@authkit/auth/trpc';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatError, retryAfterSeconds, toTRPCError } from './errors.ts';

function shapeOf(error: TRPCError) {
  const shape = {
    code: -32603 as const,
    message: error.message,
    data: { code: error.code, httpStatus: 500, path: 'x.y', stack: error.stack },
  };
  return formatError(shape, error);
}

describe('toTRPCError', () => {
  it('maps every AuthError code as the tRPC adapter says', () => {
    // The table itself (AuthError code -> tRPC code) lives in @authkit/auth/trpc.
    for (const [code, expected] of Object.entries(trpcErrorCode)) {
      expect(toTRPCError(new AuthError(code as AuthErrorCode, 'm')).code).toBe(expected);
    }
  });

  it('maps a database connection cut in the middle of a write to 503', () => {
    // What the driver throws, unwrapped, when the server closed the socket just before.
    const epipe = Object.assign(new Error('This socket has been ended by the other party'), {
      code: 'EPIPE',
    });
    expect(toTRPCError(epipe).code).toBe('SERVICE_UNAVAILABLE');
    expect(toTRPCError(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: epipe })).code).toBe(
      'SERVICE_UNAVAILABLE',
    );
  });

  it('unwraps what tRPC wrapped, and leaves real bugs as 500', () => {
    const wrapped = new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      cause: new AuthError('NOT_FOUND', 'gone'),
    });
    expect(toTRPCError(wrapped).code).toBe('NOT_FOUND');
    const bug = new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      cause: new TypeError('x is undefined'),
    });
    expect(toTRPCError(bug)).toBe(bug);
    expect(toTRPCError(new RangeError('boom')).code).toBe('INTERNAL_SERVER_ERROR');
  });
});

describe('formatError', () => {
  it('hides the message and stack of an unexpected error', () => {
    const error = new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      cause: new TypeError('secret internals at db.ts:42'),
    });
    const shape = shapeOf(error);
    expect(shape.message).toBe('Internal server error.');
    expect(JSON.stringify(shape)).not.toContain('secret internals');
    expect(shape.data).not.toHaveProperty('stack');
  });

  it('gives field messages for zod and VALIDATION errors', () => {
    const zodError = z.strictObject({ name: z.string() }).safeParse({ name: 1 }).error!;
    const fromZod = shapeOf(new TRPCError({ code: 'BAD_REQUEST', cause: zodError }));
    expect(fromZod.message).toBe('Invalid input.');
    expect(fromZod.data.fieldErrors?.name).toHaveLength(1);

    const validation = new AuthError('VALIDATION', 'Check the form.', {
      fieldErrors: { email: ['Taken.'] },
    });
    const fromAuth = shapeOf(toTRPCError(validation));
    expect(fromAuth.message).toBe('Check the form.');
    expect(fromAuth.data.fieldErrors).toEqual({ email: ['Taken.'] });
  });

  it("does not repeat the JSON parser's quote of a malformed input", () => {
    let syntaxError: SyntaxError | undefined;
    try {
      JSON.parse('{"password": hunter2-secret}');
    } catch (error) {
      syntaxError = error as SyntaxError;
    }
    expect(syntaxError).toBeInstanceOf(SyntaxError);
    // What tRPC makes of it: the parser's message, which quotes the input.
    const error = new TRPCError({
      code: 'BAD_REQUEST',
      message: syntaxError!.message,
      cause: syntaxError,
    });
    expect(error.message).toContain('hunter2');
    const shape = shapeOf(error);
    expect(shape.message).toBe('The input is not valid JSON.');
    expect(JSON.stringify(shape)).not.toContain('hunter2');
  });

  it('gives reasons and Retry-After', () => {
    expect(shapeOf(toTRPCError(new AuthError('NEEDS_REFRESH', 'm'))).data.reason).toBe(
      'needs_refresh',
    );
    const throttled = toTRPCError(new AuthError('THROTTLED', 'm', { retryAfterSeconds: 12.2 }));
    expect(shapeOf(throttled).data.retryAfterSeconds).toBe(12.2);
    expect(retryAfterSeconds([throttled])).toBe(13);
    expect(retryAfterSeconds([toTRPCError(new AuthError('NOT_FOUND', 'm'))])).toBeNull();
  });
});
