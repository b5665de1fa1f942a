import { describe, expect, it } from 'vitest';
import { passkeySignedIn } from './passkey-sign-in.ts';

const answer = {
  result: {
    data: {
      secondFactorRequired: false,
      user: { id: 'u1', username: 'alice' },
      expiresAt: '2026-12-05T12:00:00.000Z',
      failedSignInsSinceLastVisit: 2,
    },
  },
};

describe('passkeySignedIn', () => {
  it('reads the user and failed sign-ins from a batched or a single answer', () => {
    expect(passkeySignedIn(JSON.stringify([answer]), 0)).toEqual({
      username: 'alice',
      failedSignInsSinceLastVisit: 2,
    });
    expect(passkeySignedIn(JSON.stringify(answer), 0)?.username).toBe('alice');
    expect(passkeySignedIn(JSON.stringify([{ result: { data: 1 } }, answer]), 1)?.username).toBe(
      'alice',
    );
  });

  it('is null for errors, other answers and anything malformed', () => {
    expect(passkeySignedIn('not json', 0)).toBeNull();
    expect(passkeySignedIn(JSON.stringify([{ error: { message: 'no' } }]), 0)).toBeNull();
    expect(passkeySignedIn(JSON.stringify([answer]), 1)).toBeNull();
    expect(passkeySignedIn(JSON.stringify(answer), 1)).toBeNull();
    const pending = { result: { data: { secondFactorRequired: true, challenge: 'x' } } };
    expect(passkeySignedIn(JSON.stringify([pending]), 0)).toBeNull();
    const nameless = { result: { data: { secondFactorRequired: false, user: {} } } };
    expect(passkeySignedIn(JSON.stringify([nameless]), 0)).toBeNull();
  });
});
