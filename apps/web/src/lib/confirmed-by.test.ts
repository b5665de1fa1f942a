import { describe, expect, it } from 'vitest';
import { describeConfirmation } from './confirmed-by.ts';

describe('describeConfirmation', () => {
  it('names what the session was confirmed with', () => {
    expect(describeConfirmation(['passkey'])).toBe('a passkey');
    expect(describeConfirmation(['password'])).toBe('your password');
    expect(describeConfirmation(['password', 'totp'])).toBe(
      'your password and a code from your authenticator app',
    );
    expect(describeConfirmation(['password', 'recovery_code'])).toBe(
      'your password and a recovery code',
    );
    expect(describeConfirmation(['oauth'])).toBe('a connected account');
    expect(describeConfirmation(['oauth', 'totp'])).toBe(
      'a connected account and a code from your authenticator app',
    );
  });

  it('reads a session from before amr was recorded as a password', () => {
    expect(describeConfirmation([])).toBe('your password');
  });
});
