import { expect, test, type Browser, type BrowserContext } from '@playwright/test';
import {
  changePassword,
  makeBrowserSessionStale,
  closeTestAuth,
  COOKIE_NAME,
  expectSentToSignIn,
  registerNewUser,
  sessionIdOf,
  signIn,
  signInOnAnotherDevice,
} from './fixtures.ts';

test.afterAll(closeTestAuth);

/** A "browser restart": a new context with only the persistent cookies of the old one. */
async function restart(browser: Browser, context: BrowserContext): Promise<BrowserContext> {
  const state = await context.storageState();
  await context.close();
  const persistent = state.cookies.filter((cookie) => cookie.expires > 0);
  return browser.newContext({ storageState: { cookies: persistent, origins: [] } });
}

test('remember me survives a browser restart; without it the session ends with the browser', async ({
  browser,
  page,
}) => {
  const user = await registerNewUser(page, 'remember');

  // With "remember me": a persistent cookie.
  let context = await browser.newContext();
  let tab = await context.newPage();
  await signIn(tab, user, { remember: true });
  await expect(tab).toHaveURL(/\/dashboard$/);
  const cookie = (await context.cookies()).find((c) => c.name === COOKIE_NAME);
  expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000 + 24 * 3600);
  context = await restart(browser, context);
  tab = await context.newPage();
  await tab.goto('/dashboard');
  await expect(tab).toHaveURL(/\/dashboard$/);
  await expect(tab.getByTestId('greeting')).toHaveText(`Hello, ${user.username}!`);
  await context.close();

  // Without it: a browser-session cookie, gone after the restart.
  context = await browser.newContext();
  tab = await context.newPage();
  await signIn(tab, user);
  await expect(tab).toHaveURL(/\/dashboard$/);
  expect((await context.cookies()).find((c) => c.name === COOKIE_NAME)?.expires).toBe(-1);
  context = await restart(browser, context);
  await expectSentToSignIn(await context.newPage(), '/dashboard');
  await context.close();
});

test('the session list shows both devices, and revoking one signs it out', async ({
  browser,
  context,
  page,
}) => {
  const user = await registerNewUser(page, 'devices');
  const other = await signInOnAnotherDevice(browser, user);

  await page.goto('/account');
  // The page (markup and its data) names the other device's session, for its
  // revoke form, and never this one's.
  const html = await page.content();
  expect(html).toContain(await sessionIdOf(other.context));
  expect(html).not.toContain(await sessionIdOf(context));

  const rows = page.getByTestId('session-row');
  await expect(rows).toHaveCount(2);
  await expect(page.locator('[data-testid="session-row"][data-current="true"]')).toHaveCount(1);
  await expect(page.locator('[data-testid="session-row"][data-current="false"]')).toContainText(
    'Firefox 140 on Windows',
  );

  await page
    .locator('[data-testid="session-row"][data-current="false"]')
    .getByRole('button', { name: /^Sign out/ })
    .click();
  await expect(page.getByTestId('flash')).toHaveText('That device has been signed out.');
  await expect(rows).toHaveCount(1);
  // The activity names the device that was signed out.
  await expect(page.getByTestId('activity-row').first()).toContainText(
    'Signed out Firefox 140 on Windows',
  );

  // The revoked device is told why on its next page.
  await expectSentToSignIn(other.page, '/dashboard');
  await expect(other.page.getByTestId('flash')).toHaveText(
    'You were signed out from another device.',
  );
  // Told once: the next visit is an ordinary one.
  await expectSentToSignIn(other.page, '/dashboard');
  await expect(other.page.getByTestId('flash')).toHaveText('Please log in to access this page.');
  await other.context.close();
});

test('"sign out all other devices" ends every other session', async ({ browser, page }) => {
  const user = await registerNewUser(page, 'others');
  const devices = [
    await signInOnAnotherDevice(browser, user),
    await signInOnAnotherDevice(browser, user),
  ];

  await page.goto('/account');
  await expect(page.getByTestId('session-row')).toHaveCount(3);
  await page.getByRole('button', { name: 'Sign out all other devices' }).click();
  await expect(page.getByTestId('flash')).toHaveText('Signed out 2 other devices.');
  await expect(page.getByTestId('session-row')).toHaveCount(1);

  // On a public page a signed-out device is told at once; on a protected one, on the sign-in page.
  const [first, second] = devices as [(typeof devices)[0], (typeof devices)[0]];
  await first.page.goto('/');
  await expect(first.page.getByTestId('flash')).toHaveText(
    'You were signed out from another device.',
  );
  await expect(first.page.getByTestId('nav-user')).toHaveCount(0);
  await expectSentToSignIn(second.page, '/account');
  await expect(second.page.getByTestId('flash')).toHaveText(
    'You were signed out from another device.',
  );
  for (const device of devices) {
    await expectSentToSignIn(device.page, '/account');
    await device.context.close();
  }
});

test('changing the password signs out the other device', async ({ browser, page }) => {
  const user = await registerNewUser(page, 'pwchange');
  const other = await signInOnAnotherDevice(browser, user);
  const newPassword = `${user.password}-renewed`;

  await page.goto('/account');
  await changePassword(page, user.password, newPassword);
  await expect(page.getByTestId('flash')).toContainText('Your password has been changed.');
  await expect(page.getByTestId('session-row')).toHaveCount(1);

  await expectSentToSignIn(other.page, '/dashboard');
  await expect(other.page.getByTestId('flash')).toHaveText(
    'Your password was changed, so this device was signed out.',
  );
  await page.reload();
  await expect(page.getByTestId('activity-row').first()).toHaveText(/Changed password/);
  // The new password works, the old one no longer does.
  await signIn(other.page, user, { open: false });
  await expect(other.page.getByTestId('form-error')).toBeVisible();
  await signIn(other.page, { ...user, password: newPassword }, { open: false });
  await expect(other.page).toHaveURL(/\/dashboard$/);
  await other.context.close();
});

for (const javaScriptEnabled of [true, false]) {
  test(`a stale session changes its password at once: the current password is the confirmation (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async ({
    browser,
  }) => {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    const user = await registerNewUser(page, javaScriptEnabled ? 'stale' : 'stale_nojs');
    await makeBrowserSessionStale(context);
    const newPassword = `${user.password}-again`;

    await page.goto('/account');
    // No note about a detour on the password card: the form asks for the password already.
    await expect(page.locator('#password')).not.toContainText('you will be asked');
    // A wrong current password is a field error, on the same page.
    await changePassword(page, 'definitely wrong', newPassword);
    await expect(page).toHaveURL(/\/account(\?\/password)?(#.*)?$/);
    await expect(page.locator('#field-currentPassword-error')).toContainText('Incorrect password');

    await changePassword(page, user.password, newPassword);
    await expect(page).toHaveURL(/\/account(#.*)?$/);
    await expect(page.getByTestId('flash')).toContainText('Your password has been changed.');
    // The password was just typed: the session is fresh again, so the email card needs no detour.
    await expect(page.locator('#email')).not.toContainText('you will be asked');
    await context.close();
  });
}
