// The account page as a whole: a pending email change with Resend and Cancel
// (mail read from Mailpit), the confirm page naming the address, session rows
// that tell two sessions of one browser apart, the section navigation (a
// sidebar at 1280 px, a jump menu at 390 px), recent activity a page at a
// time, and the dashboard's suggestion to turn on two-step verification.
// The flows that post forms or follow links run with and without JavaScript.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSignedInUser } from '@authkit/auth/testing';
import { freePort } from '@authkit/db/embedded';
import { expect as baseExpect, test, type Browser, type Page } from '@playwright/test';
import {
  askForEmailChange,
  changePassword,
  closeTestAuth,
  enrolTotp,
  newUser,
  registerNewUser,
  sessionIdOf,
  signIn,
  strongTestPassword,
  testAuth,
  type TestUser,
} from './support/fixtures.ts';
import { mailIds, mailsTo, waitForLink } from './support/mail.ts';
import { startWebServer } from './support/stack.ts';

test.afterAll(closeTestAuth);

// Password hashing is slow on a busy test machine: more patience than the default.
const expect = baseExpect.configure({ timeout: 15_000 });

/** A second browser with the same (Firefox) user agent each time, signed in as `user`. */
async function anotherFirefox(browser: Browser, user: TestUser) {
  const context = await browser.newContext({
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/140.0',
  });
  const page = await context.newPage();
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/, { timeout: 30_000 });
  return { context, page };
}

async function userIdOf(user: TestUser): Promise<string> {
  const doc = await testAuth().database.users.findOne({ email_key: user.email.toLowerCase() });
  if (!doc) throw new Error(`no user ${user.username}`);
  return doc._id;
}

/**
 * Pending change → listed → Resend (a second mail, the first link dead) →
 * the confirm page names the address → Cancel (the second link refused too).
 */
async function pendingChangeFlow(page: Page): Promise<void> {
  const user = await registerNewUser(page, 'pending');
  const newEmail = `new_${user.email}`;
  await page.goto('/account');
  await expect(page.getByTestId('pending-email')).toHaveCount(0);

  await askForEmailChange(page, newEmail);
  const pending = page.getByTestId('pending-email');
  await expect(pending).toBeVisible();
  await expect(page.getByTestId('pending-email-address')).toHaveText(newEmail);
  await expect(pending).toContainText('Asked for just now');
  // The address itself has not changed.
  await expect(page.getByTestId('profile-email')).toContainText(user.email);
  const first = await waitForLink(newEmail, '/verify-email/');

  const before = await mailIds(newEmail);
  await pending.getByRole('button', { name: 'Resend link' }).click();
  await expect(page).toHaveURL(/\/account#email$/);
  await expect(page.getByTestId('flash')).toHaveText(
    `We sent a new link to ${newEmail}; the earlier one no longer works.`,
  );
  const second = await waitForLink(newEmail, '/verify-email/', { after: before });
  expect(second).not.toBe(first);
  const confirmations = (await mailsTo(newEmail)).filter((mail) =>
    mail.subject.startsWith('Confirm your new'),
  );
  expect(confirmations).toHaveLength(2);

  // The first link no longer works: said at once, no button.
  await page.goto(first);
  await expect(page.getByTestId('invalid-link')).toContainText('invalid or has expired');
  await expect(page.getByRole('button', { name: 'Confirm my email address' })).toHaveCount(0);

  // The second one names the address it confirms.
  await page.goto(second);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(
    'Confirm your new email address',
  );
  await expect(page.getByTestId('confirm-address')).toContainText(newEmail);

  // Cancelled on /account: the link is refused, even by a page opened before.
  await page.goto('/account');
  await page.getByTestId('pending-email').getByRole('button', { name: 'Cancel change' }).click();
  await expect(page).toHaveURL(/\/account#email$/);
  await expect(page.getByTestId('flash')).toHaveText(
    'The change of email address is cancelled: its link no longer works.',
  );
  await expect(page.getByTestId('pending-email')).toHaveCount(0);
  await page.goto(second);
  await expect(page.getByTestId('invalid-link')).toContainText('invalid or has expired');
  expect(
    await testAuth().database.users.countDocuments({ email_key: newEmail.toLowerCase() }),
  ).toBe(0);
  await page.goto('/account');
  await expect(page.getByTestId('profile-email')).toContainText(user.email);
  await expect(page.getByTestId('activity-row').first()).toHaveText(
    /Cancelled the change of email address/,
  );
}

test('a pending email change is listed, mailed again and cancelled', async ({ page }) => {
  await pendingChangeFlow(page);
});

test('the confirm page names the address a verification link confirms', async ({ page }) => {
  const user = await registerNewUser(page, 'naming');
  const link = await waitForLink(user.email, '/verify-email/');
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm your email address');
  await expect(page.getByTestId('confirm-address')).toHaveText(
    `Press the button to confirm that ${user.email} is your email address.`,
  );
});

test('a change of address made stale by a password change is no longer listed, its link refused', async ({
  page,
}) => {
  const user = await registerNewUser(page, 'stamped');
  const newEmail = `new_${user.email}`;
  await askForEmailChange(page, newEmail);
  const link = await waitForLink(newEmail, '/verify-email/');
  await changePassword(page, user.password, strongTestPassword());
  await expect(page.getByTestId('flash')).toContainText('Your password has been changed.');
  await expect(page.getByTestId('pending-email')).toHaveCount(0);
  await page.goto(link);
  await expect(page.getByTestId('invalid-link')).toBeVisible();
});

test('Resend and Cancel need the signed-in owner: another session’s posts touch only its own account', async ({
  page,
  browser,
}) => {
  const owner = await registerNewUser(page, 'owner');
  const newEmail = `new_${owner.email}`;
  await askForEmailChange(page, newEmail);
  const link = await waitForLink(newEmail, '/verify-email/');

  // Another account's browser posts both forms: its own account has nothing pending.
  const stranger = await browser.newContext();
  const strangerPage = await stranger.newPage();
  await registerNewUser(strangerPage, 'stranger');
  const cancel = await strangerPage.request.post('/account?/cancelEmail', {
    form: { userId: await userIdOf(owner) },
    headers: { origin: new URL(page.url()).origin, accept: 'text/html' },
    maxRedirects: 0,
  });
  expect(cancel.status()).toBe(303);
  // The form names no address; one slipped in is ignored (there is nothing pending to send).
  const resend = await strangerPage.request.post('/account?/resendEmail', {
    form: { email: 'attacker@example.test' },
    headers: { origin: new URL(page.url()).origin, accept: 'text/html' },
    maxRedirects: 0,
  });
  expect(resend.status()).toBe(404);
  await stranger.close();
  expect(await mailsTo('attacker@example.test')).toEqual([]);

  // Signed out: sent to sign in, nothing done.
  const anonymous = await browser.newContext();
  const answer = await anonymous.request.post(
    `${new URL(page.url()).origin}/account?/cancelEmail`,
    {
      form: {},
      headers: { origin: new URL(page.url()).origin, accept: 'text/html' },
      maxRedirects: 0,
    },
  );
  expect([303, 401, 403]).toContain(answer.status());
  await anonymous.close();

  // The owner's change and its link are as they were.
  await page.goto('/account');
  await expect(page.getByTestId('pending-email-address')).toHaveText(newEmail);
  await page.goto(link);
  await expect(page.getByTestId('confirm-address')).toContainText(newEmail);
});

test('a change to an address that has an account is listed like any other', async ({ page }) => {
  const owner = newUser('taken');
  await testAuth().registerUser(owner, { ip: '127.0.0.1', userAgent: null });
  await registerNewUser(page, 'mover');
  await askForEmailChange(page, owner.email);
  await expect(page.getByTestId('pending-email-address')).toHaveText(owner.email);
  await page.getByTestId('pending-email').getByRole('button', { name: 'Resend link' }).click();
  await expect(page.getByTestId('flash')).toHaveText(
    `We sent a new link to ${owner.email}; the earlier one no longer works.`,
  );
  const links = (await mailsTo(owner.email)).filter((mail) =>
    mail.subject.startsWith('Confirm your new'),
  );
  expect(links).toEqual([]);
});

test('session rows tell two sessions of one browser apart: last active, sign-in time, address', async ({
  page,
  browser,
}) => {
  const user = await registerNewUser(page, 'twins');
  const first = await anotherFirefox(browser, user);
  const second = await anotherFirefox(browser, user);
  // The same browser, signed in from another network two hours earlier.
  const earlier = new Date(Date.now() - 2 * 60 * 60_000);
  await testAuth().database.sessions.updateOne(
    { _id: await sessionIdOf(second.context) },
    { $set: { ip: '203.0.113.77', created_at: earlier, last_seen_at: earlier } },
  );

  await page.goto('/account#sessions');
  const twins = page.getByTestId('session-row').filter({ hasText: 'Firefox 140 on Windows' });
  await expect(twins).toHaveCount(2);
  const texts: string[] = [];
  for (const row of await twins.all()) {
    for (const field of ['session-last-active', 'session-signed-in', 'session-address']) {
      await expect(row.getByTestId(field)).not.toBeEmpty();
    }
    await expect(row.getByTestId('session-signed-in').locator('time')).toHaveAttribute(
      'datetime',
      /^\d{4}-\d\d-\d\dT/,
    );
    // No location without a lookup (IP_LOCATION_MODULE is not set here).
    await expect(row.getByTestId('session-location')).toHaveCount(0);
    texts.push((await row.innerText()).replace(/\s+/g, ' '));
  }
  // The more recently active first.
  await expect(twins.nth(0).getByTestId('session-address')).toHaveText('127.0.0.1');
  await expect(twins.nth(0).getByTestId('session-last-active')).toHaveText(/just now|min ago/);
  await expect(twins.nth(1).getByTestId('session-address')).toHaveText('203.0.113.77');
  await expect(twins.nth(1).getByTestId('session-last-active')).toHaveText('2 hr ago');
  expect(texts[0]).not.toBe(texts[1]);

  // Side by side at 1280 px: the three fields on one line.
  await page.setViewportSize({ width: 1280, height: 900 });
  const tops = await Promise.all(
    ['session-last-active', 'session-signed-in', 'session-address'].map(
      async (field) => (await twins.nth(1).getByTestId(field).boundingBox())!.y,
    ),
  );
  expect(Math.max(...tops) - Math.min(...tops)).toBeLessThan(2);
  await first.context.close();
  await second.context.close();
});

const SECTIONS = [
  ['Profile', 'profile'],
  ['Email address', 'email'],
  ['Password', 'password'],
  ['Two-step verification', 'two-step'],
  ['Passkeys', 'passkeys'],
  ['Connected accounts', 'connected'],
  ['Active sessions', 'sessions'],
  ['Recent activity', 'activity'],
] as const;

test('at 1280 px the sections are in a sidebar that stays in view; its links jump', async ({
  page,
}) => {
  await registerNewUser(page, 'sidebar');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/account');
  const sidebar = page.getByRole('navigation', { name: 'Account sections' });
  await expect(sidebar).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Jump to a section' })).toBeHidden();
  await expect(sidebar.getByRole('link')).toHaveText(SECTIONS.map(([label]) => label));
  for (const [label, id] of [SECTIONS[6], SECTIONS[3], SECTIONS[7]]) {
    await sidebar.getByRole('link', { name: label }).click();
    await expect(page).toHaveURL(new RegExp(`/account#${id}$`));
    await expect(page.locator(`#${id}`)).toBeInViewport();
    // Still in view, beside the section it jumped to.
    await expect(sidebar).toBeInViewport();
  }
});

for (const javaScriptEnabled of [true, false]) {
  test.describe(javaScriptEnabled ? 'with JavaScript' : 'without JavaScript', () => {
    test.use({ javaScriptEnabled });

    test('at 390 px a jump menu lists the sections and its links jump', async ({ page }) => {
      await page.setViewportSize({ width: 390, height: 844 });
      await registerNewUser(page, 'jump');
      await page.goto('/account');
      await expect(page.getByRole('navigation', { name: 'Account sections' })).toBeHidden();
      const menu = page.getByTestId('jump-menu');
      await menu.getByText('Jump to a section').click();
      const links = page.getByTestId('jump-links').getByRole('link');
      await expect(links).toHaveText(SECTIONS.map(([label]) => label));
      await links.filter({ hasText: 'Active sessions' }).click();
      await expect(page).toHaveURL(/\/account#sessions$/);
      await expect(page.locator('#sessions')).toBeInViewport();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        390,
      );
    });

    test('recent activity goes back ten events a page, Older and Newer', async ({ page }) => {
      const user = await registerNewUser(page, 'paged');
      const userId = await userIdOf(user);
      // 22 older sign-ins, a minute apart, before the sign-up's own events.
      const start = Date.now() - 24 * 60 * 60_000;
      await testAuth().database.authEvents.insertMany(
        Array.from({ length: 22 }, (_, i) => ({
          type: 'login' as const,
          user_id: userId,
          at: new Date(start + i * 60_000),
          ip: `198.51.100.${i + 1}`,
          user_agent: null,
        })),
      );
      const total = await testAuth().database.authEvents.countDocuments({ user_id: userId });
      const pages = Math.ceil(total / 10);

      await page.goto('/account#activity');
      const rows = page.getByTestId('activity-row');
      await expect(rows).toHaveCount(10);
      await expect(page.getByTestId('activity-newer')).toHaveCount(0);
      await page.getByTestId('activity-older').click();
      await expect(page).toHaveURL(/\/account\?activity=2#activity$/);
      await expect(page.getByTestId('activity-page')).toHaveText('Page 2');
      await expect(rows).toHaveCount(10);
      for (let n = 3; n <= pages; n++) await page.getByTestId('activity-older').click();
      await expect(page).toHaveURL(new RegExp(`activity=${pages}#activity$`));
      await expect(rows).toHaveCount(total - (pages - 1) * 10);
      await expect(page.getByTestId('activity-older')).toHaveCount(0);
      // The oldest is the first inserted.
      await expect(rows.last()).toContainText('198.51.100.1');
      for (let n = pages - 1; n >= 1; n--) await page.getByTestId('activity-newer').click();
      await expect(page).toHaveURL(/\/account\?#activity$/);
      await expect(rows).toHaveCount(10);
      await expect(page.getByTestId('activity-newer')).toHaveCount(0);
    });

    // With JavaScript the flow runs above; here it runs on plain forms.
    if (!javaScriptEnabled) {
      test('Resend and Cancel work as plain forms', async ({ page }) => {
        await pendingChangeFlow(page);
      });
    }
  });
}

test('a page of activity that is not a number we have is a 400', async ({ page }) => {
  await registerNewUser(page, 'badpage');
  for (const value of ['0', 'x', '-1', '51', '1e3']) {
    const response = await page.goto(`/account?activity=${value}`);
    expect(response?.status(), value).toBe(400);
  }
  // Past the end, but a page we have: the newest is a link away.
  await page.goto('/account?activity=9');
  await expect(page.locator('#activity')).toContainText('No older activity.');
  await expect(page.getByTestId('activity-newer')).toBeVisible();
});

test('the dashboard suggests two-step verification until it is on', async ({ page }) => {
  const user = newUser('nudge');
  const signedIn = await createSignedInUser(testAuth(), user);
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);
  const nudge = page.getByTestId('two-step-nudge');
  await expect(nudge).toBeVisible();
  await nudge.getByRole('link', { name: 'Set up two-step verification' }).click();
  await expect(page).toHaveURL(/\/account#two-step$/);
  await expect(page.locator('#two-step')).toBeInViewport();

  await enrolTotp(signedIn);
  // The site may hold this session's copy of the account for the cache's bound (about a second).
  await expect
    .poll(async () => {
      await page.goto('/dashboard');
      await expect(page.getByTestId('greeting')).toBeVisible();
      return page.getByTestId('two-step-nudge').count();
    })
    .toBe(0);
});

test.describe('IP_LOCATION_MODULE', () => {
  let site: Awaited<ReturnType<typeof startWebServer>>;

  test.beforeAll(async () => {
    // The operator's lookup: a module with a default export, here without any network.
    const dir = mkdtempSync(join(tmpdir(), 'authkit-locate-'));
    const module = join(dir, 'locate.mjs');
    writeFileSync(
      module,
      "export default (ip) => (ip === '203.0.113.77' ? 'Lisbon, Portugal' : null);\n",
    );
    site = await startWebServer({
      port: await freePort(),
      mongodbUrl: process.env.E2E_MONGODB_URL ?? '',
      env: { IP_LOCATION_MODULE: module },
    });
  });

  test.afterAll(async () => {
    await site?.stop();
  });

  test('a site given a lookup shows each session’s approximate location', async ({
    page,
    browser,
  }) => {
    const user = newUser('located');
    await createSignedInUser(testAuth(), user);
    const other = await anotherFirefox(browser, user);
    await testAuth().database.sessions.updateOne(
      { _id: await sessionIdOf(other.context) },
      { $set: { ip: '203.0.113.77' } },
    );
    await page.goto(`${site.url}/login`);
    await signIn(page, user, { open: false });
    await expect(page).toHaveURL(`${site.url}/dashboard`, { timeout: 30_000 });
    await page.goto(`${site.url}/account#sessions`);
    const rows = page.getByTestId('session-row');
    await expect(rows).toHaveCount(3);
    const located = rows.filter({ has: page.getByTestId('session-location') });
    await expect(located).toHaveCount(1);
    await expect(located.getByTestId('session-address')).toHaveText('203.0.113.77');
    await expect(located.getByTestId('session-location')).toHaveText('Lisbon, Portugal');
    await other.context.close();
  });
});
