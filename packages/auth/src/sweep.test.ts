// The periodic sweep (deleteExpiredSessions) on a server without TTL indexes
// (FerretDB): short-lived records of every kind are gone once expired, live
// ones stay.
import { describe, expect, it } from 'vitest';
import { useTestAuth } from './test-harness.ts';
import { createSignedInUser, testRequest, totpCode } from './testing.ts';

const { database, clock, auth } = useTestAuth({ siteUrl: 'https://site.example' });
const HOUR = 3_600_000;

/** One record of each short-lived kind: a passkey challenge, a pending second step, link tokens. */
async function makeShortLivedRecords(): Promise<void> {
  await auth.passkeyAuthenticationOptions(null, testRequest);
  const member = await createSignedInUser(auth);
  const enrolment = await auth.beginTotpEnrolment(member.session, testRequest);
  await auth.confirmTotpEnrolment(
    member.session,
    totpCode(enrolment.secret, clock.now()),
    testRequest,
  );
  const user = await auth.authenticate(member.user.username, member.password, testRequest);
  await auth.startSecondFactor(user, {});
  await auth.requestPasswordReset(member.user.username, testRequest);
  await auth.resendVerification(member.session, testRequest);
}

describe('the sweep', () => {
  it('deletes expired passkey challenges, pending second steps and link tokens, and keeps live ones', async () => {
    await makeShortLivedRecords();
    // Past every lifetime (email verification links: 24 h).
    clock.advance(25 * HOUR);
    await makeShortLivedRecords();
    const collections = {
      webauthn_challenges: database.current.webauthnChallenges,
      pending_sign_ins: database.current.pendingSignIns,
      single_use_tokens: database.current.singleUseTokens,
    };
    const expired = { expires_at: { $lte: clock.now() } };
    for (const [name, collection] of Object.entries(collections)) {
      expect(await collection.countDocuments(expired), `expired ${name} before`).toBeGreaterThan(0);
    }

    await auth.deleteExpiredSessions();
    for (const [name, collection] of Object.entries(collections)) {
      expect(await collection.countDocuments(expired), `expired ${name} after`).toBe(0);
      expect(await collection.countDocuments({}), `live ${name}`).toBeGreaterThan(0);
    }
  });
});
