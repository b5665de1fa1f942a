import { describe, expect, it } from 'vitest';
import {
  describeEndedReason,
  describeEvent,
  describeEventSource,
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
