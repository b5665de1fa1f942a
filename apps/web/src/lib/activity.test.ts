import { describe, expect, it } from 'vitest';
import {
  ACTIVITY_MAX_PAGES,
  ACTIVITY_PAGE_SIZE,
  activityPage,
  activityPageSuffix,
  describeEndedReason,
  describeEvent,
  describeEventSource,
  pageOfEvents,
  shownDetails,
} from './activity.ts';
import { describeUserAgent } from './format.ts';

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1';
const MAC_CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('describeUserAgent', () => {
  it('names the browser, its major version and the system or Apple device', () => {
    expect(describeUserAgent(MAC_CHROME)).toBe('Chrome 131 on macOS');
    expect(describeUserAgent(IPHONE)).toBe('Safari 18 on iPhone');
    expect(
      describeUserAgent(
        'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
      ),
    ).toBe('Firefox 133 on Linux');
    expect(
      describeUserAgent(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      ),
    ).toBe('Microsoft Edge 131 on Windows');
  });

  it('says what it does not know', () => {
    expect(describeUserAgent(null)).toBe('Unknown device');
    expect(describeUserAgent('Mozilla/5.0 (X11; Linux x86_64) AuthkitTest/1.0')).toBe(
      'Unknown browser on Linux',
    );
    expect(describeUserAgent('curl/8.5.0')).toBe('Unknown browser');
  });
});

describe('an account made on the command line', () => {
  it('says an operator made it, and names the command line where a browser would be', () => {
    const event = {
      type: 'register',
      userAgent: 'cli:user:create',
      details: shownDetails({ operator: 'command_line' }),
    };
    expect(describeEvent(event)).toBe('Account created by an operator');
    expect(describeEventSource(event)).toBe('Command line (operator)');
    // A sign-up in a browser reads as before.
    const signUp = { type: 'register', userAgent: MAC_CHROME, details: shownDetails({}) };
    expect(describeEvent(signUp)).toBe('Created account');
    expect(describeEventSource(signUp)).toBe('Chrome 131 on macOS');
    // A browser that calls itself the command line is still a browser.
    expect(describeEventSource({ type: 'login', userAgent: 'cli:user:create' })).toBe(
      'Unknown browser',
    );
  });
});

describe('describeEvent', () => {
  it('tells a re-authentication from a sign-in', () => {
    expect(describeEvent({ type: 'login', details: { remember: true } })).toBe('Signed in');
    expect(describeEvent({ type: 'login', details: { reauthentication: true } })).toBe(
      'Confirmed password',
    );
  });

  it('names the device a revocation signed out, and the other kinds of sign-out', () => {
    expect(
      describeEvent({ type: 'session_revoked', details: { current: false, device: IPHONE } }),
    ).toBe('Signed out Safari 18 on iPhone');
    expect(describeEvent({ type: 'session_revoked', details: { others: true, count: 2 } })).toBe(
      'Signed out 2 other devices',
    );
    expect(
      describeEvent({ type: 'session_revoked', details: { by: 'x', all: true, count: 1 } }),
    ).toBe('Signed out everywhere by an administrator');
  });

  it('reads the password, recovery, email and lock events naturally', () => {
    expect(describeEvent({ type: 'password_changed' })).toBe('Changed password');
    expect(describeEvent({ type: 'password_reset_requested' })).toBe(
      'Asked for a password reset link',
    );
    expect(describeEvent({ type: 'password_reset' })).toBe('Reset password with an emailed link');
    expect(describeEvent({ type: 'email_verified' })).toBe('Confirmed email address');
    expect(describeEvent({ type: 'email_changed' })).toBe('Changed email address');
    expect(describeEvent({ type: 'account_locked' })).toBe('Sign-ins paused after failed attempts');
    // A type added later still shows, as itself.
    expect(describeEvent({ type: 'something_new' })).toBe('something_new');
  });
});

describe('describeEndedReason', () => {
  it('tells a signed-out device why', () => {
    expect(describeEndedReason('signed_out_elsewhere')).toBe(
      'You were signed out from another device.',
    );
    expect(describeEndedReason('deactivated')).toBe('Your account was deactivated.');
    expect(describeEndedReason('signed_out_by_admin')).toBe(
      'An administrator signed you out of every device.',
    );
  });
});

describe('shownDetails', () => {
  it('keeps what the labels read and only whether an administrator acted', () => {
    expect(shownDetails({ by: 'admin-user-id', all: true, count: 3, extra: 'x' })).toEqual({
      by: true,
      all: true,
      count: 3,
    });
  });
});

describe('email change events', () => {
  it('tells a resent link and a cancelled change from the request', () => {
    expect(describeEvent({ type: 'email_change_requested' })).toBe('Asked to change email address');
    expect(describeEvent({ type: 'email_change_requested', details: { resent: true } })).toBe(
      'Asked for a new email change link',
    );
    expect(describeEvent({ type: 'email_change_cancelled' })).toBe(
      'Cancelled the change of email address',
    );
    expect(shownDetails({ resent: true })).toEqual({ resent: true });
  });
});

describe('activity pages', () => {
  it('reads the page from the query: absent is the newest; anything but a page we have is null', () => {
    expect(activityPage(null)).toBe(1);
    expect(activityPage('1')).toBe(1);
    expect(activityPage('2')).toBe(2);
    expect(activityPage(String(ACTIVITY_MAX_PAGES))).toBe(ACTIVITY_MAX_PAGES);
    for (const bad of [
      '',
      '0',
      '-1',
      '01',
      '1.5',
      'x',
      '2e1',
      String(ACTIVITY_MAX_PAGES + 1),
      '9999999',
    ]) {
      expect(activityPage(bad), bad).toBeNull();
    }
  });

  it('links the newest page without a parameter, others with one, at the card', () => {
    expect(activityPageSuffix(1)).toBe('?#activity');
    expect(activityPageSuffix(0)).toBe('?#activity');
    expect(activityPageSuffix(3)).toBe('?activity=3#activity');
  });

  it('cuts a page from the newest events and says whether an older page has any', () => {
    const newest = Array.from({ length: 21 }, (_, i) => i);
    expect(pageOfEvents(newest, 1)).toEqual({ events: newest.slice(0, 10), older: true });
    expect(pageOfEvents(newest, 2)).toEqual({ events: newest.slice(10, 20), older: true });
    expect(pageOfEvents(newest.slice(0, 20), 2)).toEqual({
      events: newest.slice(10, 20),
      older: false,
    });
    expect(pageOfEvents(newest, 3)).toEqual({ events: [20], older: false });
    expect(pageOfEvents(newest, 4)).toEqual({ events: [], older: false });
    expect(ACTIVITY_PAGE_SIZE).toBe(10);
  });
});
