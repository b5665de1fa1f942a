// Two-step verification in a real browser: set up on /account (codes computed
// here from the key the page shows), sign-in with a code, with a recovery code
// (which then no longer works), the same without JavaScript, wrong codes, and
// REQUIRE_MFA_FOR_ADMINS sending an admin without a second factor to enrol.
import { createSignedInUser, totpCode } from '@authkit/auth/testing';
import { expect, test, type Page } from '@playwright/test';
import {
  closeTestAuth,
  enrolTotp,
  makeBrowserSessionStale,
  newUser,
  nextTotpCode,
  registerNewUser,
  signIn,
  signInWithSecondFactor,
  signOut,
  testAuth,
  type TestUser,
} from './support/fixtures.ts';

test.afterAll(closeTestAuth);

/** The On/Off badge in the two-step card's header. */
function twoStepBadge(page: Page) {
  return page.locator('#two-step').getByTestId('two-step-status');
}

/** Sets up the app from /account; resolves to the key shown and the recovery codes. */
async function enrolOnAccountPage(page: Page): Promise<{ secret: string; codes: string[] }> {
  await page.goto('/account#two-step');
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await expect(page.getByAltText('QR code for your authenticator app')).toBeVisible();
  // A wrong code first: a field error, and the QR code stays (with JavaScript).
  await page.getByLabel('Code from your app').fill('000000');
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByText('Incorrect code.').first()).toBeVisible();
  await page.getByLabel('Code from your app').fill(totpCode(secret, new Date()));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const list = page.getByTestId('recovery-codes');
  await expect(list.locator('li')).toHaveCount(10);
  await expect(twoStepBadge(page)).toHaveText('On');
  const codes = (await list.locator('code').allTextContents()).map((code) => code.trim());
  const download = page.getByRole('link', { name: 'Download as a text file' });
  expect(await download.getAttribute('download')).toBe('authkit-recovery-codes.txt');
  expect(decodeURIComponent((await download.getAttribute('href')) ?? '')).toContain(codes[0]);
  return { secret, codes };
}

async function verifyWithCode(page: Page, code: string): Promise<void> {
  await page.getByLabel('Authentication code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
}

async function verifyWithRecoveryCode(page: Page, code: string): Promise<void> {
  await expect(page.getByRole('button', { name: 'Verify' })).toBeVisible();
  // After a wrong recovery code the page stays on recovery codes.
  const switchLink = page.getByRole('link', { name: 'Use a recovery code instead' });
  if (await switchLink.isVisible()) await switchLink.click();
  await page.getByLabel('Recovery code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
}

async function activity(page: Page): Promise<string[]> {
  await page.goto('/account#activity');
  return page.getByTestId('activity-row').locator('strong').allTextContents();
}

test('set up an authenticator app, sign in with a code, then with a recovery code once', async ({
  page,
}) => {
  const user: TestUser = await registerNewUser(page, 'totp');
  const { secret, codes } = await enrolOnAccountPage(page);
  await page.reload();
  // Shown once: gone after a reload.
  await expect(page.getByTestId('recovery-codes')).toHaveCount(0);
  await signOut(page);

  // The password alone is not a session.
  await signIn(page, user);
  await expect(page).toHaveURL(/\/login\/verify$/);
  await expect(page.getByLabel('Authentication code')).toHaveAttribute('autocomplete', 'one-time-code');
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/login\?next=%2Fdashboard$/);
  const pending = (await page.context().cookies()).find((cookie) => cookie.name === 'authkit_pending');
  expect(pending?.httpOnly).toBe(true);
  expect(pending?.sameSite).toBe('Lax');

  await signIn(page, user);
  await verifyWithCode(page, '123456');
  await expect(page.getByText('Incorrect code.').first()).toBeVisible();
  await verifyWithCode(page, nextTotpCode(secret));
  await expect(page).toHaveURL(/\/dashboard$/);
  await signOut(page);

  // A recovery code signs in once, then is refused.
  await signIn(page, user);
  await verifyWithRecoveryCode(page, codes[0]!);
  await expect(page).toHaveURL(/\/dashboard$/);
  await signOut(page);
  await signIn(page, user);
  await verifyWithRecoveryCode(page, codes[0]!);
  await expect(page.getByText('This recovery code is not valid (or was used).').first()).toBeVisible();
  await verifyWithRecoveryCode(page, codes[1]!);
  await expect(page).toHaveURL(/\/dashboard$/);

  const labels = await activity(page);
  expect(labels).toContain('Two-step verification turned on');
  expect(labels).toContain('Recovery code used');
  expect(labels).toContain('Wrong verification code or passkey');

  // Turning it off needs a code: a wrong one changes nothing.
  await page.getByLabel('Code from your app or a recovery code').fill('aaaaa-bbbbb');
  await page.getByRole('button', { name: 'Turn off two-step verification' }).click();
  await expect(page.getByText('This recovery code is not valid (or was used).').first()).toBeVisible();
  await page.getByLabel('Code from your app or a recovery code').fill(codes[2]!);
  await page.getByRole('button', { name: 'Turn off two-step verification' }).click();
  await expect(page.getByTestId('flash')).toContainText('Two-step verification is off');
  expect(await activity(page)).toContain('Two-step verification turned off');
  await signOut(page);
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);
});

test('five wrong codes pause the second step (429 with the wait)', async ({ page }) => {
  const user = newUser('totp_wrong');
  const signedIn = await createSignedInUser(testAuth(), user);
  const { secret } = await enrolTotp(signedIn);
  await signIn(page, user);
  await expect(page).toHaveURL(/\/login\/verify$/);
  let status = 0;
  page.on('response', (response) => {
    if (response.request().method() === 'POST') status = response.status();
  });
  for (let i = 0; i < 6; i++) {
    await page.getByLabel('Authentication code').fill(String(100000 + i));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByRole('button', { name: 'Verify' })).not.toHaveAttribute('aria-busy', 'true');
    if (status === 429) break;
  }
  expect(status).toBe(429);
  await expect(page.getByText(/Too many failed sign-in attempts for this account\. Try again in/)).toBeVisible();
  // Still no session, whatever the right code now.
  expect(nextTotpCode(secret)).toMatch(/^\d{6}$/);
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/login\?next=/);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('set up the app and sign in with a code and with a recovery code', async ({ page }) => {
    const user = await registerNewUser(page, 'totp_nojs');
    const { secret, codes } = await enrolOnAccountPage(page).catch(async () => {
      // Without JavaScript a wrong first code ends the set-up: start again, then the right code.
      await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
      const key = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
      await page.getByLabel('Code from your app').fill(totpCode(key, new Date()));
      await page.getByRole('button', { name: 'Turn on' }).click();
      const list = page.getByTestId('recovery-codes').locator('code');
      await expect(list).toHaveCount(10);
      return { secret: key, codes: (await list.allTextContents()).map((code) => code.trim()) };
    });
    // The page showing the new recovery codes (same request as the action) says it is on.
    await expect(page.getByTestId('recovery-codes')).toBeVisible();
    await expect(twoStepBadge(page)).toHaveText('On');
    await signOut(page);
    await signIn(page, user);
    await expect(page).toHaveURL(/\/login\/verify$/);
    await verifyWithCode(page, nextTotpCode(secret));
    await expect(page).toHaveURL(/\/dashboard$/);
    await signOut(page);
    await signIn(page, user);
    await verifyWithRecoveryCode(page, codes[3]!);
    await expect(page).toHaveURL(/\/dashboard$/);
  });
});

test('an admin without a second factor is sent to set one up before /admin', async ({ page }) => {
  const admin = newUser('admin_nomfa');
  await createSignedInUser(testAuth(), { ...admin, role: 'admin' });
  await signIn(page, admin);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/admin');
  await expect(page).toHaveURL(/\/account#two-step$/);
  // One notice says why, not two (a flash and the page's own).
  await expect(page.getByTestId('mfa-required')).toBeVisible();
  await expect(page.getByTestId('flash')).toHaveCount(0);
  await enrolOnAccountPage(page);
  await page.goto('/admin');
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
});

for (const javaScriptEnabled of [true, false]) {
  test(`on an account with two-step sign-in, re-authentication asks for the password and a code (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async ({
    browser,
  }) => {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    const user = newUser(javaScriptEnabled ? 'stepup' : 'stepup_nojs');
    const signedIn = await createSignedInUser(testAuth(), user);
    const totp = { ...user, ...(await enrolTotp(signedIn)), signedIn };
    await signInWithSecondFactor(page, totp);
    await makeBrowserSessionStale(context);

    await page.goto('/account/reauth?next=/account%23two-step');
    await expect(page.getByLabel('Authentication code')).toBeVisible();
    // The password alone renews nothing on this account: the code's field says what is missing.
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await expect(page).toHaveURL(/\/account\/reauth/);
    await expect(page.locator('#field-code-error')).toContainText('Enter the code from your authenticator app');

    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByLabel('Authentication code').fill(nextTotpCode(totp.secret));
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await expect(page).toHaveURL(/\/account(#two-step)?$/);
    // Fresh by its second factor now: new recovery codes come without a detour.
    await page.getByRole('button', { name: /new recovery codes/i }).click();
    await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
    await context.close();
  });
}
