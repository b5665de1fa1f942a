import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseEnvironment } from './environment.ts';

const schema = z.object({
  PORT: z.coerce.number().int().positive().optional(),
  MONGODB_URL: z.string().startsWith('mongodb'),
  SECRET_TOKEN: z.string().min(8).optional(),
});

describe('parseEnvironment', () => {
  it('reads the named variables, trimmed, and leaves out unset, empty and unrelated ones', () => {
    expect(
      parseEnvironment(schema, {
        PORT: ' 80 ',
        MONGODB_URL: 'mongodb://db',
        SECRET_TOKEN: '',
        HOME: '/root',
      }),
    ).toEqual({ PORT: 80, MONGODB_URL: 'mongodb://db' });
  });

  it('names the first bad variable and shows a harmless value', () => {
    expect(() => parseEnvironment(schema, { PORT: 'eighty', MONGODB_URL: 'mongodb://db' })).toThrow(
      'Invalid environment variable PORT="eighty": ',
    );
    expect(() => parseEnvironment(schema, {})).toThrow(
      /^Invalid environment variable MONGODB_URL: /,
    );
  });

  it('never repeats a value that may hold a password', () => {
    const call = () =>
      parseEnvironment(schema, {
        MONGODB_URL: 'postgres://user:hunter2@db',
        SECRET_TOKEN: 'short',
      });
    expect(call).toThrow(/^Invalid environment variable MONGODB_URL: /);
    expect(call).not.toThrow(/hunter2/);
    expect(() =>
      parseEnvironment(schema, { MONGODB_URL: 'mongodb://db', SECRET_TOKEN: 'short' }),
    ).not.toThrow(/short/);
  });
});
