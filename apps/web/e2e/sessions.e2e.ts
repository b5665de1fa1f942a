import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import {
  changePassword,
  makeBrowserSessionStale,
  closeTestAuth,
  COOKIE_NAME,
  expectSentToSignIn,
  registerNewUser,
  screenshot,
  sessionIdOf,
  signIn,
  signInOnAnotherDevice,
} from './support/fixtures.ts';

test.afterAll(closeTestAuth);

/** Where the card's own screenshots go: beside the page screenshots (support/fixtures.ts). */
const cardShot = (name: string) =>
  join(import.meta.dirname, '..', 'test-results', 'screenshots', `${name}.png`);

/**
 * "Sign out all other devices" is a disclosure: it asks first, and nothing is
 * sent until the danger button inside it is pressed.
 */
async function confirmSignOutOthers(page: Page, count: number): Promise<void> {
  const card = page.locator('#sessions');
  const confirm = card.getByRole('button', { name: `Sign out ${count} other devices` });
  await expect(confirm).toBeHidden();
  await card.getByText('Sign out all other devices').click();
  await expect(card.getByText(`Sign out ${count} other devices?`)).toBeVisible();
  // Cancel closes it again (with JavaScript in place; without, it reloads the page).
  await card.getByRole('link', { name: 'Cancel' }).click();
  await expect(confirm).toBeHidden();
  await expect(page.getByTestId('session-row')).toHaveCount(count + 1);
  await card.getByText('Sign out all other devices').click();
  await confirm.click();
}

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
  // The result shows in the card, beside the list, not at the top of the page.
  const card = page.locator('#sessions');
  await expect(card.getByTestId('sessions-message')).toHaveText('That device has been signed out.');
  await expect(card.getByRole('status')).toContainText('That device has been signed out.');
  await expect(page.getByTestId('flash')).toHaveCount(0);
  await expect(rows).toHaveCount(1);
  // Focus stays with the list, not the top of the page.
  await expect(card.getByRole('list', { name: 'Active sessions' })).toBeFocused();
  await expect(card.getByTestId('no-other-sessions')).toHaveText('No other devices are signed in.');
  // The activity names the device that was signed out.
  await expect(page.getByTestId('activity-row').first()).toContainText(
    'Signed out Firefox 140 on Windows',
  );
  // Device and address read apart ("Linux · 127.0.0.1", not "Linux· 127.0.0.1").
  await expect(page.getByTestId('activity-row').first()).toHaveText(/\S · [0-9a-f.:]+$/);
  await expect(page.getByTestId('activity-row').first()).not.toHaveText(/\S·/);

  // The revoked device is told why on its next page.
  await expectSentToSignIn(other.page, '/dashboard');
  await expect(other.page.getByTestId('flash')).toHaveText(
    'You were signed out from another device.',
  );
  // Told once: the next visit is an ordinary one.
  await expectSentToSignIn(other.page, '/dashboard');
  await expect(other.page.getByTestId('flash')).toHaveText('Please sign in to access this page.');
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
  await confirmSignOutOthers(page, 2);
  await expect(page.locator('#sessions').getByTestId('sessions-message')).toHaveText(
    'Signed out 2 other devices.',
  );
  await expect(page.getByTestId('flash')).toHaveCount(0);
  await expect(page.getByTestId('session-row')).toHaveCount(1);
  await expect(
    page.locator('#sessions').getByRole('list', { name: 'Active sessions' }),
  ).toBeFocused();

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

test('"sign out all other devices" opened while the page hydrates stays open', async ({
  browser,
  page,
}) => {
  const user = await registerNewUser(page, 'hydrate');
  const other = await signInOnAnotherDevice(browser, user);
  // The page's scripts (not its styles) wait until the disclosure has been opened in the
  // server-rendered page.
  let release: () => void = () => {};
  const scriptsMayLoad = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/_app/immutable/**/*.js', async (route) => {
    await scriptsMayLoad;
    await route.continue();
  });
  await page.goto('/account', { waitUntil: 'commit' });
  const card = page.locator('#sessions');
  const disclosure = card.getByTestId('sign-out-others');
  await card.getByText('Sign out all other devices').click();
  await expect(disclosure).toHaveAttribute('open', '');
  await expect(page.getByTestId('password-toggle')).toHaveCount(0); // not hydrated yet
  release();
  await expect(page.getByTestId('password-toggle').first()).toBeVisible(); // hydrated
  await expect(disclosure).toHaveAttribute('open', '');
  await expect(card.getByRole('button', { name: 'Sign out 1 other device' })).toBeVisible();
  // And it still closes and opens as before.
  await card.getByRole('link', { name: 'Cancel' }).click();
  await expect(disclosure).not.toHaveAttribute('open');
  await page.unroute('**/_app/immutable/**/*.js');
  await other.context.close();
});

test("at 390 px every session fits: this device first, the other one's button in view", async ({
  browser,
  page,
}) => {
  const user = await registerNewUser(page, 'narrow');
  const other = await signInOnAnotherDevice(browser, user);
  // This browser is active again after the other device signed in: listed first all the same.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/account#sessions');

  const rows = page.getByTestId('session-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toHaveAttribute('data-current', 'true');
  await expect(rows.first()).toContainText('This device');
  await expect(rows.first().getByTestId('session-last-active')).toHaveText('now');
  await expect(rows.nth(1)).toContainText('Firefox 140 on Windows');
  await expect(rows.nth(1).getByTestId('session-last-active')).toHaveText(
    /^(just now|\d+ min ago)$/,
  );
  await expect(rows.nth(1)).toContainText('Until the browser closes');

  // Last active reads relative, its full date-time in the <time>'s title (the
  // browser's zone once hydrated); the sign-in time is shown in full.
  const lastActive = rows.nth(1).getByTestId('session-last-active').locator('time');
  await expect(lastActive).toHaveAttribute('datetime', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  await expect(lastActive).toHaveAttribute('title', /^\w{3}, \d{1,2} \w{3} \d{4}, \d\d:\d\d /);
  await expect(rows.nth(1).getByTestId('session-signed-in')).toHaveText(
    /^\w{3}, \d{1,2} \w{3} \d{4}, \d\d:\d\d /,
  );

  const button = rows
    .nth(1)
    .getByRole('button', { name: /^Sign out Firefox 140 on Windows, signed in / });
  await button.scrollIntoViewIfNeeded();
  const box = await button.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

  // At 1280 px the button stays on one line.
  await page.setViewportSize({ width: 1280, height: 800 });
  const wide = await button.boundingBox();
  const lineHeight = await button.evaluate((element) =>
    parseFloat(getComputedStyle(element).lineHeight),
  );
  expect(wide!.height).toBeLessThan(2 * lineHeight);

  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      await page.getByText('Sign out all other devices').click();
      await screenshot(page, `sessions-${scheme}-${width}`);
      await page
        .locator('#sessions')
        .screenshot({ path: cardShot(`sessions-card-${scheme}-${width}`) });
      await page.getByRole('link', { name: 'Cancel' }).click();
    }
  }
  // The result, in the card (dark, 1280 px).
  await button.click();
  await expect(page.getByTestId('sessions-message')).toBeVisible();
  await page.locator('#sessions').screenshot({ path: cardShot('sessions-card-result-dark-1280') });
  await other.context.close();
});

test("axe finds no WCAG 2.2 A/AA violations in the card's states, in both themes at both widths", async ({
  browser,
  page,
}) => {
  test.setTimeout(90_000);
  const user = await registerNewUser(page, 'axecard');
  const others = [
    await signInOnAnotherDevice(browser, user),
    await signInOnAnotherDevice(browser, user),
  ];
  const check = async (state: string) => {
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const width of [390, 1280]) {
        await page.setViewportSize({ width, height: 800 });
        const result = await new AxeBuilder({ page })
          .include('#sessions')
          .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
          .analyze();
        for (const violation of result.violations) {
          found.push(
            `${state} (${scheme}, ${width}px): ${violation.id} ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
          );
        }
      }
    }
    return found;
  };
  await page.goto('/account');
  const card = page.locator('#sessions');
  const found = await check('two other sessions');
  await card.getByText('Sign out all other devices').click();
  found.push(...(await check('confirm step open')));
  await card
    .getByRole('button', { name: /^Sign out Firefox/ })
    .first()
    .click();
  await expect(card.getByTestId('sessions-message')).toBeVisible();
  found.push(...(await check('result message')));
  expect(found).toEqual([]);
  for (const other of others) await other.context.close();
});

test("full times are in the visitor's zone once the page runs, in UTC without JavaScript", async ({
  browser,
  page,
}) => {
  const user = await registerNewUser(page, 'zones');
  for (const javaScriptEnabled of [true, false]) {
    const context = await browser.newContext({ timezoneId: 'Asia/Tokyo', javaScriptEnabled });
    const tab = await context.newPage();
    await signIn(tab, user, { remember: true });
    await expect(tab).toHaveURL(/\/dashboard$/);
    await tab.goto('/account');
    const mine = tab.locator('[data-testid="session-row"][data-current="true"]');
    await expect(mine).toContainText(/Remembered for \d+ days/);
    await expect(mine.getByTestId('session-last-active')).toHaveText('now');
    const signedIn = mine.getByTestId('session-signed-in').locator('time');
    await expect(signedIn).toHaveText(javaScriptEnabled ? / GMT\+9$/ : / UTC$/);
    // The other sessions' buttons name their sign-in time the same way.
    await expect(
      tab
        .getByRole('button', {
          name: javaScriptEnabled ? /^Sign out .* GMT\+9/ : /^Sign out .* UTC/,
        })
        .first(),
    ).toBeVisible();
    await context.close();
  }
});

test('without JavaScript, "sign out all other devices" asks first, then signs the other device out', async ({
  browser,
}) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const user = await registerNewUser(page, 'nojs');
  const other = await signInOnAnotherDevice(browser, user);
  await page.goto('/account');
  const card = page.locator('#sessions');
  await expect(page.getByTestId('session-row')).toHaveCount(2);
  const confirm = card.getByRole('button', { name: 'Sign out 1 other device' });
  await expect(confirm).toBeHidden();
  await card.getByText('Sign out all other devices').click();
  await expect(card.getByText('Sign out 1 other device?')).toBeVisible();
  // Cancel: the page again, nothing signed out.
  await card.getByRole('link', { name: 'Cancel' }).click();
  await expect(page).toHaveURL(/\/account\?#sessions$/);
  await expect(confirm).toBeHidden();
  await expect(page.getByTestId('session-row')).toHaveCount(2);

  await card.getByText('Sign out all other devices').click();
  await confirm.click();
  await expect(page).toHaveURL(/\/account#sessions$/);
  await expect(card.getByTestId('sessions-message')).toHaveText('Signed out 1 other device.');
  await expect(page.getByTestId('flash')).toHaveCount(0);
  await expect(page.getByTestId('session-row')).toHaveCount(1);
  await expect(card.getByTestId('no-other-sessions')).toBeVisible();
  await expectSentToSignIn(other.page, '/dashboard');
  await other.context.close();
  await context.close();
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
