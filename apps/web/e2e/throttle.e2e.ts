// Runs last (file order): it uses up failed sign-ins, which are also counted
// per client address. The e2e site locks for THROTTLE_LOCK_SECONDS=4 (support/stack.ts).
import { expect, test } from '@playwright/test';
import { formPost, registerNewUser, screenshot, signIn, signOut } from './support/fixtures.ts';

test("a stranger's failed sign-ins lock the account for other browsers, with a countdown, but not for the owner's device", async ({
  page,
  browser,
  request,
}) => {
  // Registering signs the owner in: this browser gets the device cookie.
  const user = await registerNewUser(page, 'throttled');
  const device = (await page.context().cookies()).find(
    (cookie) => cookie.name === 'authkit_device',
  );
  expect(device).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  expect(device?.value).toMatch(/^[\w-]{22}\.\d+\.[\w-]{43}$/);
  await signOut(page);

  // A stranger (no device cookie) guesses until the account is locked: 429 with the wait, without JS too.
  let status = 0;
  let retryAfter: string | undefined;
  for (let attempt = 1; attempt <= 10 && status !== 429; attempt++) {
    const response = await request.post(
      '/login',
      formPost({ username: user.username, password: `wrong-${attempt}` }),
    );
    status = response.status();
    retryAfter = response.headers()['retry-after'];
    if (status !== 429) expect(status).toBe(400);
    else
      expect(await response.text()).toMatch(/for this account\. Try again in \d+ (second|minute)/);
  }
  expect(status).toBe(429);
  expect(Number(retryAfter)).toBeGreaterThan(0);

  // Another browser, even with the right password, is told to wait: a warning
  // with a countdown, and the button comes back when it is over.
  const stranger = await browser.newContext();
  const other = await stranger.newPage();
  await signIn(other, user);
  const message = other.getByTestId('form-error');
  await expect(message).toContainText('for this account. Try again in');
  await expect(other.locator('[data-kind="warning"]')).toBeVisible();
  await expect(other.locator('[data-kind="error"]')).toHaveCount(0);
  const button = other.getByRole('button', { name: 'Sign in', exact: true });
  await expect(button).toBeDisabled();
  await screenshot(other, '12-login-throttled');
  await expect(message).toContainText('You can try again now.', { timeout: 10_000 });
  await expect(button).toBeEnabled();
  await stranger.close();

  // The owner's browser is a trusted device: no wait, and the dashboard tells
  // of the stranger's attempts, once.
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('failed-sign-ins')).toContainText(
    '5 failed sign-in attempts since your last visit',
  );
  const rotated = (await page.context().cookies()).find(
    (cookie) => cookie.name === 'authkit_device',
  );
  expect(rotated?.value).not.toBe(device?.value);
  await page.reload();
  await expect(page.getByTestId('greeting')).toBeVisible();
  await expect(page.getByTestId('failed-sign-ins')).toHaveCount(0);
});
