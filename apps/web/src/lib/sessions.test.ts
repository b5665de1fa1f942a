import { describe, expect, it } from 'vitest';
import { orderSessions, signOutLabels, type ListedSession } from './sessions.ts';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/140.0';
const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

function session(overrides: Partial<ListedSession>): ListedSession {
  return {
    id: 'x',
    current: false,
    userAgent: FIREFOX,
    ip: '203.0.113.5',
    createdAt: '2026-11-30T08:00:00Z',
    lastSeenAt: '2026-11-30T09:00:00Z',
    remember: false,
    ...overrides,
  };
}

describe('orderSessions', () => {
  it('puts this device first, then the most recently active', () => {
    const list = [
      session({ id: 'old', lastSeenAt: '2026-11-29T09:00:00Z' }),
      session({ id: 'new', lastSeenAt: '2026-11-30T11:00:00Z' }),
      session({ id: null, current: true, lastSeenAt: '2026-11-28T09:00:00Z' }),
      session({ id: 'mid', lastSeenAt: new Date('2026-11-30T10:00:00Z') }),
    ];
    expect(orderSessions(list).map((item) => item.id)).toEqual([null, 'new', 'mid', 'old']);
    // The input is left as it was.
    expect(list[0]?.id).toBe('old');
  });

  it('breaks ties by the latest sign-in', () => {
    const list = [
      session({ id: 'a', createdAt: '2026-11-01T00:00:00Z' }),
      session({ id: 'b', createdAt: '2026-11-02T00:00:00Z' }),
    ];
    expect(orderSessions(list).map((item) => item.id)).toEqual(['b', 'a']);
  });
});

describe('signOutLabels', () => {
  const when = (value: Date | string) => new Date(value).toISOString().slice(0, 16);

  it('names the device and the sign-in time', () => {
    expect(
      signOutLabels(
        [session({}), session({ userAgent: CHROME, createdAt: '2026-11-29T08:00:00Z' })],
        when,
      ),
    ).toEqual([
      'Sign out Firefox 140 on Windows, signed in 2026-11-30T08:00',
      'Sign out Chrome 131 on macOS, signed in 2026-11-29T08:00',
    ]);
  });

  it('adds the address, then a number, where two would read the same', () => {
    const labels = signOutLabels(
      [session({ ip: '198.51.100.1' }), session({}), session({}), session({ userAgent: CHROME })],
      when,
    );
    expect(labels).toEqual([
      'Sign out Firefox 140 on Windows, signed in 2026-11-30T08:00, from 198.51.100.1',
      'Sign out Firefox 140 on Windows, signed in 2026-11-30T08:00, from 203.0.113.5 (1)',
      'Sign out Firefox 140 on Windows, signed in 2026-11-30T08:00, from 203.0.113.5 (2)',
      'Sign out Chrome 131 on macOS, signed in 2026-11-30T08:00',
    ]);
    expect(new Set(labels).size).toBe(labels.length);
  });
});
