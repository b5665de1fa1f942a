import { createSignedInUser, totpCode } from '@authkit/auth/testing';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
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
  signOut,
} from './support/fixtures.ts';
import { mailIds, mailsTo } from './support/mail.ts';

test.afterAll(closeTestAuth);

/** axe (the WCAG 2.2 A/AA rules axe.e2e.ts runs) on the page as it is: the rule ids it breaks. */
async function axeViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  return result.violations.map((violation) => `${violation.id}: ${violation.help}`);
}

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
  await row
    .getByRole('button', { name: `Reset two-step verification of ${member.username}` })
    .click();
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
    // A member with an authenticator app (so "Reset two-step verification" shows) and an admin to demote.
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
        `Reset two-step verification of ${member.username}`,
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
      // Back to the list as it was (the search that found the user).
      await expect(page).toHaveURL(new RegExp(`/admin\\?q=${username}$`));
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

for (const javaScriptEnabled of [true, false]) {
  test(`an admin searches and filters the users; the list keeps them through a change (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async ({
    browser,
  }) => {
    test.setTimeout(90_000);
    const admin = await createTotpAdmin();
    // Names of this test only: a tag in every username, and two addresses a pattern would confuse.
    const tag = `find${javaScriptEnabled ? 'js' : 'nojs'}${Date.now().toString(36).slice(-5)}`;
    const auth = testAuth();
    const plus = { ...newUser(`${tag}_plus`), email: `${tag}.a+b@example.test` };
    const boss = { ...newUser(`${tag}_boss`), email: `${tag}.aab@example.test` };
    const gone = newUser(`${tag}_gone`);
    await createSignedInUser(auth, plus);
    await createSignedInUser(auth, { ...boss, role: 'admin' });
    await createSignedInUser(auth, { ...gone, active: false });

    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    await signInWithSecondFactor(page, admin);
    await page.goto('/admin');
    const rows = page.getByTestId('user-row');
    const shown = async () =>
      (
        await rows.evaluateAll((items) => items.map((item) => item.getAttribute('data-username')))
      ).sort();
    const search = page.getByRole('searchbox', { name: 'Search by username or email' });
    const submit = () => page.getByRole('search').getByRole('button', { name: 'Search' }).click();

    await search.fill(tag.toUpperCase());
    await submit();
    await expect(page).toHaveURL(new RegExp(`/admin\\?q=${tag.toUpperCase()}$`));
    await expect(page.getByTestId('user-count')).toHaveText('Matching users 1–3 of 3');
    await expect.poll(shown).toEqual([boss.username, gone.username, plus.username].sort());
    // The field keeps what was searched for.
    await expect(search).toHaveValue(tag.toUpperCase());

    // Regular expression characters are literal: "a+b@" is that address, not "aab@".
    await search.fill(`${tag}.a+b@`);
    await submit();
    await expect(page.getByTestId('user-count')).toHaveText('Matching users 1–1 of 1');
    await expect.poll(shown).toEqual([plus.username]);
    await search.fill('.*');
    await submit();
    await expect(page.getByTestId('user-count')).toHaveText('No users match');
    await expect(rows).toHaveCount(0);
    // axe runs in the page: with JavaScript on (the same markup either way).
    if (javaScriptEnabled) expect(await axeViolations(page)).toEqual([]);

    // Filters, with the search and alone.
    await search.fill(tag);
    await page.getByLabel('Administrators', { exact: true }).check();
    await submit();
    await expect(page).toHaveURL(new RegExp(`q=${tag}&filter=admins$`));
    await expect(page.getByTestId('user-count')).toHaveText('Matching users 1–1 of 1');
    await expect.poll(shown).toEqual([boss.username]);
    await page.getByLabel('Administrators', { exact: true }).uncheck();
    await page.getByLabel('Deactivated', { exact: true }).check();
    await submit();
    await expect.poll(shown).toEqual([gone.username]);
    await page.getByLabel('Deactivated', { exact: true }).uncheck();
    await page.getByLabel('Without two-step verification').check();
    await submit();
    await expect(page.getByTestId('user-count')).toHaveText('Matching users 1–3 of 3');

    // A change made from the filtered list comes back to it.
    await page.getByRole('button', { name: `Deactivate ${plus.username}` }).click();
    await confirmAdminAction(page, `Deactivate ${plus.username}?`, 'Yes, deactivate');
    await expect(page.getByTestId('flash')).toHaveText(
      `${plus.username} has been deactivated and signed out everywhere.`,
    );
    await expect(page).toHaveURL(new RegExp(`/admin\\?q=${tag}&filter=without-two-step$`));
    await expect(search).toHaveValue(tag);
    await expect(page.getByLabel('Without two-step verification')).toBeChecked();
    await expect(page.locator(`[data-username="${plus.username}"]`)).toContainText('Deactivated');

    await page.getByRole('link', { name: 'Show all users' }).click();
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByTestId('user-count')).toHaveText(/^Users 1–\d+ of \d+$/);
    await expect(search).toHaveValue('');

    // A search too long for the list (typed into the URL): the field says so, nothing fails.
    const response = await page.goto(`/admin?q=${'x'.repeat(101)}`);
    expect(response?.status()).toBe(200);
    await expect(page.locator('#field-q-error')).toContainText(
      'Search for at most 100 characters.',
    );
    await expect(rows).toHaveCount(0);
    await context.close();
  });
}

test('a deactivated user is told to contact an administrator, but only after the right password', async ({
  page,
}) => {
  const member = newUser('sleeper');
  await createSignedInUser(testAuth(), { ...member, active: false });
  const error = page.getByTestId('form-error');

  await signIn(page, { ...member, password: `${member.password}-wrong` });
  await expect(error).toHaveText('Invalid username or password.');
  await expect(page.getByText(/deactivated|administrator/)).toHaveCount(0);

  await signIn(page, member);
  await expect(page).toHaveURL(/\/login/);
  await expect(error).toHaveText(
    'This account has been deactivated. Contact an administrator of this site to have it reactivated.',
  );
});

for (const javaScriptEnabled of [true, false]) {
  test(`an admin sent to set up two-step verification is told once, then offered the way back to the admin page (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async ({
    browser,
  }) => {
    test.setTimeout(60_000);
    const admin = newUser('admin_setup');
    await createSignedInUser(testAuth(), { ...admin, role: 'admin' });
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    await signIn(page, admin);
    await expect(page).toHaveURL(/\/dashboard$/);

    await page.goto('/admin');
    await expect(page).toHaveURL(/\/account#two-step$/);
    // One notice says why (not a flash on top of the page's own).
    await expect(page.getByTestId('mfa-required')).toBeVisible();
    await expect(page.getByTestId('flash')).toHaveCount(0);
    await expect(page.getByTestId('flash-link')).toHaveCount(0);
    // axe runs in the page: with JavaScript on (the same markup either way).
    if (javaScriptEnabled) expect(await axeViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
    await page.getByLabel('Code from your app').fill(totpCode(secret, new Date()));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
    // Not on until the codes are saved: no way to the admin pages yet.
    await expect(page.getByRole('link', { name: 'Continue to the admin page' })).toHaveCount(0);
    await page.getByRole('button', { name: 'I have saved my recovery codes' }).click();
    await expect(page.getByTestId('mfa-required')).toHaveCount(0);
    await expect(page.getByTestId('flash')).toHaveText(
      'Two-step verification is on: the admin pages are open to you.',
    );
    // axe runs in the page: with JavaScript on (the same markup either way).
    if (javaScriptEnabled) expect(await axeViolations(page)).toEqual([]);

    await page.getByTestId('flash-link').getByText('Continue to the admin page').click();
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
    await context.close();
  });
}

test('after sign-in with an unconfirmed address, the dashboard says one thing: welcome, and please confirm', async ({
  page,
}) => {
  test.setTimeout(60_000);
  const user = await registerNewUser(page, 'unconfirmed');
  const notice = page.getByTestId('verify-notice');
  await expect(notice.getByTestId('flash')).toHaveText(
    `Welcome, ${user.username}! Your account is ready.`,
  );
  await expect(notice).toContainText(`we sent a link to ${user.email}`);
  // One message box: the welcome is inside the notice, not above it.
  await expect(page.getByTestId('flash')).toHaveCount(1);
  await expect(page.locator('main [role="status"]')).toHaveCount(1);
  expect(await axeViolations(page)).toEqual([]);

  await signOut(page);
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(notice.getByTestId('flash')).toHaveText(
    `Welcome back, ${user.username}! You are signed in.`,
  );
  await expect(page.getByTestId('flash')).toHaveCount(1);
  await expect(page.locator('main [role="status"]')).toHaveCount(1);

  // With the address confirmed, the welcome shows by itself.
  await testAuth().database.users.updateOne(
    { username: user.username },
    { $set: { email_verified: true } },
  );
  await signOut(page);
  await signIn(page, user);
  await expect(page.getByTestId('flash')).toHaveText(
    `Welcome back, ${user.username}! You are signed in.`,
  );
  await expect(notice).toHaveCount(0);
});
