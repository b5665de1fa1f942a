// Two-step verification in a real browser: set up on /account (codes computed
// here from the key the page shows; the recovery codes step with Copy,
// Download, Print and "I have saved them" before it turns on; a set-up left
// at that step), sign-in with a code, with a recovery code (which then no
// longer works; the landing page prompts for new ones and the count goes
// down), the same without JavaScript, wrong codes, and REQUIRE_MFA_FOR_ADMINS
// sending an admin without a second factor to enrol.
import { readFile } from 'node:fs/promises';
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

/** A new member, signed in with the password form (quicker than the register form on a busy machine). */
async function newMember(page: Page, prefix: string): Promise<TestUser> {
  const user = newUser(prefix);
  await createSignedInUser(testAuth(), user);
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);
  return user;
}

/** The set-up key as shown: its text, and its groups. */
async function shownKey(page: Page): Promise<string> {
  const key = page.getByTestId('totp-secret');
  const secret = (await key.textContent())?.trim() ?? '';
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  // In groups of four, as authenticator apps show keys.
  expect(await key.locator('.group').allTextContents()).toEqual(secret.match(/.{4}/g));
  return secret;
}

/** The recovery codes on screen, after a first code: two-step is still off until "I have saved them". */
async function shownCodes(page: Page): Promise<string[]> {
  const list = page.getByTestId('recovery-codes');
  await expect(list.locator('li')).toHaveCount(10);
  await expect(twoStepBadge(page)).toHaveText('Off');
  await expect(page.getByTestId('recovery-codes-step')).toContainText('not on yet');
  return (await list.locator('code').allTextContents()).map((code) => code.trim());
}

async function savedThem(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'I have saved my recovery codes' }).click();
  await expect(page.getByTestId('flash')).toContainText('Two-step verification is on');
  await expect(twoStepBadge(page)).toHaveText('On');
  await expect(page.getByTestId('recovery-codes')).toHaveCount(0);
  await expect(page.getByTestId('recovery-codes-left')).toHaveText(
    '10 unused recovery codes left.',
  );
}

/** Sets up the app from /account; resolves to the key shown and the recovery codes. */
async function enrolOnAccountPage(page: Page): Promise<{ secret: string; codes: string[] }> {
  await page.goto('/account#two-step');
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const secret = await shownKey(page);
  await expect(page.getByAltText('QR code for your authenticator app')).toBeVisible();
  // A wrong code first: a field error, and the QR code stays (with JavaScript).
  await page.getByLabel('Code from your app').fill('000000');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByText('Incorrect code.').first()).toBeVisible();
  await page.getByLabel('Code from your app').fill(totpCode(secret, new Date()));
  await page.getByRole('button', { name: 'Continue' }).click();
  const codes = await shownCodes(page);
  const download = page.getByRole('link', { name: 'Download as a text file' });
  expect(await download.getAttribute('download')).toBe('authkit-recovery-codes.txt');
  expect(decodeURIComponent((await download.getAttribute('href')) ?? '')).toContain(codes[0]);
  await savedThem(page);
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

/** The labels of the account's recent activity: its first three pages (ten events each). */
async function activity(page: Page): Promise<string[]> {
  const labels: string[] = [];
  for (let pageNumber = 1; pageNumber <= 3; pageNumber++) {
    await page.goto(
      pageNumber === 1 ? '/account#activity' : `/account?activity=${pageNumber}#activity`,
    );
    labels.push(...(await page.getByTestId('activity-row').locator('strong').allTextContents()));
    if ((await page.getByTestId('activity-older').count()) === 0) break;
  }
  return labels;
}

test('set up an authenticator app, sign in with a code, then with a recovery code once', async ({
  page,
}) => {
  // A long flow (set-up, four sign-ins, turning off): more than the default time on a busy machine.
  test.slow();
  const user: TestUser = await newMember(page, 'totp');
  const { secret, codes } = await enrolOnAccountPage(page);
  await page.reload();
  // Shown once: gone after a reload.
  await expect(page.getByTestId('recovery-codes')).toHaveCount(0);
  await signOut(page);

  // The password alone is not a session.
  await signIn(page, user);
  await expect(page).toHaveURL(/\/login\/verify$/);
  await expect(page.getByLabel('Authentication code')).toHaveAttribute(
    'autocomplete',
    'one-time-code',
  );
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/login\?next=%2Fdashboard$/);
  const pending = (await page.context().cookies()).find(
    (cookie) => cookie.name === 'authkit_pending',
  );
  expect(pending?.httpOnly).toBe(true);
  expect(pending?.sameSite).toBe('Lax');

  await signIn(page, user);
  await verifyWithCode(page, '123456');
  await expect(page.getByText('Incorrect code.').first()).toBeVisible();
  await verifyWithCode(page, nextTotpCode(secret));
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('flash')).toHaveText(
    `Welcome back, ${user.username}! You are signed in.`,
  );
  await expect(page.getByTestId('confirmed-recently')).toHaveText(
    'Yes, with your password and a code from your authenticator app',
  );
  await signOut(page);

  // A recovery code signs in once, then is refused; the landing page says how
  // many are left and links to new ones, where the count is the same.
  await signIn(page, user);
  await verifyWithRecoveryCode(page, codes[0]!);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('flash')).toContainText('You signed in with a recovery code');
  await expect(page.getByTestId('flash')).toContainText('You have 9 unused recovery codes left.');
  await expect(page.getByTestId('confirmed-recently')).toHaveText(
    'Yes, with your password and a recovery code',
  );
  await page.getByTestId('flash-link').click();
  await expect(page).toHaveURL(/\/account#two-step$/);
  await expect(page.getByTestId('recovery-codes-left')).toHaveText('9 unused recovery codes left.');
  await signOut(page);
  await signIn(page, user);
  await verifyWithRecoveryCode(page, codes[0]!);
  await expect(
    page.getByText('This recovery code is not valid (or was used).').first(),
  ).toBeVisible();
  await verifyWithRecoveryCode(page, codes[1]!);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('flash')).toContainText('You have 8 unused recovery codes left.');
  await page.goto('/account#two-step');
  await expect(page.getByTestId('recovery-codes-left')).toHaveText('8 unused recovery codes left.');

  const labels = await activity(page);
  expect(labels).toContain('Two-step verification turned on');
  expect(labels).toContain('Recovery code used');
  expect(labels).toContain('Wrong verification code or passkey');

  // Turning it off needs a code: a wrong one changes nothing.
  await page.getByLabel('Code from your app or a recovery code').fill('aaaaa-bbbbb');
  await page.getByRole('button', { name: 'Turn off two-step verification' }).click();
  await expect(
    page.getByText('This recovery code is not valid (or was used).').first(),
  ).toBeVisible();
  await page.getByLabel('Code from your app or a recovery code').fill(codes[2]!);
  await page.getByRole('button', { name: 'Turn off two-step verification' }).click();
  await expect(page.getByTestId('flash')).toContainText('Two-step verification is off');
  expect(await activity(page)).toContain('Two-step verification turned off');
  await signOut(page);
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);
});

test('the recovery codes step: Copy, Download (a text file), Print (only the codes); the key copies too; a set-up left there stays off', async ({
  context,
  page,
}) => {
  test.slow();
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
  await newMember(page, 'codes_step');
  await page.goto('/account#two-step');
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const secret = await shownKey(page);
  await page.getByRole('button', { name: 'Copy key' }).click();
  await expect(page.getByText('Copied.')).toBeVisible();
  expect(await clipboard()).toBe(secret);

  await page.getByLabel('Code from your app').fill(totpCode(secret, new Date()));
  await page.getByRole('button', { name: 'Continue' }).click();
  const codes = await shownCodes(page);

  await page.getByRole('button', { name: 'Copy', exact: true }).click();
  expect(await clipboard()).toBe(codes.join('\n'));

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download as a text file' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('authkit-recovery-codes.txt');
  const file = await readFile((await download.path())!, 'utf8');
  expect(file.split('\n')[0]).toBe('authkit recovery codes for two-step verification');
  expect(file).toContain(`\n${codes.join('\n')}\n`);

  // Print: the browser's dialog (stubbed here), and on paper only the codes.
  await page.evaluate(() => {
    window.print = () => document.body.setAttribute('data-printed', 'yes');
  });
  await page.getByRole('button', { name: 'Print' }).click();
  await expect(page.locator('body')).toHaveAttribute('data-printed', 'yes');
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeHidden();
  await expect(page.getByRole('button', { name: 'I have saved my recovery codes' })).toBeHidden();
  await expect(page.getByTestId('recovery-codes')).toBeVisible();
  await expect(page.getByText('authkit recovery codes for two-step verification')).toBeVisible();
  await page.emulateMedia({ media: 'screen' });

  // Left without "I have saved them": off, explained; the codes shown do not sign in.
  await page.reload();
  await expect(twoStepBadge(page)).toHaveText('Off');
  await expect(page.getByTestId('two-step-unfinished')).toContainText(
    'did not confirm that you saved',
  );
  await page.getByRole('button', { name: 'Show new recovery codes' }).click();
  const renewed = await shownCodes(page);
  expect(renewed).not.toContain(codes[0]);
  await savedThem(page);
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
    await expect(page.getByRole('button', { name: 'Verify' })).not.toHaveAttribute(
      'aria-busy',
      'true',
    );
    if (status === 429) break;
  }
  expect(status).toBe(429);
  await expect(
    page.getByText(/Too many failed sign-in attempts for this account\. Try again in/),
  ).toBeVisible();
  // Still no session, whatever the right code now.
  expect(nextTotpCode(secret)).toMatch(/^\d{6}$/);
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/login\?next=/);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('set up the app and sign in with a code and with a recovery code', async ({ page }) => {
    const user = await registerNewUser(page, 'totp_nojs');
    await page.goto('/account#two-step');
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    // Without JavaScript a wrong first code ends the set-up: start again, then the right code.
    await page.getByLabel('Code from your app').fill('000000');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByText('Incorrect code.').first()).toBeVisible();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = await shownKey(page);
    // Copying needs the page's script: no Copy button without it.
    await expect(page.getByRole('button', { name: 'Copy key' })).toHaveCount(0);
    await page.getByLabel('Code from your app').fill(totpCode(secret, new Date()));
    await page.getByRole('button', { name: 'Continue' }).click();
    const first = await shownCodes(page);
    // Download is a link (works without JavaScript); Copy and Print need it and are not shown.
    const download = page.getByRole('link', { name: 'Download as a text file' });
    expect(decodeURIComponent((await download.getAttribute('href')) ?? '')).toContain(
      first.join('\n'),
    );
    await expect(page.getByRole('button', { name: 'Copy' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Print' })).toHaveCount(0);

    // Left before "I have saved them": still off, said so, and new codes finish it.
    await page.goto('/account#two-step');
    await expect(twoStepBadge(page)).toHaveText('Off');
    await expect(page.getByTestId('two-step-unfinished')).toContainText('still off');
    await page.getByRole('button', { name: 'Show new recovery codes' }).click();
    const codes = await shownCodes(page);
    expect(codes).not.toContain(first[0]);
    // The page that says it is on comes from a redirect: the badge agrees with it.
    await savedThem(page);
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
    await expect(page.locator('#field-code-error')).toContainText(
      'Enter the code from your authenticator app',
    );

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
