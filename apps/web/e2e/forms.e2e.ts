// The forms' checks (superforms with the pages' zod schemas): every rule the
// browser can check shows in one round without a request, an error clears as
// its field is fixed, the server's refusals win until that field is edited,
// typed passwords stay when only other fields failed, and without JavaScript
// the page lands with the first invalid field focused.
import { createSignedInUser } from '@authkit/auth/testing';
import { expect, test, type Page } from '@playwright/test';
import {
  closeTestAuth,
  newUser,
  register,
  registerNewUser,
  signIn,
  signOut,
  testAuth,
  type TestUser,
} from './support/fixtures.ts';

test.afterAll(closeTestAuth);

/** Counts the POSTs the page sends from now on. */
function watchPosts(page: Page): string[] {
  const posts: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(request.url());
  });
  return posts;
}

/** CSP violations the page reports (the forms run zod in the browser, with no eval). */
function watchViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

async function fillRegister(page: Page, user: TestUser, confirm = user.password): Promise<void> {
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByLabel('Confirm password').fill(confirm);
}

/** The page's JavaScript has taken over its form (superforms' use:enhance ran). */
async function hydrated(page: Page): Promise<void> {
  await page.locator('form[data-enhanced]').first().waitFor({ state: 'attached' });
}

test('register: an invalid username and a mismatched confirmation show together, with no request', async ({
  page,
}) => {
  const violations = watchViolations(page);
  await page.goto('/register');
  await hydrated(page);
  const posts = watchPosts(page);
  await fillRegister(
    page,
    { ...newUser('forms'), username: 'no spaces allowed' },
    'something else',
  );
  await page.getByRole('button', { name: 'Create account' }).click();

  await expect(page.locator('#field-username-error')).toContainText('Use letters, digits');
  await expect(page.locator('#field-confirm-error')).toContainText('The passwords do not match.');
  // The first invalid field has the focus; no banner repeats the field messages.
  await expect(page.getByLabel('Username')).toBeFocused();
  await expect(page.getByTestId('form-error')).toHaveCount(0);
  expect(posts).toEqual([]);
  expect(violations).toEqual([]);
});

test("register: a password too easy to guess shows with the other messages, by the server's own rule, with no request", async ({
  page,
}) => {
  await page.goto('/register');
  await hydrated(page);
  const posts = watchPosts(page);
  const user = newUser('forms');
  // Long enough for the length rule; refused by the strength rule (zxcvbn).
  await fillRegister(page, { ...user, email: 'not-an-address', password: 'password1234' });
  // The hint shows the estimator has loaded (a submit waits for it at most 2 s).
  await expect(page.getByText('Too easy to guess')).toBeVisible();
  await page.getByRole('button', { name: 'Create account' }).click();

  await expect(page.locator('#field-email-error')).toContainText('valid email');
  await expect(page.locator('#field-password-error')).toContainText('too easy to guess');
  await expect(page.getByLabel('Email')).toBeFocused();
  expect(posts).toEqual([]);

  // A strong password and a valid address: the form goes through.
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByLabel('Confirm password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
});

test('register: an error clears as the visitor fixes that field', async ({ page }) => {
  await page.goto('/register');
  await hydrated(page);
  const user = newUser('forms');
  await fillRegister(page, { ...user, username: 'x' }, 'something else');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#field-username-error')).toContainText('at least 3');
  await expect(page.locator('#field-confirm-error')).toContainText('do not match');

  await page.getByLabel('Username').fill(user.username);
  await expect(page.locator('#field-username-error')).toHaveCount(0);
  await expect(page.getByLabel('Username')).not.toHaveAttribute('aria-invalid', 'true');
  // The other field keeps its message until it is fixed too.
  await expect(page.locator('#field-confirm-error')).toContainText('do not match');
  await page.getByLabel('Confirm password').fill(user.password);
  await expect(page.locator('#field-confirm-error')).toHaveCount(0);
});

test('register: a taken username keeps both typed passwords, and its error wins over the passing check', async ({
  page,
}) => {
  const taken = await registerNewUser(page, 'taken');
  await signOut(page);
  await page.goto('/register');
  await hydrated(page);
  const user = newUser('forms');
  await fillRegister(page, { ...user, username: taken.username });
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/register') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Create account' }).click(),
  ]);
  expect(response.status()).toBe(400);
  // The answer never carries the password back.
  expect(await response.text()).not.toContain(user.password);

  const usernameError = page.locator('#field-username-error');
  await expect(usernameError).toContainText('taken');
  await expect(page.getByLabel('Username')).toBeFocused();
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue(user.password);
  await expect(page.getByLabel('Confirm password')).toHaveValue(user.password);

  // The username passes the browser's checks, but the server's message stays
  // while the visitor edits other fields...
  await page.getByLabel('Email').fill(`other_${user.email}`);
  await page.getByLabel('Password', { exact: true }).focus();
  await expect(usernameError).toContainText('taken');
  // ...until that field is edited.
  await page.getByLabel('Username').fill(user.username);
  await expect(usernameError).toHaveCount(0);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
});

test('without JavaScript, a refused form lands with the first invalid field focused', async ({
  browser,
}) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/register');
  const user = newUser('nojs');
  await fillRegister(page, { ...user, email: 'not-an-address' }, 'something else');
  await page.getByRole('button', { name: 'Create account' }).click();

  await expect(page.locator('#field-email-error')).toContainText('valid email');
  await expect(page.locator('#field-confirm-error')).toContainText('do not match');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('field-email');
  // What was typed comes back, except the passwords.
  await expect(page.getByLabel('Username')).toHaveValue(user.username);
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
  await context.close();
});

test('without JavaScript, a refused form lower on /account lands in view, its field focused', async ({
  browser,
}) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await register(page, newUser('nojs'));
  await page.goto('/account');
  const email = page.getByLabel('New email address');
  await email.fill('not-an-address');
  await page.getByRole('button', { name: 'Change email address' }).click();

  await expect(page.locator('#field-email-error')).toContainText('valid email');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('field-email');
  await expect(email).toBeInViewport();
  await expect(email).toHaveValue('not-an-address');
  await context.close();
});

test('a refused password is its field’s message, focused, with no banner on top; without JavaScript too', async ({
  page,
  browser,
}) => {
  await registerNewUser(page, 'reauth');
  await page.goto('/account/reauth');
  await hydrated(page);
  const password = page.getByLabel('Password', { exact: true });
  await password.fill('definitely wrong');
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  await expect(page.locator('#field-password-error')).toContainText('Incorrect password.');
  await expect(password).toBeFocused();
  await expect(password).toHaveValue('');
  await expect(page.getByTestId('form-error')).toHaveCount(0);

  const context = await browser.newContext({ javaScriptEnabled: false });
  const noScript = await context.newPage();
  await register(noScript, newUser('nojs'));
  await noScript.goto('/account/reauth');
  await noScript.getByLabel('Password', { exact: true }).fill('definitely wrong');
  await noScript.getByRole('button', { name: 'Confirm', exact: true }).click();
  await expect(noScript.locator('#field-password-error')).toContainText('Incorrect password.');
  expect(await noScript.evaluate(() => document.activeElement?.id)).toBe('field-password');
  await context.close();
});

/**
 * How many times `text` is shown on the page (visible elements whose own text
 * is exactly it): a refusal must be said once.
 */
async function timesShown(page: Page, text: string): Promise<number> {
  await expect(page.getByText(text, { exact: true }).first()).toBeVisible();
  return page.getByText(text, { exact: true }).filter({ visible: true }).count();
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, () => {
    test.use({ javaScriptEnabled });

    test('a refused code is said once, not in the field and the alert both', async ({ page }) => {
      // Made directly (a registration's first strength check can be slow on a busy machine).
      const user = newUser('once');
      await createSignedInUser(testAuth(), user);
      await signIn(page, user);
      await expect(page).toHaveURL(/\/dashboard$/, { timeout: 15_000 });
      await page.goto('/account#two-step');
      const refuseCode = async (code: string, message: string) => {
        // Without JavaScript the refused page comes back without the QR code: set up again.
        const setUp = page.getByRole('button', { name: 'Set up an authenticator app' });
        if (await setUp.isVisible()) await setUp.click();
        await page.getByLabel('Code from your app').fill(code);
        await page.getByRole('button', { name: 'Continue', exact: true }).click();
        expect(await timesShown(page, message)).toBe(1);
      };
      // The site's own check of the field, then the auth package's refusal.
      await refuseCode('abc', 'Enter the 6-digit code from your app.');
      await refuseCode('000000', 'Incorrect code.');
      if (javaScriptEnabled) {
        // With JavaScript the field stays: the message is its own, announced with it.
        await expect(page.locator('#field-code-error')).toHaveText('Incorrect code.');
        await expect(page.getByTestId('two-step-error')).toHaveCount(0);
      }
    });
  });
}

test('a live strength hint and an error for the same password are never both shown', async ({
  page,
}) => {
  // The browser's own check: a password too short, which the hint also says.
  await page.goto('/register');
  await hydrated(page);
  const user = newUser('hint');
  await fillRegister(page, { ...user, password: 'short' });
  const strength = page.getByTestId('password-strength');
  await expect(strength).toContainText('Too short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#field-password-error')).toHaveText('Use at least 8 characters.');
  expect(await timesShown(page, 'Use at least 8 characters.')).toBe(1);
  await expect(strength).toHaveCount(0);
  // Fixed, the error goes and the hint is back.
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await expect(page.locator('#field-password-error')).toHaveCount(0);
  await expect(strength).toHaveAttribute('data-level', /good|strong/);

  // The server's refusal (only it knows the current password): its message
  // under the new password, and no hint about the password it emptied.
  await page.getByLabel('Confirm password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/dashboard$/, { timeout: 15_000 });
  await page.goto('/account#password');
  await hydrated(page);
  await page.getByLabel('Current password').fill(user.password);
  await page.getByLabel('New password', { exact: true }).fill(user.password);
  await page.getByLabel('Confirm new password').fill(user.password);
  const newStrength = page.locator('#password').getByTestId('password-strength');
  await expect(newStrength).toHaveAttribute('data-level', /good|strong/);
  await page.getByRole('button', { name: 'Change password' }).click();
  const message = 'Choose a password different from the current one.';
  await expect(page.locator('#field-newPassword-error')).toHaveText(message);
  expect(await timesShown(page, message)).toBe(1);
  await expect(newStrength).toHaveCount(0);
});
