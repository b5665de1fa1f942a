// Email addresses, end to end with the mail really sent (Mailpit): the
// verification notice after sign-up, the mailed link (a button, never a GET
// alone), a new link on request, the change of address behind a fresh
// password, and REQUIRE_VERIFIED_EMAIL on a site started with it. The flows
// run with and without JavaScript.
import { makeSessionStale } from '@authkit/auth/testing';
import { freePort } from '@authkit/db/embedded';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import {
  askForEmailChange,
  closeTestAuth,
  newUser,
  registerNewUser,
  sessionIdOf,
  testAuth,
  webUrl,
} from './support/fixtures.ts';
import { mailIds, mailsTo, waitForLink } from './support/mail.ts';
import { startWebServer } from './support/stack.ts';

test.afterAll(closeTestAuth);

async function emailVerified(email: string): Promise<boolean | undefined> {
  const user = await testAuth().database.users.findOne({ email_key: email.toLowerCase() });
  return user?.email_verified;
}

/** Sign-up → notice → a new link on request → the link (GET, then the button) → notice gone. */
async function verifyFlow(page: Page): Promise<void> {
  const user = await registerNewUser(page, 'verify');
  const notice = page.getByTestId('verify-notice');
  await expect(notice).toContainText(`we sent a link to ${user.email}`);
  const first = await waitForLink(user.email, '/verify-email/');

  const before = await mailIds(user.email);
  await notice.getByRole('button', { name: 'Resend the link' }).click();
  await expect(page.getByTestId('flash')).toHaveText(`We sent a new link to ${user.email}.`);
  await expect(page).toHaveURL(/\/dashboard$/);
  const link = await waitForLink(user.email, '/verify-email/', { after: before });
  expect(link).not.toBe(first);

  // Opening the link (as a mail scanner would) changes nothing by itself.
  const response = await page.goto(link);
  expect(response?.headers()['referrer-policy']).toBe('strict-origin');
  expect(await emailVerified(user.email)).toBe(false);

  await page.getByRole('button', { name: 'Confirm my email address' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('flash')).toHaveText('Thank you, your email address is confirmed.');
  await expect(page.getByTestId('verify-notice')).toHaveCount(0);
  expect(await emailVerified(user.email)).toBe(true);
  await page.goto('/account');
  await expect(page.getByTestId('verify-notice')).toHaveCount(0);
  await expect(page.getByTestId('profile-email')).toContainText('confirmed');

  // Used once: the page says so at once, with no button.
  await page.goto(link);
  await expect(page.getByTestId('invalid-link')).toContainText('invalid or has expired');
  await expect(page.getByRole('button', { name: 'Confirm my email address' })).toHaveCount(0);
}

/**
 * A new address from a stale session: after the password, the address comes
 * back in its form, shown for the visitor to confirm with one press (nothing
 * waiting in a cookie is sent unseen); a refused one gets its message there;
 * the change takes effect when its link is used.
 */
async function changeEmailFlow(page: Page, context: BrowserContext): Promise<void> {
  const user = await registerNewUser(page, 'change');
  const newEmail = `new_${user.email}`;

  // The account's own address: back in the form after the password, refused on the press.
  await makeSessionStale(testAuth(), await sessionIdOf(context));
  await page.goto('/account');
  await page.getByLabel('New email address').fill(user.email);
  await page.getByRole('button', { name: 'Change email address' }).click();
  await expect(page).toHaveURL(/\/account\/reauth\?next=%2Faccount%23email$/);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  await expect(page).toHaveURL(/\/account#email$/);
  await expect(page.getByLabel('New email address')).toHaveValue(user.email);
  await expect(page.getByTestId('email-pending')).toContainText('Check the address below');
  await page.getByRole('button', { name: 'Change email address' }).click();
  await expect(page.locator('#field-email-error')).toContainText('already your email address');
  // Once only: a reload shows an empty form.
  await page.goto('/account');
  await expect(page.getByLabel('New email address')).toHaveValue('');
  await expect(page.getByTestId('email-pending')).toHaveCount(0);

  // A new address: shown after the password, sent only on the press.
  await makeSessionStale(testAuth(), await sessionIdOf(context));
  await page.goto('/account');
  await page.getByLabel('New email address').fill(newEmail);
  await page.getByRole('button', { name: 'Change email address' }).click();
  await expect(page).toHaveURL(/\/account\/reauth\?next=%2Faccount%23email$/);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  await expect(page).toHaveURL(/\/account#email$/);
  await expect(page.getByLabel('New email address')).toHaveValue(newEmail);
  await expect(page.getByTestId('email-pending')).toBeVisible();
  expect(await mailsTo(newEmail)).toEqual([]);
  await page.getByRole('button', { name: 'Change email address' }).click();
  await expect(page.getByTestId('flash')).toHaveText(
    `We sent a link to ${newEmail}; your address changes when you open it.`,
  );
  await expect(page.getByTestId('profile-email')).toContainText(user.email);

  const link = await waitForLink(newEmail, '/verify-email/');
  await page.goto(link);
  await page.getByRole('button', { name: 'Confirm my email address' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('flash')).toHaveText(`Your email address is now ${newEmail}.`);
  await page.goto('/account');
  await expect(page.getByTestId('profile-email')).toContainText(newEmail);
  await expect(page.getByTestId('profile-email')).toContainText('confirmed');
}

test('an address that has an account gets the answer a free one gets; its owner a notice', async ({
  page,
}) => {
  const owner = newUser('owner');
  await testAuth().registerUser(
    owner,
    { ip: '127.0.0.1', userAgent: null },
    { emailVerified: true },
  );
  const user = await registerNewUser(page, 'mover');

  const ask = async (email: string) => {
    await askForEmailChange(page, email);
    await expect(page.locator('#field-email-error')).toHaveCount(0);
  };
  await ask(`free_${user.email}`);
  await ask(owner.email.toUpperCase());
  await expect(page.getByTestId('profile-email')).toContainText(user.email);

  // The owner hears of it; no link goes to the owner's address.
  await expect
    .poll(async () => (await mailsTo(owner.email)).map((mail) => mail.subject))
    .toContainEqual(expect.stringMatching(/^Somebody tried to use your email address/));
  const subjects = (await mailsTo(owner.email)).map((mail) => mail.subject);
  expect(subjects.filter((subject) => subject.startsWith('Confirm your new'))).toEqual([]);
});

test('sign-up shows the verification notice; the mailed link confirms the address', async ({
  page,
}) => {
  await verifyFlow(page);
});

test('the email address changes after re-authentication, when the new address’s link is used', async ({
  page,
  context,
}) => {
  await changeEmailFlow(page, context);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('verification works with native form posts', async ({ page }) => {
    await verifyFlow(page);
  });

  test('the email change works with native form posts', async ({ page, context }) => {
    await changeEmailFlow(page, context);
  });
});

// Review finding 11: a pending-form cookie planted by a sibling subdomain or a
// plain-http page (the old, unsigned format, or a real one of another session)
// is ignored and cleared: the next password confirmation changes nothing.
test('a planted pending-form cookie sends nothing and fills nothing in', async ({
  page,
  context,
  browser,
}) => {
  const victim = await registerNewUser(page, 'planted');
  const user = await testAuth().database.users.findOne({ email_key: victim.email.toLowerCase() });
  const attacker = `attacker_${victim.email}`;

  // A real cookie of the attacker's own session (signed by the site), to plant beside the forged one.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await registerNewUser(otherPage, 'intruder');
  await makeSessionStale(testAuth(), await sessionIdOf(other));
  await otherPage.goto('/account');
  await otherPage.getByLabel('New email address').fill(attacker);
  await otherPage.getByRole('button', { name: 'Change email address' }).click();
  await expect(otherPage).toHaveURL(/\/account\/reauth/);
  const signed = (await other.cookies()).find((cookie) => cookie.name === 'authkit_pending_form');
  expect(signed?.value).toBeTruthy();
  await other.close();

  const forged = JSON.stringify({
    userId: user?._id,
    action: 'email',
    values: { email: attacker },
  });
  for (const value of [encodeURIComponent(forged), signed?.value ?? '']) {
    await context.addCookies([
      { name: 'authkit_pending_form', value, url: webUrl(), httpOnly: true, sameSite: 'Lax' },
    ]);
    await makeSessionStale(testAuth(), await sessionIdOf(context));
    await page.goto('/account/reauth?next=/account%23email');
    await page.getByLabel('Password', { exact: true }).fill(victim.password);
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await expect(page).not.toHaveURL(/\/account\/reauth/);
    await page.goto('/account');
    await expect(page.getByLabel('New email address')).toHaveValue('');
    await expect(page.getByTestId('email-pending')).toHaveCount(0);
    const left = (await context.cookies()).find((c) => c.name === 'authkit_pending_form');
    expect(left).toBeUndefined();
  }
  expect(await mailsTo(attacker)).toEqual([]);
  const changes = await testAuth().database.singleUseTokens.countDocuments({
    user_id: user?._id,
    kind: 'email_change',
  });
  expect(changes).toBe(0);
});

test('a verification link used while signed out leads to the sign-in page', async ({
  page,
  browser,
}) => {
  const user = await registerNewUser(page, 'signedout');
  const link = await waitForLink(user.email, '/verify-email/');
  const stranger = await browser.newPage();
  await stranger.goto(link);
  await stranger.getByRole('button', { name: 'Confirm my email address' }).click();
  await expect(stranger).toHaveURL(/\/login$/);
  await expect(stranger.getByTestId('flash')).toHaveText(
    'Thank you, your email address is confirmed.',
  );
  await stranger.close();
  await page.goto('/dashboard');
  await expect(page.getByTestId('verify-notice')).toHaveCount(0);
});

test.describe('REQUIRE_VERIFIED_EMAIL=true', () => {
  let site: Awaited<ReturnType<typeof startWebServer>>;

  test.beforeAll(async () => {
    site = await startWebServer({
      port: await freePort(),
      mongodbUrl: process.env.E2E_MONGODB_URL ?? '',
      // Links in its mails point to it (SITE_URL, set by startWebServer).
      env: { REQUIRE_VERIFIED_EMAIL: 'true', SMTP_URL: process.env.E2E_SMTP_URL ?? '' },
    });
  });

  test.afterAll(async () => {
    await site?.stop();
  });

  async function register(page: Page, user: { username: string; email: string; password: string }) {
    await page.goto(`${site.url}/register`);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByLabel('Confirm password').fill(user.password);
    await page.getByRole('button', { name: 'Create account' }).click();
  }

  test('a sign-up signs nobody in, and a taken address gets the same answer (its owner a notice)', async ({
    page,
  }) => {
    const user = newUser('required');
    await register(page, user);
    await expect(page).toHaveURL(`${site.url}/login`);
    const answer = `Check your inbox: we sent a link to ${user.email} to confirm the address. Then sign in.`;
    await expect(page.getByTestId('flash')).toHaveText(answer);
    await waitForLink(user.email, '/verify-email/', { site: site.url });

    // Somebody else tries the same address: the same page and words; the owner is told.
    const before = await mailIds(user.email);
    await register(page, { ...newUser('intruder'), email: user.email });
    await expect(page).toHaveURL(`${site.url}/login`);
    await expect(page.getByTestId('flash')).toHaveText(answer);
    await expect
      .poll(async () =>
        (await mailsTo(user.email))
          .filter((mail) => !before.has(mail.id))
          .map((mail) => mail.subject),
      )
      .toEqual([expect.stringMatching(/^Somebody tried to sign up/)]);
  });

  test('an unverified user is sent to /verify-email except from /account', async ({ page }) => {
    const user = newUser('required');
    await register(page, user);
    await expect(page).toHaveURL(`${site.url}/login`);
    await page.getByLabel('Username or email').fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page).toHaveURL(`${site.url}/verify-email`);
    await expect(page.getByTestId('verify-address')).toHaveText(user.email);

    await page.goto(`${site.url}/dashboard`);
    await expect(page).toHaveURL(`${site.url}/verify-email`);
    await page.goto(`${site.url}/account`);
    await expect(page).toHaveURL(`${site.url}/account`);
    await expect(page.getByTestId('verify-notice')).toBeVisible();

    const before = await mailIds(user.email);
    await page.goto(`${site.url}/verify-email`);
    await page.getByRole('button', { name: 'Send a new link' }).click();
    await expect(page.getByTestId('flash')).toHaveText(`We sent a new link to ${user.email}.`);
    const link = await waitForLink(user.email, '/verify-email/', { after: before, site: site.url });
    await page.goto(link);
    await page.getByRole('button', { name: 'Confirm my email address' }).click();
    await expect(page).toHaveURL(`${site.url}/dashboard`);
    await page.goto(`${site.url}/dashboard`);
    await expect(page.getByTestId('greeting')).toContainText(user.username);
  });

  test('the main site (not required) lets an unverified user in', async ({ page }) => {
    await registerNewUser(page, 'optional');
    await expect(page).toHaveURL(`${webUrl()}/dashboard`);
    await expect(page.getByTestId('verify-notice')).toBeVisible();
  });
});
