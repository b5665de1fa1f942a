import { describe, expect, it } from 'vitest';
import { safeNext } from './safe-next.ts';

describe('safeNext', () => {
  it('keeps same-site paths with their query and hash', () => {
    expect(safeNext('/account')).toBe('/account');
    expect(safeNext('/admin?page=2')).toBe('/admin?page=2');
    expect(safeNext('/account?tab=sessions#devices')).toBe('/account?tab=sessions#devices');
    expect(safeNext('/')).toBe('/');
  });

  it.each([
    '//evil.example',
    '//evil.example/path',
    'https://evil.example',
    'http://evil.example/dashboard',
    '/\\evil.example',
    '\\\\evil.example',
    '/\\/evil.example',
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'data:text/html,hi',
    'evil.example',
    'dashboard',
    '/\tevil',
    '/\n/evil.example',
    '',
    '   ',
    '/logout',
  ])('falls back to /dashboard for %j', (next) => {
    expect(safeNext(next)).toBe('/dashboard');
  });

  it('falls back for non-strings and overlong values', () => {
    expect(safeNext(undefined)).toBe('/dashboard');
    expect(safeNext(null)).toBe('/dashboard');
    expect(safeNext(['/account'])).toBe('/dashboard');
    expect(safeNext(`/${'a'.repeat(3000)}`)).toBe('/dashboard');
  });

  it('uses the given fallback', () => {
    expect(safeNext('//evil.example', '/account')).toBe('/account');
  });

  it('normalises dot segments without leaving the site', () => {
    expect(safeNext('/a/../account')).toBe('/account');
    expect(safeNext('/..//evil.example')).toBe('/dashboard');
    expect(safeNext('/./\u002f/evil.example')).toBe('/dashboard');
  });

  it('keeps percent-encoded characters encoded', () => {
    expect(safeNext('/%0a/evil')).toBe('/%0a/evil');
    expect(safeNext('/%2F%2Fevil.example')).toBe('/%2F%2Fevil.example');
  });
});
