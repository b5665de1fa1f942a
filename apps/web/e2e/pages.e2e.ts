// A walk through every page a user reaches from the navigation: no console
// errors, no dead links, and a screenshot of each for the test artifacts.
import { createSignedInUser } from '@authkit/auth/testing';
import { expect, test, type Page } from '@playwright/test';
import {
  closeTestAuth,
  createTotpAdmin,
  newUser,
  testAuth,
  signInSecondStep,
  signInWithSecondFactor,
  makeBrowserSessionStale,
  registerNewUser,
  screenshot,
  signIn,
  signOut,
  watchConsole,
} from './support/fixtures.ts';
import { waitForLink } from './support/mail.ts';

test.afterAll(closeTestAuth);

test('the main pages render without console errors (screenshots saved)', async ({
  page,
  context,
}) => {
  const problems = watchConsole(page);

  await page.goto('/');
  await expect(page.getByTestId('home-status')).toContainText('Create a free account');
  await screenshot(page, '01-home-anonymous');

  await page.getByRole('link', { name: 'Create account' }).first().click();
  await expect(page).toHaveURL(/\/register$/);
  await screenshot(page, '02-register');

  await page.getByRole('link', { name: 'Sign in' }).first().click();
  await expect(page).toHaveURL(/\/login$/);
  await screenshot(page, '03-login');

  const admin = await createTotpAdmin();
  await signIn(page, admin, { open: false });
  await signInSecondStep(page, admin);
  await expect(page).toHaveURL(/\/dashboard$/);
  await screenshot(page, '04-dashboard');

  for (const [label, path] of [
    ['Home', '/'],
    ['Account', '/account'],
    ['Admin', '/admin'],
    ['Dashboard', '/dashboard'],
  ] as const) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
    await expect(page).toHaveURL(new RegExp(`${path.replace('/', '\\/')}$`));
  }
  await page.goto('/');
  await expect(page.getByTestId('home-status')).toContainText(`signed in as ${admin.username}`);
  await screenshot(page, '05-home-signed-in');
  await page.goto('/account');
  await screenshot(page, '06-account');
  await page.goto('/admin');
  await expect(page.getByTestId('user-row').first()).toBeVisible();
  await screenshot(page, '07-admin');

  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/account');
  await screenshot(page, '06-account-dark');
  await page.goto('/dashboard');
  await screenshot(page, '04-dashboard-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/account');
  await screenshot(page, '06-account-mobile');
  await page.setViewportSize({ width: 1280, height: 720 });

  await makeBrowserSessionStale(context);
  await page.goto('/account/reauth?next=/account');
  await screenshot(page, '08-reauth');

  await signOut(page);
  await screenshot(page, '09-signed-out');

  await page.goto('/no-such-page');
  await screenshot(page, '10-not-found');
  // The 404 response itself is logged by the browser; nothing else may be.
  expect(problems.filter((problem) => !problem.includes('404'))).toEqual([]);
});

test('validation errors are shown next to the fields and announced', async ({ page }) => {
  const problems = watchConsole(page);
  const user = await registerNewUser(page);
  await signOut(page);

  await page.goto('/register');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByLabel('Confirm password').fill('other');
  await page.getByRole('button', { name: 'Create account' }).click();
  const email = page.getByLabel('Email');
  await expect(email).toHaveAttribute('aria-invalid', 'true');
  // Announced once: focus moves to the first invalid field, which reads its
  // errors through aria-describedby; the errors are not a live region too.
  await expect(email).toBeFocused();
  await expect(email).toHaveAccessibleDescription(/valid email/);
  await expect(page.locator('#field-email-error')).not.toHaveAttribute('aria-live');
  await expect(page.locator('#field-email-error')).toContainText('valid email');
  await expect(page.locator('#field-password-error')).toContainText('at least 8');
  await expect(page.locator('#field-confirm-error')).toContainText('do not match');
  await screenshot(page, '11-register-errors');

  // The server's rules: a taken username comes back next to its field.
  await page.getByLabel('Email').fill(`other_${user.email}`);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByLabel('Confirm password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByLabel('Username')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#field-username-error')).not.toBeEmpty();
  expect(problems.filter((problem) => !problem.includes('400'))).toEqual([]);
});

/** Screenshots of `page` at 1280 px and 390 px, light and dark. */
async function everyLook(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 720 });
      await screenshot(page, `${name}-${width}-${colorScheme}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 720 });
}

test('the recovery and email pages render without console errors (screenshots saved)', async ({
  page,
}) => {
  const problems = watchConsole(page);
  const user = await registerNewUser(page, 'shots');
  await expect(page.getByTestId('verify-notice')).toBeVisible();
  await everyLook(page, '12-dashboard-unverified');
  await page.goto('/account');
  await everyLook(page, '13-account-email');

  await page.goto('/verify-email');
  await everyLook(page, '14-verify-email-pending');
  const verifyLink = await waitForLink(user.email, '/verify-email/');
  await page.goto(verifyLink);
  await everyLook(page, '15-verify-email-link');

  await signOut(page);
  await page.goto('/forgot');
  await everyLook(page, '16-forgot');
  await page.getByLabel('Username or email').fill(user.username);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByTestId('reset-sent')).toBeVisible();
  await everyLook(page, '17-forgot-sent');

  await page.goto(await waitForLink(user.email, '/reset/'));
  await expect(page.getByTestId('reset-username')).toBeVisible();
  await everyLook(page, '18-reset');
  await page.goto('/reset/no-such-link');
  await everyLook(page, '19-reset-invalid');

  const admin = await createTotpAdmin();
  await signInWithSecondFactor(page, admin);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/admin');
  await expect(page.getByTestId('email-status').first()).toBeVisible();
  await everyLook(page, '20-admin-recovery');
  expect(problems).toEqual([]);
});

test('on a phone the header is one row, its menu opens and signs out without JavaScript', async ({
  browser,
}) => {
  const context = await browser.newContext({
    javaScriptEnabled: false,
    viewport: { width: 390, height: 844 },
  });
  const page = await context.newPage();
  const user = newUser('phone');
  await createSignedInUser(testAuth(), user);
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);

  // One row: the brand and the menu button, nothing else showing.
  const header = page.getByRole('banner');
  expect((await header.boundingBox())?.height).toBeLessThan(70);
  await expect(header.getByRole('button', { name: 'Sign out', exact: true })).toBeHidden();

  await header.getByText('Menu').click();
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Account' })
    .click();
  await expect(page).toHaveURL(/\/account$/);
  await header.getByText('Menu').click();
  await header.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByTestId('flash')).toHaveText('You have been signed out.');
  await context.close();
});

/** Screenshots of `target` at 390 and 1280 px wide, light and dark. */
async function shootAllWays(page: Page, name: string): Promise<void> {
  for (const width of [390, 1280]) {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme });
      await screenshot(page, `${name}-${width}-${colorScheme}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test('the second-factor pages and cards (screenshots at 390 and 1280 px, light and dark)', async ({
  page,
}) => {
  const problems = watchConsole(page);
  const admin = await createTotpAdmin();
  await signIn(page, admin);
  await expect(page).toHaveURL(/\/login\/verify/);
  await shootAllWays(page, '30-login-verify');
  await signInSecondStep(page, admin);

  await page.goto('/account#two-step');
  await page.getByRole('button', { name: 'Get new recovery codes' }).click();
  await expect(page.getByRole('link', { name: 'Download as a text file' })).toBeVisible();
  await page.locator('#two-step').scrollIntoViewIfNeeded();
  await shootAllWays(page, '31-account-recovery-codes');
  await page.goto('/account#passkeys');
  await shootAllWays(page, '32-account-passkeys');
  await signOut(page);

  await registerNewUser(page, 'shots');
  await page.goto('/account#two-step');
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await expect(page.getByTestId('totp-secret')).toBeVisible();
  await shootAllWays(page, '33-account-totp-setup');
  expect(problems).toEqual([]);
});
