import { describe, expect, it } from 'vitest';
import { trpcTarget } from './trpc-target.ts';

describe('trpcTarget (the /trpc forwarder)', () => {
  it('forwards a procedure and a batch, with the query string as sent', () => {
    expect(trpcTarget('http://127.0.0.1:3001', 'auth.me', '')?.href).toBe(
      'http://127.0.0.1:3001/trpc/auth.me',
    );
    expect(
      trpcTarget(
        'http://127.0.0.1:3001',
        'auth.me,auth.passkeys.list',
        '?batch=1&input=%7B%220%22%3A%7B%7D%7D',
      )?.href,
    ).toBe(
      'http://127.0.0.1:3001/trpc/auth.me,auth.passkeys.list?batch=1&input=%7B%220%22%3A%7B%7D%7D',
    );
  });

  it('keeps a path prefix of API_URL', () => {
    expect(trpcTarget('https://internal.test/api/', 'auth.me', '?batch=1')?.href).toBe(
      'https://internal.test/api/trpc/auth.me?batch=1',
    );
  });

  // The decoded rest parameter of /trpc/..%2Fhealth, /trpc/x%2F..%2F..%2Fhealth, …
  it.each([
    '../health',
    'x/../../health',
    '..\\health',
    'auth.me?x=1',
    'auth.me#x',
    'a/b',
    '..',
    '.',
    '',
    '%2E%2E',
    'auth.me ',
    'auth.mé',
    '//evil.test/x',
    'http:evil.test',
  ])('refuses %j', (path) => {
    expect(trpcTarget('http://127.0.0.1:3001', path, '')).toBeNull();
    expect(trpcTarget('http://127.0.0.1:3001/api', path, '')).toBeNull();
  });

  it('never leaves /trpc/ under a prefix, even for dot segments', () => {
    for (const path of ['..', '...', '.', '..,..']) {
      const target = trpcTarget('http://127.0.0.1:3001/api', path, '');
      if (target) expect(target.pathname.startsWith('/api/trpc/')).toBe(true);
    }
  });
});
