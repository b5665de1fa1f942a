// Forgotten passwords, end to end with the mail really sent (Mailpit): the
// request page (same answer for unknown accounts, 429 with the wait), the
// link from the mail, the reset (every session of the account ends, this
// browser's too), the link's single use, and an admin's reset link and
// sign-out everywhere. The flows run with and without JavaScript.
import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  confirmAdminAction,
  closeTestAuth,
  createTotpAdmin,
  signInWithSecondFactor,
  newUser,
  openUserRow,
  registerNewUser,
  signIn,
  signInOnAnotherDevice,
  strongTestPassword,
  testAuth,
  webUrl,
  type TestUser,
} from './support/fixtures.ts';
import { mailIds, mailsTo, waitForLink } from './support/mail.ts';

test.afterAll(closeTestAuth);

async function askForReset(page: Page, login: string): Promise<void> {
  await page.goto('/forgot');
  await page.getByLabel('Username or email').fill(login);
  await page.getByRole('button', { name: 'Send reset link' }).click();
}

async function chooseNewPassword(page: Page, password: string): Promise<void> {
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Confirm new password').fill(password);
  await page.getByRole('button', { name: 'Reset password' }).click();
}

/**
 * Forgot → mail → reset: the browser that was signed in and another device
 * are both signed out; the new password works, the old one and the link do not.
 */
async function resetFlow(page: Page, browser: Browser): Promise<void> {
  const user = await registerNewUser(page, 'reset');
  const other = await signInOnAnotherDevice(browser, user);

  await page.getByRole('link', { name: 'Dashboard' }).first().click();
  await askForReset(page, user.email);
  await expect(page.getByTestId('reset-sent')).toContainText('If an account exists');

  const link = await waitForLink(user.email, '/reset/');
  const token = link.split('/reset/')[1]!;
  // What the browser sends as Referer from here on (its assets, the post, the next pages).
  const referers: string[] = [];
  page.on('request', (request) => {
    const referer = request.headers()['referer'];
    if (referer) referers.push(referer);
  });
  const response = await page.goto(link);
  expect(response?.headers()['referrer-policy']).toBe('strict-origin');
  await expect(page.getByTestId('reset-username')).toHaveText(user.username);

  // The same rules as registration: a mismatch is refused, nothing changes.
  const newPassword = strongTestPassword();
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByLabel('Confirm new password').fill(`${newPassword}x`);
  await page.getByRole('button', { name: 'Reset password' }).click();
  await expect(page.locator('#field-confirmPassword-error')).toContainText('do not match');
  // A typed password is never echoed in the page.
  expect(await page.content()).not.toContain(newPassword);

  await chooseNewPassword(page, newPassword);
  await expect(page).toHaveURL(`${webUrl()}/login`);
  await expect(page.getByTestId('flash')).toHaveText(
    'Your password has been reset. Sign in with your new password.',
  );
  // Only the origin was ever sent as Referer, never the token.
  expect(referers.length).toBeGreaterThan(0);
  expect(referers.filter((referer) => referer.includes(token))).toEqual([]);
  // This browser was signed in: it is not any more.
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/login\?next=%2Fdashboard$/);
  // Nor is the other device.
  await other.page.goto('/dashboard');
  await expect(other.page).toHaveURL(/\/login\?next=%2Fdashboard$/);
  await other.context.close();

  await signIn(page, { ...user });
  await expect(page.getByTestId('form-error')).toBeVisible();
  await signIn(page, { ...user, password: newPassword });
  await expect(page).toHaveURL(/\/dashboard$/);

  // The link was used up.
  await page.goto(link);
  await expect(page.getByTestId('invalid-link')).toBeVisible();
  await page.getByRole('link', { name: 'Ask for a new reset link' }).click();
  await expect(page).toHaveURL(/\/forgot$/);
}

test('forgot password: the mailed link resets it and signs every device out', async ({
  page,
  browser,
}) => {
  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/forgot$/);
  await resetFlow(page, browser);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('forgot password works with native form posts', async ({ page, browser }) => {
    await resetFlow(page, browser);
  });
});

test('an unknown account gets the same page and status, and no mail is sent', async ({ page }) => {
  const known = await registerNewUser(page, 'known');
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  const before = await mailIds(known.email);
  const unknown = newUser('ghost');

  const answers: { status: number; text: string }[] = [];
  for (const login of [known.username, unknown.username]) {
    await page.goto('/forgot');
    await page.getByLabel('Username or email').fill(login);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/forgot') && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Send reset link' }).click(),
    ]);
    await expect(page.getByTestId('reset-sent')).toBeVisible();
    answers.push({
      status: response.status(),
      text: await page.getByTestId('reset-sent').innerText(),
    });
  }
  expect(answers[1]).toEqual(answers[0]);
  await waitForLink(known.email, '/reset/', { after: before });
  expect(await mailsTo(unknown.email)).toEqual([]);
});

test('an invalid reset link says so and offers a new one', async ({ page }) => {
  for (const token of ['not-a-token', 'a'.repeat(40), '%00', 'x'.repeat(3000)]) {
    const response = await page.goto(`/reset/${token}`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['referrer-policy']).toBe('strict-origin');
    await expect(page.getByTestId('invalid-link')).toContainText('invalid or expired');
    await expect(page.getByLabel('New password', { exact: true })).toHaveCount(0);
  }
});

test('asking too often for one name is throttled: 429 with the wait', async ({ page }) => {
  const name = newUser('often').username;
  for (let i = 0; i < 5; i++) {
    await askForReset(page, name);
    await expect(page.getByTestId('reset-sent')).toBeVisible();
  }
  await page.goto('/forgot');
  await page.getByLabel('Username or email').fill(name);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/forgot') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Send reset link' }).click(),
  ]);
  expect(response.status()).toBe(429);
  const message = page.getByTestId('form-error');
  await expect(message).toContainText('Several links were sent for this account');
  await expect(message).toContainText(/Try again in \d+ minutes?/);
  await expect(page.getByRole('button', { name: 'Send reset link' })).toBeDisabled();
  await expect(page.getByLabel('Username or email')).toHaveValue(name);
});

test('a browser that signed in before gets a link although strangers used up the name’s quota', async ({
  page,
}) => {
  const user = newUser('owner');
  await testAuth().registerUser(
    user,
    { ip: '127.0.0.1', userAgent: null },
    { emailVerified: true },
  );
  // Signing in earns this browser its device cookie.
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);

  // Strangers, from networks of their own, use up the name's hourly quota.
  for (let i = 1; i <= 5; i++) {
    await testAuth().requestPasswordReset(user.username, {
      ip: `198.51.100.${i}`,
      userAgent: null,
    });
  }
  const stranger = await testAuth()
    .requestPasswordReset(user.username, { ip: '198.51.100.6', userAgent: null })
    .then(
      () => 'ok',
      (error: { code: string }) => error.code,
    );
  expect(stranger).toBe('THROTTLED');

  // The outbox is written before the page answers.
  const resets = () =>
    testAuth().database.mailOutbox.countDocuments({ to: user.email, kind: 'password_reset' });
  expect(await resets()).toBe(5);
  await askForReset(page, user.username);
  await expect(page.getByTestId('reset-sent')).toBeVisible();
  expect(await resets()).toBe(6);
});

test('an admin mails a user a reset link and signs them out everywhere', async ({
  page,
  browser,
}) => {
  const admin = await createTotpAdmin();
  const memberContext = await browser.newContext();
  const memberPage = await memberContext.newPage();
  const member: TestUser = await registerNewUser(memberPage, 'member');

  await signInWithSecondFactor(page, admin);
  await expect(page).toHaveURL(/\/dashboard$/);
  let row = await openUserRow(page, member.username);
  await expect(row.getByTestId('email-status')).toHaveText('not confirmed');

  const before = await mailIds(member.email);
  await row.getByRole('button', { name: `Send password reset link to ${member.username}` }).click();
  await expect(page.getByTestId('flash')).toHaveText(
    `A password reset link is on its way to ${member.username}’s email address.`,
  );
  const link = await waitForLink(member.email, '/reset/', { after: before });
  // The member is still signed in: a link alone changes nothing.
  await memberPage.goto('/dashboard');
  await expect(memberPage).toHaveURL(/\/dashboard$/);

  row = await openUserRow(page, member.username);
  await row.getByRole('button', { name: `Sign out everywhere: ${member.username}` }).click();
  await confirmAdminAction(
    page,
    `Sign ${member.username} out everywhere?`,
    'Yes, sign out everywhere',
  );
  await expect(page.getByTestId('flash')).toHaveText(
    `${member.username} has been signed out of 1 session.`,
  );
  await memberPage.goto('/dashboard');
  await expect(memberPage).toHaveURL(/\/login\?next=%2Fdashboard$/);
  // Told who did it: an administrator, not "another device".
  await expect(memberPage.getByTestId('flash')).toHaveText(
    'An administrator signed you out of every device.',
  );

  // Signing out everywhere renewed the account's security stamp: a link mailed
  // before it no longer works (whoever held it). A new one does, like the user's own.
  await memberPage.goto(link);
  await expect(memberPage.getByTestId('reset-username')).toHaveCount(0);
  row = await openUserRow(page, member.username);
  const beforeSecond = await mailIds(member.email);
  await row.getByRole('button', { name: `Send password reset link to ${member.username}` }).click();
  await expect(page.getByTestId('flash')).toContainText('password reset link is on its way');
  const fresh = await waitForLink(member.email, '/reset/', { after: beforeSecond });
  await memberPage.goto(fresh);
  await expect(memberPage.getByTestId('reset-username')).toHaveText(member.username);
  await memberContext.close();
});
