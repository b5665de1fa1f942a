// A pending change of email address: listed for its owner, mailed again on
// request (to the pending address only, within the first send's quota),
// cancelled (its link stops working), and void once the account's stamp
// changes. Mails are read from the outbox, written with the change.
import { describe, expect, it } from 'vitest';
import { authErrorOf, useTestAuth } from './test-harness.ts';
import { createSignedInUser, strongTestPassword, testRequest } from './testing.ts';

const SITE = 'https://site.example';
const { database, auth } = useTestAuth({ siteUrl: SITE });

/** The tokens of the email-change links mailed to `to`, newest first. */
async function changeLinksTo(to: string): Promise<string[]> {
  const mails = await database.current.mailOutbox.find({ to, kind: 'email_change' }).sort({ created_at: -1, _id: -1 }).toArray();
  return mails.map((mail) => {
    const match = new RegExp(`${SITE}/verify-email/([a-z2-7]+)`).exec(mail.text);
    if (!match?.[1]) throw new Error(`no link in the mail to ${to}`);
    return match[1];
  });
}

async function memberWithPendingChange() {
  const member = await createSignedInUser(auth);
  const to = `new-${member.user.id}@example.test`;
  await auth.requestEmailChange(member.session, to, testRequest);
  const [token] = await changeLinksTo(to);
  return { member, to, token: token! };
}

describe('a pending email change', () => {
  it('is listed for its owner with the new address and when it was asked for', async () => {
    const member = await createSignedInUser(auth);
    expect(await auth.pendingEmailChange(member.session)).toBeNull();
    const to = `new-${member.user.id}@example.test`;
    await auth.requestEmailChange(member.session, to, testRequest);
    const pending = await auth.pendingEmailChange(member.session);
    expect(pending).toMatchObject({ email: to });
    expect(pending!.expiresAt.getTime()).toBeGreaterThan(pending!.requestedAt.getTime());
    // Once confirmed, nothing is pending.
    const [token] = await changeLinksTo(to);
    await auth.verifyEmail(token!, testRequest, { keepSessionId: member.session.id });
    expect(await auth.pendingEmailChange(member.session)).toBeNull();
  });

  it('is listed alike when the new address has an account (which tells nobody it has one)', async () => {
    const owner = await createSignedInUser(auth);
    const member = await createSignedInUser(auth);
    await auth.requestEmailChange(member.session, owner.user.email.toUpperCase(), testRequest);
    expect(await auth.pendingEmailChange(member.session)).toMatchObject({ email: owner.user.email.toUpperCase() });
    // No link went to the owner's address; its owner got a notice.
    expect(await database.current.mailOutbox.countDocuments({ kind: 'email_change', to: owner.user.email.toUpperCase() })).toBe(0);
    expect(await database.current.mailOutbox.countDocuments({ kind: 'address_in_use_notice', to: owner.user.email })).toBe(1);
  });

  it('resend mails a new link to the pending address; the earlier link stops working', async () => {
    const { member, to, token: first } = await memberWithPendingChange();
    expect(await auth.resendEmailChange(member.session, testRequest)).toEqual({ email: to });
    const links = await changeLinksTo(to);
    expect(links).toHaveLength(2);
    expect(links[0]).not.toBe(first);
    expect((await authErrorOf(auth.verifyEmail(first, testRequest))).code).toBe('VALIDATION');
    await auth.verifyEmail(links[0]!, testRequest, { keepSessionId: member.session.id });
    expect((await database.current.users.findOne({ _id: member.user.id }))?.email).toBe(to);
    const resent = (await auth.listEvents(member.user.id)).filter((event) => event.details?.resent === true);
    expect(resent.map((event) => event.type)).toEqual(['email_change_requested']);
  });

  it('resend to an address that has an account mails no link, still answers alike', async () => {
    const owner = await createSignedInUser(auth);
    const member = await createSignedInUser(auth);
    await auth.requestEmailChange(member.session, owner.user.email, testRequest);
    expect(await auth.resendEmailChange(member.session, testRequest)).toEqual({ email: owner.user.email });
    expect(await database.current.mailOutbox.countDocuments({ kind: 'email_change', to: owner.user.email })).toBe(0);
    expect(await auth.pendingEmailChange(member.session)).toMatchObject({ email: owner.user.email });
  });

  it('resend shares the first send’s quota (5 mails an hour)', async () => {
    const { member } = await memberWithPendingChange();
    for (let i = 0; i < 4; i++) await auth.resendEmailChange(member.session, testRequest);
    const refused = await authErrorOf(auth.resendEmailChange(member.session, testRequest));
    expect(refused.code).toBe('THROTTLED');
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    // A new request is refused too: one quota for both.
    expect((await authErrorOf(auth.requestEmailChange(member.session, `other-${member.user.id}@example.test`, testRequest))).code).toBe(
      'THROTTLED',
    );
  });

  it('cancel voids the mailed link, and is recorded', async () => {
    const { member, token } = await memberWithPendingChange();
    expect(await auth.checkEmailLink(token)).toMatchObject({ change: true });
    expect(await auth.cancelEmailChange(member.session, testRequest)).toEqual({ cancelled: true });
    expect(await auth.pendingEmailChange(member.session)).toBeNull();
    expect(await auth.checkEmailLink(token)).toBeNull();
    expect((await authErrorOf(auth.verifyEmail(token, testRequest))).code).toBe('VALIDATION');
    expect((await database.current.users.findOne({ _id: member.user.id }))?.email).toBe(member.user.email);
    expect((await auth.listEvents(member.user.id)).map((event) => event.type)).toContain('email_change_cancelled');
    // Nothing left to cancel or resend.
    expect(await auth.cancelEmailChange(member.session, testRequest)).toEqual({ cancelled: false });
    expect((await authErrorOf(auth.resendEmailChange(member.session, testRequest))).code).toBe('NOT_FOUND');
  });

  it('only its owner’s live session sees, resends or cancels it', async () => {
    const { member, to, token } = await memberWithPendingChange();
    const other = await createSignedInUser(auth);
    // Another account's session acts on that account alone (there is no account to name).
    expect(await auth.pendingEmailChange(other.session)).toBeNull();
    expect((await authErrorOf(auth.resendEmailChange(other.session, testRequest))).code).toBe('NOT_FOUND');
    expect(await auth.cancelEmailChange(other.session, testRequest)).toEqual({ cancelled: false });
    expect(await changeLinksTo(to)).toEqual([token]);
    expect(await auth.checkEmailLink(token)).toMatchObject({ email: to });

    // A session claiming the owner's id but not the owner's is refused.
    const forged = { ...other.session, userId: member.user.id };
    expect((await authErrorOf(auth.cancelEmailChange(forged, testRequest))).code).toBe('UNAUTHORIZED');
    expect((await authErrorOf(auth.resendEmailChange(forged, testRequest))).code).toBe('UNAUTHORIZED');
    expect((await authErrorOf(auth.pendingEmailChange(forged))).code).toBe('UNAUTHORIZED');

    // The owner's session once signed out is refused too.
    await auth.logoutUser(member.token, testRequest);
    expect((await authErrorOf(auth.cancelEmailChange(member.session, testRequest))).code).toBe('UNAUTHORIZED');
    expect((await authErrorOf(auth.resendEmailChange(member.session, testRequest))).code).toBe('UNAUTHORIZED');
    expect(await auth.checkEmailLink(token)).toMatchObject({ email: to });
  });

  it('dies with a password change, and is no longer listed', async () => {
    const { member, token } = await memberWithPendingChange();
    const renewed = await auth.changePassword(
      member.session,
      { currentPassword: member.password, newPassword: strongTestPassword() },
      testRequest,
    );
    expect(await auth.pendingEmailChange(renewed.session)).toBeNull();
    expect(await auth.checkEmailLink(token)).toBeNull();
    expect((await authErrorOf(auth.verifyEmail(token, testRequest))).code).toBe('VALIDATION');
    // Nothing to mail again either.
    expect((await authErrorOf(auth.resendEmailChange(renewed.session, testRequest))).code).toBe('NOT_FOUND');
  });

  it('dies with a password reset by mail', async () => {
    const { member, token } = await memberWithPendingChange();
    await auth.requestPasswordReset(member.user.email, testRequest);
    const [reset] = await database.current.mailOutbox.find({ to: member.user.email, kind: 'password_reset' }).toArray();
    const resetToken = new RegExp(`${SITE}/reset/([a-z2-7]+)`).exec(reset!.text)![1]!;
    await auth.resetPassword(resetToken, strongTestPassword(), testRequest);
    expect(await auth.checkEmailLink(token)).toBeNull();
    expect((await authErrorOf(auth.verifyEmail(token, testRequest))).code).toBe('VALIDATION');
  });
});

describe('checkEmailLink', () => {
  it('names the address a link confirms, and uses nothing up', async () => {
    const { member, to, token } = await memberWithPendingChange();
    expect(await auth.checkEmailLink(token)).toEqual({ email: to, change: true });
    expect(await auth.checkEmailLink(token)).toEqual({ email: to, change: true });
    await auth.verifyEmail(token, testRequest, { keepSessionId: member.session.id });
    expect(await auth.checkEmailLink(token)).toBeNull();
    expect(await auth.checkEmailLink('not-a-token')).toBeNull();
  });
});
