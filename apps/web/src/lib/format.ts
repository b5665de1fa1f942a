// Small display helpers shared by the pages.
import Bowser from 'bowser';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// Short units read well for the recent past ("2 min ago"), long ones for the rest ("3 days ago").
const relativeShort = new Intl.RelativeTimeFormat('en-GB', { numeric: 'auto', style: 'short' });
const relativeLong = new Intl.RelativeTimeFormat('en-GB', { numeric: 'auto', style: 'long' });

/**
 * How long ago (or, for a clock ahead of ours, how soon) a moment is, without a
 * time zone: "just now", "2 min ago", "3 hr ago", "yesterday", "3 days ago",
 * "last week", "2 months ago". `now` is the reader's clock.
 */
export function formatRelativeTime(value: Date | string, now: Date | number = Date.now()): string {
  const diff = new Date(value).getTime() - new Date(now).getTime();
  if (Number.isNaN(diff)) return 'at an unknown time';
  const elapsed = Math.abs(diff);
  // Under a minute, or clocks a little apart: no countdown of seconds.
  if (elapsed < 45 * SECOND) return 'just now';
  const sign = diff < 0 ? -1 : 1;
  const minutes = Math.round(elapsed / MINUTE);
  if (minutes < 60) return relativeShort.format(sign * minutes, 'minute');
  const hours = Math.round(elapsed / HOUR);
  if (hours < 24) return relativeShort.format(sign * hours, 'hour');
  const days = Math.round(elapsed / DAY);
  if (days < 7) return relativeLong.format(sign * days, 'day');
  if (days < 30) return relativeLong.format(sign * Math.round(days / 7), 'week');
  if (days < 365) return relativeLong.format(sign * Math.max(1, Math.round(days / 30.44)), 'month');
  return relativeLong.format(sign * Math.round(days / 365.25), 'year');
}

const localDateTimes = new Map<string, Intl.DateTimeFormat>();

/**
 * A full date and time in a time zone, named: "Mon, 30 Nov 2026, 08:46 CET".
 * Without `timeZone`, the zone of the runtime: the visitor's in a browser. The
 * server does not know the visitor's zone: it renders UTC (`timeZone: 'UTC'`).
 */
export function formatLocalDateTime(value: Date | string, timeZone?: string): string {
  const key = timeZone ?? '';
  let format = localDateTimes.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
      timeZone,
    });
    localDateTimes.set(key, format);
  }
  return format.format(new Date(value));
}

/** An ISO 8601 instant for a `<time datetime>` attribute. */
export function isoDateTime(value: Date | string): string {
  return new Date(value).toISOString();
}

/**
 * A short description of a browser from its user agent, by bowser:
 * "Chrome 131 on macOS", "Safari 18 on iPhone", "Firefox 133 on Linux".
 */
export function describeUserAgent(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown device';
  const { browser, os, platform } = Bowser.parse(userAgent);
  // bowser names an unknown client after its first product token ("Mozilla"): no better than nothing.
  const name = browser.name && browser.name !== 'Mozilla' ? browser.name : null;
  const major = browser.version?.split('.')[0];
  const client = name ? (major ? `${name} ${major}` : name) : 'Unknown browser';
  // On Apple's phones and tablets the device says more than "iOS".
  const device = os.name === 'iOS' && platform.model ? platform.model : os.name;
  return device ? `${client} on ${device}` : client;
}

/** "30 seconds", "2 minutes" */
export function describeWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
