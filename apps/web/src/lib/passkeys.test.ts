import { WebAuthnError } from '@simplewebauthn/browser';
import { describe, expect, it } from 'vitest';
import { passkeyProblem } from './passkeys.ts';

describe('passkeyProblem', () => {
  it('a SecurityError (the browser refuses this site as relying party) says the site is set up wrongly', () => {
    // What @simplewebauthn/browser throws for an IP-address origin: its cause's name.
    const refused = new WebAuthnError({
      message: '127.0.0.1 is an invalid domain',
      code: 'ERROR_INVALID_DOMAIN',
      cause: new DOMException('This is an invalid domain.', 'SecurityError'),
    });
    expect(passkeyProblem(refused).message).toBe('Passkeys are not set up correctly on this site.');
    expect(passkeyProblem(new DOMException('bad RP ID', 'SecurityError')).message).toBe(
      'Passkeys are not set up correctly on this site.',
    );
  });

  it('a cancelled prompt may be tried again', () => {
    const cancelled = new WebAuthnError({
      message: 'The operation either timed out or was not allowed.',
      code: 'ERROR_PASSTHROUGH_SEE_CAUSE_PROPERTY',
      cause: new DOMException('timed out', 'NotAllowedError'),
    });
    expect(passkeyProblem(cancelled).message).toMatch(/cancelled or timed out/);
  });
});
