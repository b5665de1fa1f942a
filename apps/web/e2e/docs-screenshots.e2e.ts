// The screenshots shown in the web README: /login (with the providers' buttons),
// /account (with a second device signed in), /dashboard, the connected-accounts
// card of /account, /account's section navigation (the sidebar after a jump, the
// jump menu open, a pending email change), the recovery codes step of two-step
// set-up and /admin (all users, and a search with a filter), at 390 px and
// 1280 px, light and dark.
// Every test run takes them (under test-results/screenshots/docs); with
// DOCS_SCREENSHOTS=1 they are written to docs/screenshots/ for committing:
//   DOCS_SCREENSHOTS=1 pnpm --filter web exec playwright test e2e/docs-screenshots.e2e.ts
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createSignedInUser, totpCode } from '@authkit/auth/testing';
import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  closeTestAuth,
  createTotpAdmin,
  enrolTotp,
  newUser,
  registerNewUser,
  signIn,
  signInOnAnotherDevice,
  signInWithSecondFactor,
  testAuth,
  watchConsole,
} from './support/fixtures.ts';

test.afterAll(closeTestAuth);

const outputDir = process.env.DOCS_SCREENSHOTS
  ? join(import.meta.dirname, '..', '..', '..', 'docs', 'screenshots')
  : join(import.meta.dirname, '..', 'test-results', 'screenshots', 'docs');

const widths = [390, 1280] as const;
const themes = ['light', 'dark'] as const;

async function takeAll(
  page: Page,
  name: string,
  path: string,
  ready: (page: Page) => Promise<void>,
) {
  for (const width of widths) {
    for (const theme of themes) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.emulateMedia({ colorScheme: theme });
      await page.goto(path);
      await ready(page);
      // Nothing may scroll sideways at either width.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        width,
      );
      await page.screenshot({
        path: join(outputDir, `${name}-${width}-${theme}.png`),
        fullPage: true,
        animations: 'disabled',
      });
    }
  }
}

async function anonymousPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

test('screenshots of /login, /account and /dashboard (390 and 1280 px, light and dark)', async ({
  page,
  browser,
}) => {
  test.setTimeout(90_000);
  mkdirSync(outputDir, { recursive: true });
  const problems = watchConsole(page);

  const visitor = await anonymousPage(browser);
  await takeAll(visitor, 'login', '/login', async (shown) => {
    await expect(shown.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    // The e2e stack offers GitHub and its test OpenID provider.
    await expect(shown.getByRole('button', { name: 'Continue with GitHub' })).toBeVisible();
  });
  await visitor.context().close();

  const user = await registerNewUser(page, 'ada');
  const other = await signInOnAnotherDevice(browser, user);
  await takeAll(page, 'account', '/account', async (shown) => {
    await expect(shown.getByTestId('session-row')).toHaveCount(2);
  });
  await takeAll(page, 'dashboard', '/dashboard', async (shown) => {
    await expect(shown.getByRole('heading', { level: 1 })).toBeVisible();
  });
  await other.context.close();
  expect(problems).toEqual([]);
});

test('screenshots of the connected-accounts card on /account (390 and 1280 px, light and dark)', async ({
  page,
}) => {
  test.setTimeout(90_000);
  mkdirSync(outputDir, { recursive: true });
  const problems = watchConsole(page);
  const user = await registerNewUser(page, 'grace');
  const doc = await testAuth().database.users.findOne({ username: user.username });
  await testAuth().database.oauthAccounts.insertOne({
    _id: `conn-docs-${doc!._id}`,
    user_id: doc!._id,
    provider: 'github',
    issuer: process.env.E2E_GITHUB_URL!,
    subject: `docs-${doc!._id}`,
    email: doc!.email,
    display_name: user.username,
    created_at: new Date(),
    last_used_at: new Date(),
  });
  for (const width of widths) {
    for (const theme of themes) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.emulateMedia({ colorScheme: theme });
      await page.goto('/account#connected');
      await expect(page.getByTestId('connected-row')).toHaveCount(1);
      await page.locator('#connected').screenshot({
        path: join(outputDir, `connected-accounts-${width}-${theme}.png`),
        animations: 'disabled',
      });
    }
  }
  expect(problems).toEqual([]);
});

test('screenshots of /account with its section navigation (390 and 1280 px, light and dark)', async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  mkdirSync(outputDir, { recursive: true });
  const problems = watchConsole(page);
  const user = await registerNewUser(page, 'nav');
  const other = await signInOnAnotherDevice(browser, user);
  // A change of address waiting for its link, shown in the email section.
  await page.goto('/account');
  await page.getByLabel('New email address').fill(`new_${user.email}`);
  await page.getByRole('button', { name: 'Change email address' }).click();
  await expect(page.getByTestId('pending-email')).toBeVisible();
  // The whole page, its navigation at the top (390) or beside it (1280).
  await takeAll(page, 'account-nav', '/account', async (shown) => {
    await expect(shown.getByTestId('session-row')).toHaveCount(2);
  });
  for (const theme of themes) {
    await page.emulateMedia({ colorScheme: theme });
    // 1280 px, after a jump to the sessions: the sidebar stays in view.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto('/account');
    await page
      .getByRole('navigation', { name: 'Account sections' })
      .getByRole('link', { name: 'Active sessions' })
      .click();
    await expect(page.locator('#sessions')).toBeInViewport();
    await page.screenshot({
      path: join(outputDir, `account-nav-sessions-1280-${theme}.png`),
      animations: 'disabled',
    });
    // 390 px: the jump menu, open.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/account');
    await page.getByTestId('jump-menu').getByText('Jump to a section').click();
    await expect(page.getByTestId('jump-links')).toBeVisible();
    await page.screenshot({
      path: join(outputDir, `account-nav-jump-390-${theme}.png`),
      animations: 'disabled',
    });
  }
  await other.context.close();
  expect(problems).toEqual([]);
});

test('screenshots of /admin: all users, and a search with a filter (390 and 1280 px, light and dark)', async ({
  page,
}) => {
  test.setTimeout(120_000);
  mkdirSync(outputDir, { recursive: true });
  const problems = watchConsole(page);
  const auth = testAuth();
  // A few kinds of account: an admin with an authenticator app, members with and
  // without a confirmed address, and a deactivated one.
  const admin = await createTotpAdmin('margaret');
  const alan = newUser('alan');
  await enrolTotp(await createSignedInUser(auth, { ...alan, role: 'admin' }));
  await createSignedInUser(auth, newUser('katherine'));
  await createSignedInUser(auth, { ...newUser('dorothy'), active: false });
  const unconfirmed = newUser('mary');
  await createSignedInUser(auth, unconfirmed);
  for (const name of ['alan', 'katherine', 'dorothy']) {
    await auth.database.users.updateOne(
      { username: { $regex: `^${name}_` } },
      { $set: { email_verified: true } },
    );
  }
  await signInWithSecondFactor(page, admin);
  await takeAll(page, 'admin', '/admin', async (shown) => {
    await expect(shown.getByRole('heading', { name: 'Users' })).toBeVisible();
    await expect(shown.getByTestId('user-row').first()).toBeVisible();
  });
  await takeAll(page, 'admin-search', '/admin?q=a&filter=admins', async (shown) => {
    await expect(shown.getByTestId('user-count')).toHaveText(/^Matching users/);
  });
  expect(problems).toEqual([]);
});

test('screenshots of the recovery codes step of two-step set-up (390 and 1280 px, light and dark)', async ({
  page,
}) => {
  test.setTimeout(90_000);
  mkdirSync(outputDir, { recursive: true });
  const problems = watchConsole(page);
  const user = newUser('ada_codes');
  await createSignedInUser(testAuth(), user);
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/account#two-step');
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
  await page.getByLabel('Code from your app').fill(totpCode(secret, new Date()));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
  // The step is an action's answer: the same page is shown at each size and theme.
  for (const width of widths) {
    for (const theme of themes) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.emulateMedia({ colorScheme: theme });
      await expect(page.getByRole('button', { name: 'Print' })).toBeVisible();
      // Nothing in the card sticks out sideways (the message names what does). The
      // page is resized, not reloaded (the step is an action's answer): the header's
      // narrow layout is checked by the loaded pages above.
      const wide = await page.evaluate(
        (limit) =>
          [...document.querySelectorAll('#two-step *')]
            .filter((element) => element.getBoundingClientRect().right > limit + 0.5)
            .map((element) => `${element.tagName.toLowerCase()}.${element.className}`)
            .slice(0, 5),
        width,
      );
      expect(wide).toEqual([]);
      await page.locator('#two-step').screenshot({
        path: join(outputDir, `recovery-codes-${width}-${theme}.png`),
        animations: 'disabled',
      });
    }
  }
  expect(problems).toEqual([]);
});
