import { describe, expect, it } from 'vitest';
import { flashAtTop, parseFlash } from './flash.ts';

describe('flash messages', () => {
  it('ignores malformed or tampered values', () => {
    expect(parseFlash(undefined)).toBeNull();
    expect(parseFlash('not an object')).toBeNull();
    expect(parseFlash(null)).toBeNull();
    expect(parseFlash({ type: 'html', message: 'x' })).toBeNull();
    expect(parseFlash({ type: 'info', message: '' })).toBeNull();
    expect(parseFlash({ type: 'info', message: 'x'.repeat(501) })).toBeNull();
    expect(parseFlash({ type: 'info', message: 42 })).toBeNull();
  });

  it('keeps a known scope and drops an unknown one, and anything else', () => {
    const scoped = { type: 'success', message: 'Done', scope: 'sessions' } as const;
    expect(parseFlash({ ...scoped, html: '<b>' })).toEqual(scoped);
    expect(parseFlash({ type: 'info', message: 'x', scope: 'nav' })).toEqual({
      type: 'info',
      message: 'x',
    });
    expect(parseFlash({ type: 'info', message: 'x', scope: 1 })).toEqual({
      type: 'info',
      message: 'x',
    });
  });

  it('keeps a known link by name and drops any other (a cookie never carries a URL)', () => {
    const prompt = {
      type: 'warning',
      message: 'Few codes left',
      link: 'new-recovery-codes',
    } as const;
    expect(parseFlash(prompt)).toEqual(prompt);
    expect(parseFlash({ ...prompt, link: 'https://evil.example/' })).toEqual({
      type: 'warning',
      message: 'Few codes left',
    });
    expect(parseFlash({ ...prompt, link: 'toString' })).toEqual({
      type: 'warning',
      message: 'Few codes left',
    });
  });

  it('shows a scoped message in its place, and at the top anywhere else', () => {
    const scoped = { type: 'success', message: 'Done', scope: 'sessions' } as const;
    expect(flashAtTop(scoped, '/account')).toBe(false);
    expect(flashAtTop(scoped, '/dashboard')).toBe(true);
    expect(flashAtTop(scoped, null)).toBe(true);
    expect(flashAtTop({ type: 'info', message: 'Hi' }, '/account')).toBe(true);
    // A sign-in's welcome: the dashboard shows it (with its own notices); any other page at the top.
    const welcome = { type: 'success', message: 'Welcome back!', scope: 'welcome' } as const;
    expect(parseFlash(welcome)).toEqual(welcome);
    expect(flashAtTop(welcome, '/dashboard')).toBe(false);
    expect(flashAtTop(welcome, '/account')).toBe(true);
  });
});
