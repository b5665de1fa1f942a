// Passkeys through Chromium's virtual authenticator (CDP WebAuthn domain):
// add one on /account, sign out, sign in with it (usernameless), confirm with
// it on /account/reauth. WebAuthn refuses an IP address as the relying party,
// so this file runs its own site and API as http://localhost:<port> (same
// database), the site forwarding /trpc to the API as in production.
// A password reset lists a recently added passkey and removes it (without
// JavaScript), so that a passkey planted by an intruder does not outlive it.
// The name is optional (a default from the authenticator or the browser), the
// options carry user.displayName, removing asks first (with and without
// JavaScript), rename and remove say which passkey, and a passkey sign-in is
// welcomed and said to be confirmed by the passkey.
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { freePort } from '@authkit/db/embedded';
import { createSignedInUser, createSoftAuthenticator, testRequest } from '@authkit/auth/testing';
import {
  closeTestAuth,
  makeBrowserSessionStale,
  newUser,
  signIn,
  signOut,
  testAuth,
  watchConsole,
} from './support/fixtures.ts';
import { mailsTo } from './support/mail.ts';
import { startApiServer, startWebServer } from './support/stack.ts';

let site = '';
const stops: Array<() => Promise<void>> = [];

test.beforeAll(async () => {
  const mongodbUrl = process.env.E2E_MONGODB_URL ?? '';
  const [webPort, apiPort] = await Promise.all([freePort(), freePort()]);
  site = `http://localhost:${webPort}`;
  const api = await startApiServer({
    port: apiPort,
    mongodbUrl,
    webOrigin: site,
    env: { SITE_URL: site, SMTP_URL: process.env.E2E_SMTP_URL ?? '' },
  });
  stops.push(api.stop);
  const web = await startWebServer({
    port: webPort,
    mongodbUrl,
    env: {
      ORIGIN: site,
      SITE_URL: site,
      API_URL: api.url,
      SMTP_URL: process.env.E2E_SMTP_URL ?? '',
    },
  });
  stops.push(web.stop);
});

test.afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await closeTestAuth();
});

async function virtualAuthenticator(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
}

test('add a passkey, sign in with it (usernameless), confirm with it', async ({
  context,
  page,
}) => {
  // A long flow (add, rename, sign-in, two detours, remove): more than the default time on a busy machine.
  test.slow();
  const problems = watchConsole(page);
  await virtualAuthenticator(context, page);
  const user = newUser('passkey');
  await createSignedInUser(testAuth(), user);
  await page.goto(`${site}/login`);
  await signIn(page, user, { open: false });
  await expect(page).toHaveURL(`${site}/dashboard`);
  await page.goto(`${site}/account#passkeys`);
  // No name given: named after the browser and system (the virtual authenticator's
  // AAGUID is none of the known ones); the options name the user for the authenticator.
  const options = page.waitForResponse((response) =>
    response.url().includes('auth.passkeys.registrationOptions'),
  );
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  const creation = (await (await options).json()) as [
    { result: { data: { user: { name: string; displayName: string } } } },
  ];
  expect(creation[0].result.data.user).toMatchObject({
    name: user.username,
    displayName: user.username,
  });
  await expect(page.getByText('Passkey “Chrome on Linux” added.')).toBeVisible();
  const row = page.locator('[data-testid="passkey-row"][data-name="Chrome on Linux"]');
  await expect(row).toContainText('never used');

  // Rename (a plain form): the result names the passkey, before and after.
  await row.getByLabel('New name for Chrome on Linux').fill('Work laptop');
  await row.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByTestId('flash')).toHaveText(
    'Renamed the passkey “Chrome on Linux” to “Work laptop”.',
  );
  await expect(page.locator('[data-testid="passkey-row"][data-name="Work laptop"]')).toBeVisible();

  await signOut(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page).toHaveURL(`${site}/dashboard`);
  // Welcomed as after a password, and the session says what confirmed it.
  await expect(page.getByTestId('flash')).toHaveText(
    `Welcome back, ${user.username}! You are signed in.`,
  );
  await expect(page.getByTestId('confirmed-recently')).toHaveText('Yes, with a passkey');

  // A rename from a stale session goes through re-authentication (with the
  // passkey, which restores freshness) and comes back with the typed name.
  await makeBrowserSessionStale(context);
  await page.goto(`${site}/account#passkeys`);
  const work = page.locator('[data-testid="passkey-row"][data-name="Work laptop"]');
  await work.getByLabel('New name for Work laptop').fill('Home laptop');
  await work.getByRole('button', { name: 'Rename' }).click();
  await expect(page).toHaveURL(`${site}/account/reauth?next=%2Faccount%23passkeys`);
  await page.getByRole('button', { name: 'Confirm with a passkey' }).click();
  await expect(page).toHaveURL(`${site}/account#passkeys`);
  await expect(work.getByLabel('New name for Work laptop')).toHaveValue('Home laptop');
  // Said so, and one press: the site dropped its cached copy of the session
  // when the passkey confirmed it, so it is fresh here at once.
  await expect(page.getByTestId('passkey-pending')).toContainText('“Home laptop”');
  await work.getByRole('button', { name: 'Rename' }).click();
  await expect(page.locator('[data-testid="passkey-row"][data-name="Home laptop"]')).toBeVisible();
  await expect(page).toHaveURL(`${site}/account#passkeys`);
  await expect(page.getByTestId('passkey-pending')).toHaveCount(0);

  // An email change from a stale session, confirmed with the passkey: the
  // address comes back in its form, said so, and is sent on one press.
  const newEmail = `new_${user.email}`;
  await makeBrowserSessionStale(context);
  await page.goto(`${site}/account#email`);
  await page.getByLabel('New email address').fill(newEmail);
  await page.getByRole('button', { name: 'Change email address' }).click();
  await expect(page).toHaveURL(`${site}/account/reauth?next=%2Faccount%23email`);
  await page.getByRole('button', { name: 'Confirm with a passkey' }).click();
  await expect(page).toHaveURL(`${site}/account#email`);
  await expect(page.getByLabel('New email address')).toHaveValue(newEmail);
  await expect(page.getByTestId('email-pending')).toContainText('Check the address below');
  await page.getByRole('button', { name: 'Change email address' }).click();
  await expect(page.getByTestId('flash')).toHaveText(
    `We sent a link to ${newEmail}; your address changes when you open it.`,
  );

  await page.reload();
  await expect(page.getByRole('button', { name: 'Add a passkey' })).toBeVisible();

  const labels = await page.getByTestId('activity-row').locator('strong').allTextContents();
  expect(labels).toContain('Passkey added');
  expect(labels).toContain('Passkey used');

  // Removing asks first; Cancel keeps it, Yes removes it and says which.
  const home = page.locator('[data-testid="passkey-row"][data-name="Home laptop"]');
  await home.getByRole('button', { name: 'Remove passkey Home laptop' }).click();
  await expect(page.getByTestId('passkey-confirm')).toContainText(
    'Remove the passkey “Home laptop”?',
  );
  await page.getByTestId('passkey-confirm').getByRole('link', { name: 'Cancel' }).click();
  await expect(page.getByTestId('passkey-confirm')).toHaveCount(0);
  await expect(home).toBeVisible();
  await home.getByRole('button', { name: 'Remove passkey Home laptop' }).click();
  await page.getByRole('button', { name: 'Yes, remove “Home laptop”' }).click();
  await expect(page.getByTestId('flash')).toHaveText(
    'Removed the passkey “Home laptop”: it no longer signs in to your account.',
  );
  await expect(page.getByText('No passkeys yet.')).toBeVisible();
  expect(problems).toEqual([]);
});

test('without JavaScript, removing a passkey asks first and names it', async ({ browser }) => {
  // A passkey made through the auth package (the list and removal need no ceremony).
  const user = newUser('pk_nojs');
  const signedIn = await createSignedInUser(testAuth(), user);
  const options = await testAuth().passkeyRegistrationOptions(signedIn.session, testRequest);
  const authenticator = createSoftAuthenticator({ origin: testAuth().settings.siteUrl });
  await testAuth().registerPasskey(
    signedIn.session,
    authenticator.register(options),
    'Spare key',
    testRequest,
  );

  const plain = await browser.newContext({ javaScriptEnabled: false });
  const page = await plain.newPage();
  await page.goto(`${site}/login`);
  await signIn(page, user, { open: false });
  await expect(page).toHaveURL(`${site}/dashboard`);
  await page.goto(`${site}/account#passkeys`);
  const row = page.locator('[data-testid="passkey-row"][data-name="Spare key"]');
  await row.getByRole('button', { name: 'Remove passkey Spare key' }).click();
  await expect(page.getByTestId('passkey-confirm')).toContainText(
    'Remove the passkey “Spare key”?',
  );
  // Nothing removed yet.
  expect(await testAuth().database.passkeys.countDocuments({ user_id: signedIn.user.id })).toBe(1);
  await page.getByRole('button', { name: 'Yes, remove “Spare key”' }).click();
  await expect(page.getByTestId('flash')).toHaveText(
    'Removed the passkey “Spare key”: it no longer signs in to your account.',
  );
  await expect(page.getByText('No passkeys yet.')).toBeVisible();
  expect(await testAuth().database.passkeys.countDocuments({ user_id: signedIn.user.id })).toBe(0);
  await plain.close();
});

test('a site whose SITE_URL is an IP address offers no passkeys and says what to set', async ({
  page,
}) => {
  // The main test site: SITE_URL http://127.0.0.1:<port> and API_URL set (e2e/support/stack.ts).
  expect(new URL(process.env.E2E_WEB_URL ?? '').hostname).toBe('127.0.0.1');
  await page.goto('/login');
  await expect(page.getByRole('button', { name: /passkey/i })).toHaveCount(0);
  await expect(page.getByTestId('passkey-unavailable')).toHaveCount(0);
  const user = newUser('passkey_ip');
  await createSignedInUser(testAuth(), user);
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/account#passkeys');
  await expect(page.getByTestId('passkeys-off')).toContainText('SITE_URL');
  await expect(page.getByRole('button', { name: 'Add a passkey' })).toHaveCount(0);
  await expect(page.getByTestId('passkeys-need-js')).toHaveCount(0);
});

test('after a reset, the page lists a recently added passkey and removing it works (without JavaScript)', async ({
  browser,
  context,
  page,
}) => {
  await virtualAuthenticator(context, page);
  const user = newUser('planted');
  await createSignedInUser(testAuth(), user);
  await page.goto(`${site}/login`);
  await signIn(page, user, { open: false });
  await expect(page).toHaveURL(`${site}/dashboard`);
  await page.goto(`${site}/account#passkeys`);
  await page.getByLabel('Passkey name').fill('Planted key');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByText('Passkey “Planted key” added.')).toBeVisible();
  await signOut(page);

  // The owner opens a reset link in a browser without JavaScript.
  const link = await testAuth().createPasswordResetLink(user.email);
  const token = link.slice(link.lastIndexOf('/reset/') + '/reset/'.length);
  const plain = await browser.newContext({ javaScriptEnabled: false });
  const owner = await plain.newPage();
  await owner.goto(`${site}/reset/${token}`);
  const planted = owner.getByRole('checkbox', { name: 'Remove “Planted key”' });
  await expect(planted).toBeChecked();
  await expect(owner.getByTestId('reset-passkeys')).toContainText('(recently)');
  const newPassword = `${user.password}-new`;
  await owner.getByLabel('New password', { exact: true }).fill(newPassword);
  await owner.getByLabel('Confirm new password').fill(newPassword);
  await owner.getByRole('button', { name: 'Reset password' }).click();
  await expect(owner).toHaveURL(`${site}/login`);
  await plain.close();

  // Gone: the account has no passkey left, and the authenticator's no longer signs in.
  const account = await testAuth().database.users.findOne({
    username_key: user.username.toLowerCase(),
  });
  expect(await testAuth().database.passkeys.countDocuments({ user_id: account!._id })).toBe(0);
  await page.goto(`${site}/login`);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.waitForTimeout(1000);
  await expect(page).toHaveURL(`${site}/login`);

  // The notice says what the reset removed.
  if (process.env.E2E_SMTP_URL) {
    await expect
      .poll(
        async () =>
          (await mailsTo(user.email)).find((mail) =>
            mail.subject.startsWith('Your password was reset'),
          )?.text ?? '',
      )
      .toContain('Removed with the reset, as asked: “Planted key”');
  }
});
