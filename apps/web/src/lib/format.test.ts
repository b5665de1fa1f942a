import { describe, expect, it } from 'vitest';
import { formatLocalDateTime, formatRelativeTime, isoDateTime } from './format.ts';

const NOW = new Date('2026-11-30T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('formatRelativeTime', () => {
  it('says "just now" under a minute, and for a clock slightly ahead', () => {
    expect(formatRelativeTime(NOW, NOW)).toBe('just now');
    expect(formatRelativeTime(ago(44 * SECOND), NOW)).toBe('just now');
    expect(formatRelativeTime(ago(-10 * SECOND), NOW)).toBe('just now');
  });

  it('counts minutes and hours in short units', () => {
    expect(formatRelativeTime(ago(50 * SECOND), NOW)).toBe('1 min ago');
    expect(formatRelativeTime(ago(2 * MINUTE), NOW)).toBe('2 min ago');
    expect(formatRelativeTime(ago(59 * MINUTE), NOW)).toBe('59 min ago');
    // 59.6 minutes rounds to an hour, not to "60 min ago".
    expect(formatRelativeTime(ago(59.6 * MINUTE), NOW)).toBe('1 hr ago');
    expect(formatRelativeTime(ago(3 * HOUR), NOW)).toBe('3 hr ago');
  });

  it('counts days, weeks, months and years in words', () => {
    expect(formatRelativeTime(ago(DAY), NOW)).toBe('yesterday');
    expect(formatRelativeTime(ago(3 * DAY), NOW)).toBe('3 days ago');
    expect(formatRelativeTime(ago(8 * DAY), NOW)).toBe('last week');
    expect(formatRelativeTime(ago(15 * DAY), NOW)).toBe('2 weeks ago');
    expect(formatRelativeTime(ago(45 * DAY), NOW)).toBe('last month');
    expect(formatRelativeTime(ago(100 * DAY), NOW)).toBe('3 months ago');
    expect(formatRelativeTime(ago(800 * DAY), NOW)).toBe('2 years ago');
  });

  it('takes ISO strings and numbers, and speaks of the future too', () => {
    expect(formatRelativeTime(ago(5 * MINUTE).toISOString(), NOW.getTime())).toBe('5 min ago');
    expect(formatRelativeTime(ago(-2 * HOUR), NOW)).toBe('in 2 hr');
    expect(formatRelativeTime('not a date', NOW)).toBe('at an unknown time');
  });
});

describe('formatLocalDateTime', () => {
  const at = '2026-11-30T07:46:00Z';

  it('names the time zone it renders in', () => {
    expect(formatLocalDateTime(at, 'UTC')).toBe('Mon, 30 Nov 2026, 07:46 UTC');
    expect(formatLocalDateTime(at, 'Europe/Paris')).toBe('Mon, 30 Nov 2026, 08:46 CET');
    expect(formatLocalDateTime(at, 'America/New_York')).toBe('Mon, 30 Nov 2026, 02:46 GMT-5');
    // Across midnight the date follows the zone.
    expect(formatLocalDateTime('2026-11-30T23:30:00Z', 'Asia/Tokyo')).toBe(
      'Tue, 1 Dec 2026, 08:30 GMT+9',
    );
  });

  it('uses the runtime zone by default', () => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(formatLocalDateTime(at)).toBe(formatLocalDateTime(at, zone));
  });
});

describe('isoDateTime', () => {
  it('gives an ISO instant', () => {
    expect(isoDateTime(new Date('2026-11-30T07:46:00Z'))).toBe('2026-11-30T07:46:00.000Z');
  });
});
