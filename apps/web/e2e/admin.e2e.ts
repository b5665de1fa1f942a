import { createSignedInUser } from '@authkit/auth/testing';
import { expect, test } from '@playwright/test';
import {
  confirmAdminAction,
  closeTestAuth,
  createTotpAdmin,
  enrolTotp,
  testAuth,
  signInWithSecondFactor,
  expectSentToSignIn,
  newUser,
  openUserRow,
  register,
  registerNewUser,
  signIn,
} from './support/fixtures.ts';
import { mailIds, mailsTo } from './support/mail.ts';

test.afterAll(closeTestAuth);

test('an admin deactivates a user signed in elsewhere; that user is signed out on the next request', async ({
  browser,
  page,
}) => {
  const admin = await createTotpAdmin();
  const member = newUser('member');

  const memberContext = await browser.newContext();
  const memberPage = await memberContext.newPage();
  await register(memberPage, member);

  await signInWithSecondFactor(page, admin);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('link', { name: 'Admin' })).toBeVisible();

  let row = await openUserRow(page, member.username);
  await expect(row).toContainText('Active');
  await row.getByRole('button', { name: `Deactivate ${member.username}` }).click();
  await confirmAdminAction(page, `Deactivate ${member.username}?`, 'Yes, deactivate');
  await expect(page.getByTestId('flash')).toHaveText(
    `${member.username} has been deactivated and signed out everywhere.`,
  );
  row = await openUserRow(page, member.username);
  await expect(row).toContainText('Deactivated');

  await expectSentToSignIn(memberPage, '/account');
  await signIn(memberPage, member, { open: false });
  await expect(memberPage).toHaveURL(/\/login/);
  await expect(memberPage.getByTestId('form-error')).toBeVisible();

  // Reactivate, and grant then remove the admin role.
  await row.getByRole('button', { name: `Reactivate ${member.username}` }).click();
  await expect(page.getByTestId('flash')).toHaveText(`${member.username} has been reactivated.`);
  row = await openUserRow(page, member.username);
  await row.getByRole('button', { name: `Make admin ${member.username}` }).click();
  await confirmAdminAction(
    page,
    `Make ${member.username} an administrator?`,
    'Yes, make administrator',
  );
  await expect(page.getByTestId('flash')).toHaveText(`${member.username} is now an administrator.`);
  row = await openUserRow(page, member.username);
  await expect(row).toContainText('Administrator');
  await row.getByRole('button', { name: `Remove admin from ${member.username}` }).click();
  await confirmAdminAction(
    page,
    `Remove administrator rights from ${member.username}?`,
    'Yes, remove administrator',
  );
  await expect(page.getByTestId('flash')).toHaveText(
    `${member.username} is no longer an administrator.`,
  );

  await signIn(memberPage, member);
  await expect(memberPage).toHaveURL(/\/dashboard$/);
  await memberContext.close();
});

test('a signed-in non-admin gets 403 on /admin', async ({ page }) => {
  await registerNewUser(page);
  const response = await page.goto('/admin');
  expect(response?.status()).toBe(403);
  // Inside the site's layout: its header, navigation and sign-out button.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Access denied');
  await expect(page.getByText('You do not have permission to view this page.')).toBeVisible();
  await expect(page.getByRole('banner').getByRole('link', { name: 'Account' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  // The page's data, as the client router asks for it: a 403 too, and no users.
  const data = await page.request.get('/admin/__data.json');
  expect(data.status()).toBe(403);
  expect(await data.text()).not.toContain('"users"');

  const post = await page.request.post('/admin?/setRole', {
    form: { userId: 'anything', role: 'admin' },
    headers: { origin: new URL(page.url()).origin, accept: 'text/html' },
    maxRedirects: 0,
  });
  expect(post.status()).toBe(403);
});

test('an admin resets a member’s second factor: after the confirmation, the password alone signs in, and the member is told by mail', async ({
  browser,
  page,
}) => {
  const admin = await createTotpAdmin();
  const member = newUser('lost_phone');
  await enrolTotp(await createSignedInUser(testAuth(), member));
  const earlier = await mailIds(member.email);

  await signInWithSecondFactor(page, admin);
  const row = await openUserRow(page, member.username);
  await row.getByRole('button', { name: `Reset second factor of ${member.username}` }).click();
  // The first post only asks.
  await expect(page.getByText(`Reset two-step verification for ${member.username}?`)).toBeVisible();
  expect(
    (await testAuth().database.users.findOne({ username: member.username }))?.mfa_enabled,
  ).toBe(true);
  await page.getByRole('button', { name: 'Yes, reset two-step verification' }).click();
  await expect(page.getByTestId('flash')).toHaveText(
    `${member.username}’s two-step verification and passkeys have been removed; they have been told by email.`,
  );

  const memberContext = await browser.newContext();
  const memberPage = await memberContext.newPage();
  await signIn(memberPage, member);
  await expect(memberPage).toHaveURL(/\/dashboard$/);
  await memberContext.close();

  await expect
    .poll(
      async () =>
        (await mailsTo(member.email))
          .filter((mail) => !earlier.has(mail.id))
          .map((mail) => mail.subject),
      {
        timeout: 15_000,
      },
    )
    .toContainEqual(expect.stringMatching(/two-step|second factor|sign-in/i));
});

test('at 390 px every user fits: nothing scrolls sideways and the actions are in view', async ({
  browser,
  page,
}) => {
  const admin = await createTotpAdmin();
  const memberPage = await (await browser.newContext()).newPage();
  const member = await registerNewUser(memberPage, 'narrow');
  await signInWithSecondFactor(page, admin);
  await page.setViewportSize({ width: 390, height: 844 });
  const row = await openUserRow(page, member.username);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  for (const name of [`Deactivate ${member.username}`, `Sign out everywhere: ${member.username}`]) {
    const box = await row.getByRole('button', { name }).boundingBox();
    expect(box, name).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  }
  await memberPage.context().close();
});

for (const javaScriptEnabled of [true, false]) {
  test(`every destructive or privilege change asks first and Cancel changes nothing (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async ({
    browser,
  }) => {
    const admin = await createTotpAdmin();
    // A member with an authenticator app (so "Reset second factor" shows) and an admin to demote.
    const member = newUser('asked');
    await enrolTotp(await createSignedInUser(testAuth(), member));
    const otherAdmin = newUser('asked_admin');
    await createSignedInUser(testAuth(), { ...otherAdmin, role: 'admin' });
    const database = testAuth().database;
    const stateOf = async (username: string) => {
      const doc = await database.users.findOne({ username });
      return {
        active: doc?.active,
        role: doc?.role,
        mfa: doc?.mfa_enabled,
        sessions: await database.sessions.countDocuments({ user_id: doc?._id }),
      };
    };
    const before = {
      member: await stateOf(member.username),
      otherAdmin: await stateOf(otherAdmin.username),
    };
    expect(before.member.sessions).toBeGreaterThan(0);

    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    await signInWithSecondFactor(page, admin);
    for (const [username, button, question, yes] of [
      [
        member.username,
        `Deactivate ${member.username}`,
        `Deactivate ${member.username}?`,
        'Yes, deactivate',
      ],
      [
        member.username,
        `Sign out everywhere: ${member.username}`,
        `Sign ${member.username} out everywhere?`,
        'Yes, sign out everywhere',
      ],
      [
        member.username,
        `Make admin ${member.username}`,
        `Make ${member.username} an administrator?`,
        'Yes, make administrator',
      ],
      [
        member.username,
        `Reset second factor of ${member.username}`,
        `Reset two-step verification for ${member.username}?`,
        'Yes, reset two-step verification',
      ],
      [
        otherAdmin.username,
        `Remove admin from ${otherAdmin.username}`,
        `Remove administrator rights from ${otherAdmin.username}?`,
        'Yes, remove administrator',
      ],
    ] as const) {
      const row = await openUserRow(page, username);
      await row.getByRole('button', { name: button }).click();
      const prompt = page.getByTestId('admin-confirm');
      await expect(prompt, button).toContainText(question);
      await expect(prompt.getByRole('button', { name: yes })).toBeVisible();
      if (javaScriptEnabled) await expect(prompt).toBeFocused();
      // Asking changed nothing...
      expect(await stateOf(member.username), button).toEqual(before.member);
      expect(await stateOf(otherAdmin.username), button).toEqual(before.otherAdmin);
      // ...and neither does Cancel.
      await prompt.getByRole('link', { name: 'Cancel' }).click();
      await expect(page).toHaveURL(/\/admin$/);
      await expect(page.getByTestId('admin-confirm')).toHaveCount(0);
      await expect(page.getByTestId('flash')).toHaveCount(0);
      expect(await stateOf(member.username), button).toEqual(before.member);
      expect(await stateOf(otherAdmin.username), button).toEqual(before.otherAdmin);
    }
    // Confirmed, the change is made and the result names the user.
    const row = await openUserRow(page, member.username);
    await row.getByRole('button', { name: `Sign out everywhere: ${member.username}` }).click();
    await confirmAdminAction(
      page,
      `Sign ${member.username} out everywhere?`,
      'Yes, sign out everywhere',
    );
    await expect(page.getByTestId('flash')).toHaveText(
      `${member.username} has been signed out of ${before.member.sessions} ${before.member.sessions === 1 ? 'session' : 'sessions'}.`,
    );
    expect((await stateOf(member.username)).sessions).toBe(0);
    await context.close();
  });
}
