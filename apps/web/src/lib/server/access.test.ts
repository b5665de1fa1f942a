import { describe, expect, it } from 'vitest';
import { accessFor, carriesToken } from './access.ts';

describe('accessFor', () => {
  it.each([
    [null, 'public'],
    ['/', 'public'],
    ['/logout', 'public'],
    ['/dashboardx', 'public'],
    ['/administrator', 'public'],
    // The dashboard needs a confirmed address under REQUIRE_VERIFIED_EMAIL...
    ['/dashboard', 'verified'],
    // ...the account page (to fix a mistyped address) and its re-authentication do not.
    ['/account', 'signed-in'],
    ['/account/reauth', 'signed-in'],
    ['/admin', 'admin'],
    ['/admin/users', 'admin'],
    ['/admin/[id]', 'admin'],
    ['/login', 'guest-only'],
    ['/register', 'guest-only'],
    ['/forgot', 'public'],
    ['/reset/[token]', 'public'],
    ['/verify-email', 'signed-in'],
    ['/verify-email/[token]', 'public'],
    // A route group leaves the path (and so the access) as it was.
    ['/(app)/account', 'signed-in'],
    ['/(app)/dashboard', 'verified'],
    ['/(admin)/admin/users', 'admin'],
    ['/(public)', 'public'],
  ] as const)('route %s is %s', (routeId, access) => {
    expect(accessFor(routeId)).toBe(access);
  });
});

describe('carriesToken', () => {
  it.each([
    ['/reset/[token]', true],
    ['/verify-email/[token]', true],
    ['/(public)/reset/[token]', true],
    ['/verify-email', false],
    ['/forgot', false],
    [null, false],
  ] as const)('route %s: %s', (routeId, expected) => {
    expect(carriesToken(routeId)).toBe(expected);
  });
});
