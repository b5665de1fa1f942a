// Accessibility: axe (WCAG 2.2 A and AA rules) on every page, signed out, as a
// member and as an admin, in light and dark, at 1280 and 390 px: no violations.
// Each view is also saved as a screenshot (test-results/screenshots/axe-*).
import AxeBuilder from '@axe-core/playwright';
import {
  createSignedInUser,
  createSoftAuthenticator,
  testRequest,
  totpCode,
} from '@authkit/auth/testing';
import { expect, test, type Page } from '@playwright/test';
import {
  closeTestAuth,
  createTotpAdmin,
  newUser,
  screenshot,
  signIn,
  signInWithSecondFactor,
  signOut,
  testAuth,
  type TestUser,
} from './support/fixtures.ts';
import { waitForLink } from './support/mail.ts';

test.afterAll(closeTestAuth);

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const VIEWS = [
  { scheme: 'light', width: 1280, height: 800 },
  { scheme: 'dark', width: 1280, height: 800 },
  { scheme: 'light', width: 390, height: 844 },
  { scheme: 'dark', width: 390, height: 844 },
] as const;

const SIGNED_OUT = [
  '/',
  '/login',
  '/register',
  '/forgot',
  '/logout',
  '/reset/not-a-token',
  '/no-such-page',
  // A provider callback without its flow: the "invalid or expired sign-in attempt" page.
  '/login/provider/github/callback?state=forged&code=x',
];
const MEMBER = [
  '/',
  '/dashboard',
  '/account',
  '/account/reauth?next=/account',
  '/logout',
  '/admin',
  '/verify-email',
];
const ADMIN = [
  '/admin',
  // A search with a filter, a search that finds nobody, and one too long (the field's error).
  '/admin?q=axe&filter=admins',
  '/admin?q=nobody-is-called-this',
  `/admin?q=${'x'.repeat(101)}`,
];

/** axe's findings on every path in every view, as readable lines (empty: none). */
async function violationsOn(page: Page, who: string, paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const view of VIEWS) {
    await page.setViewportSize({ width: view.width, height: view.height });
    await page.emulateMedia({ colorScheme: view.scheme });
    for (const path of paths) {
      await page.goto(path);
      const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
      for (const violation of result.violations) {
        const targets = violation.nodes.map((node) => node.target.join(' ')).slice(0, 3);
        found.push(
          `${who} ${path} (${view.scheme}, ${view.width}px): ${violation.id}: ${violation.help} [${targets.join(', ')}]`,
        );
      }
      const name = path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '') || 'home';
      await screenshot(page, `axe-${who}-${name}-${view.scheme}-${view.width}`);
    }
  }
  return found;
}

/** axe's findings on the page as it is now (an action's answer), in every view. */
async function violationsHere(page: Page, what: string): Promise<string[]> {
  const found: string[] = [];
  for (const view of VIEWS) {
    await page.setViewportSize({ width: view.width, height: view.height });
    await page.emulateMedia({ colorScheme: view.scheme });
    const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
    for (const violation of result.violations) {
      const targets = violation.nodes.map((node) => node.target.join(' ')).slice(0, 3);
      found.push(
        `${what} (${view.scheme}, ${view.width}px): ${violation.id}: ${violation.help} [${targets.join(', ')}]`,
      );
    }
  }
  return found;
}

async function signedInAs(page: Page, role: 'user' | 'admin'): Promise<TestUser> {
  const user = newUser(role === 'admin' ? 'axeadmin' : 'axe');
  await createSignedInUser(testAuth(), { ...user, role });
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);
  return user;
}

test.describe('axe finds no WCAG 2.2 A/AA violations', () => {
  test.setTimeout(240_000);

  test('signed out', async ({ page }) => {
    expect(await violationsOn(page, 'anonymous', SIGNED_OUT)).toEqual([]);
  });

  test('signed in as a member (the admin page is a 403 inside the layout)', async ({ page }) => {
    await signedInAs(page, 'user');
    expect(await violationsOn(page, 'member', MEMBER)).toEqual([]);
  });

  test('an account made by a provider (no password, a connected account)', async ({ page }) => {
    const user = await signedInAs(page, 'user');
    const doc = await testAuth().database.users.findOne({ username: user.username });
    await testAuth().database.oauthAccounts.insertOne({
      _id: `conn-axe-${doc!._id}`,
      user_id: doc!._id,
      provider: 'github',
      issuer: process.env.E2E_GITHUB_URL!,
      subject: `axe-${doc!._id}`,
      email: doc!.email,
      display_name: user.username,
      created_at: new Date(),
      last_used_at: new Date(),
    });
    await testAuth().database.users.updateOne({ _id: doc!._id }, { $set: { password_hash: '' } });
    await page.goto('/account#connected');
    await expect(page.getByTestId('connected-row')).toHaveCount(1);
    expect(await violationsOn(page, 'provider', ['/account#connected'])).toEqual([]);
  });

  test('the account page’s states: a pending email change, an older page of activity, the jump menu open; the confirm page', async ({
    page,
  }) => {
    const user = await signedInAs(page, 'user');
    const doc = await testAuth().database.users.findOne({ username: user.username });
    // A change of address waiting for its link, and enough events for a second page.
    const newEmail = `new_${user.email}`;
    await page.goto('/account');
    await page.getByLabel('New email address').fill(newEmail);
    await page.getByRole('button', { name: 'Change email address' }).click();
    await expect(page.getByTestId('pending-email')).toBeVisible();
    await testAuth().database.authEvents.insertMany(
      Array.from({ length: 12 }, (_, i) => ({
        type: 'login' as const,
        user_id: doc!._id,
        at: new Date(Date.now() - (i + 1) * 60_000),
        ip: '127.0.0.1',
        user_agent: null,
      })),
    );
    const link = await waitForLink(newEmail, '/verify-email/');
    const found = await violationsOn(page, 'account', [
      '/account#email',
      '/account?activity=2#activity',
      '/dashboard',
      link,
    ]);
    // The jump menu, open (390 px, where it shows).
    for (const scheme of ['light', 'dark'] as const) {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto('/account');
      await page.getByTestId('jump-menu').getByText('Jump to a section').click();
      const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
      found.push(...result.violations.map((v) => `jump menu (${scheme}): ${v.id}: ${v.help}`));
      await screenshot(page, `axe-account-jump-menu-${scheme}-390`);
    }
    expect(found).toEqual([]);
  });

  test('signed in as an admin', async ({ page }) => {
    // With two-step verification (REQUIRE_MFA_FOR_ADMINS is on in the e2e stack): else /admin sends it to /account.
    await signInWithSecondFactor(page, await createTotpAdmin('axeadmin'));
    await page.goto('/admin');
    await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
    expect(await violationsOn(page, 'admin', ADMIN)).toEqual([]);
  });

  test('two-step set-up and passkey states (key, recovery codes, unfinished, on, remove question, recovery-code landing)', async ({
    page,
  }) => {
    const user = await signedInAs(page, 'user');
    const found: string[] = [];
    await page.goto('/account#two-step');
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
    found.push(...(await violationsHere(page, 'totp key step')));
    await page.getByLabel('Code from your app').fill(totpCode(secret, new Date()));
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
    const codes = (await page.getByTestId('recovery-codes').locator('code').allTextContents()).map(
      (code) => code.trim(),
    );
    found.push(...(await violationsHere(page, 'recovery codes step')));
    await page.reload();
    await expect(page.getByTestId('two-step-unfinished')).toBeVisible();
    found.push(...(await violationsHere(page, 'unfinished set-up')));
    await page.getByRole('button', { name: 'Show new recovery codes' }).click();
    await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
    const saved = (await page.getByTestId('recovery-codes').locator('code').allTextContents()).map(
      (code) => code.trim(),
    );
    await page.getByRole('button', { name: 'I have saved my recovery codes' }).click();
    await expect(page.getByTestId('recovery-codes-left')).toBeVisible();
    found.push(...(await violationsHere(page, 'two-step on')));
    expect(saved).not.toEqual(codes);

    // A passkey (made through the auth package) and the question before removing it.
    const doc = await testAuth().database.users.findOne({ username: user.username });
    const session = await createSignedInUser(testAuth(), newUser('axe_pk'));
    const options = await testAuth().passkeyRegistrationOptions(session.session, testRequest);
    const key = createSoftAuthenticator({ origin: testAuth().settings.siteUrl }).register(options);
    const passkey = await testAuth().registerPasskey(session.session, key, 'Axe key', testRequest);
    await testAuth().database.passkeys.updateOne(
      { _id: passkey.id },
      { $set: { user_id: doc!._id } },
    );
    await page.goto('/account#passkeys');
    await page.reload();
    await page.getByRole('button', { name: 'Remove passkey Axe key' }).click();
    await expect(page.getByTestId('passkey-confirm')).toBeVisible();
    found.push(...(await violationsHere(page, 'passkey remove question')));

    // Landing after a recovery-code sign-in: the prompt with its link.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto('/dashboard');
    await signOut(page);
    await signIn(page, user);
    await expect(page).toHaveURL(/\/login\/verify/);
    await page.getByRole('link', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(saved[0]!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByTestId('flash-link')).toBeVisible();
    found.push(...(await violationsHere(page, 'recovery-code landing')));
    expect(found).toEqual([]);
  });
});
