import { describe, expect, it } from 'vitest';
import { accessFor } from './access.ts';

describe('accessFor', () => {
  it.each([
    [null, 'public'],
    ['/', 'public'],
    ['/logout', 'public'],
    ['/dashboardx', 'public'],
    ['/administrator', 'public'],
    ['/dashboard', 'signed-in'],
    ['/account', 'signed-in'],
    ['/account/reauth', 'signed-in'],
    ['/admin', 'admin'],
    ['/admin/users', 'admin'],
    ['/admin/[id]', 'admin'],
    ['/login', 'guest-only'],
    ['/register', 'guest-only'],
    // A route group leaves the path (and so the access) as it was.
    ['/(app)/account', 'signed-in'],
    ['/(admin)/admin/users', 'admin'],
    ['/(public)', 'public'],
  ] as const)('route %s is %s', (routeId, access) => {
    expect(accessFor(routeId)).toBe(access);
  });
});
