import { describe, expect, it } from 'vitest';
import { accessFor } from './access.ts';

describe('accessFor', () => {
  it.each([
    ['/', 'public'],
    ['/logout', 'public'],
    ['/dashboardx', 'public'],
    ['/administrator', 'public'],
    ['/dashboard', 'signed-in'],
    ['/account', 'signed-in'],
    ['/account/reauth', 'signed-in'],
    ['/admin', 'admin'],
    ['/admin/users', 'admin'],
    ['/login', 'guest-only'],
    ['/register', 'guest-only'],
  ] as const)('%s is %s', (path, access) => {
    expect(accessFor(path)).toBe(access);
  });
});
