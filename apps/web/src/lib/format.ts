// Small display helpers shared by the pages.
import Bowser from 'bowser';

const dateTime = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** "25 Nov 2026, 14:03 UTC" */
export function formatDateTime(value: Date | string): string {
  return `${dateTime.format(new Date(value))} UTC`;
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
