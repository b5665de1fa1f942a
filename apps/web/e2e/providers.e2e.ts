// Sign-in with identity providers in a real browser, against the real
// oidc-provider process ("Test ID") and the GitHub fake of the e2e stack
// (support/stack.ts): new account, returning user after an email change at the
// provider, no linking by email, connect and disconnect from /account, the
// TOTP step after the provider, access denied, replayed callbacks, `next`
// kept through the flow, and all of it without JavaScript.
import { totpCode } from '@authkit/auth/testing';
import { expect, test, type Page } from '@playwright/test';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeTestAuth,
  expectSentToSignIn,
  registerNewUser,
  signOut,
  testAuth,
} from './support/fixtures.ts';
import { mailsTo } from './support/mail.ts';

test.afterAll(closeTestAuth);

const idpUrl = () => process.env.E2E_IDP_URL!;
const githubUrl = () => process.env.E2E_GITHUB_URL!;

function name(prefix: string): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

/** Sets what the test OpenID provider says about `sub`. */
async function setIdpAccount(sub: string, claims: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${idpUrl()}/__control/accounts`, {
    method: 'POST',
    body: JSON.stringify({ sub, ...claims }),
  });
  expect(response.status).toBe(204);
}

/**
 * At the test OpenID provider: its login form (any name signs in), unless the
 * browser still has a session there (single sign-on), which goes straight back.
 */
async function loginAtIdp(page: Page, login: string, from: string): Promise<void> {
  // Until the click's navigation lands: at the provider (its login form), or
  // back on the site (single sign-on). Still on the page clicked: not yet.
  const idp = new URL(idpUrl()).origin;
  await page.waitForURL((url) => url.origin === idp || url.href !== from);
  if (!page.url().startsWith(`${idpUrl()}/interaction/`)) return;
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any');
  await page.getByRole('button', { name: 'Sign-in' }).click();
}

async function continueWith(page: Page, provider: string, login: string): Promise<void> {
  const from = page.url();
  await page.getByRole('button', { name: `Continue with ${provider}` }).click();
  if (provider === 'GitHub') {
    await expect(page).toHaveURL(new RegExp(`^${githubUrl()}/login/oauth/authorize`));
    await page.getByLabel('Username').fill(login);
    await page.getByRole('button', { name: 'Authorize' }).click();
  } else {
    await loginAtIdp(page, login, from);
  }
}

test('a new account by provider, then the returning user after an email change at the provider', async ({
  page,
}) => {
  const login = name('idp');
  await page.goto('/login');
  await continueWith(page, 'Test ID', login);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByText(`Welcome, ${login}! Your account has been created.`)).toBeVisible();

  await page.goto('/account');
  await expect(page.getByRole('heading', { name: 'Set a password' })).toBeVisible();
  await expect(page.getByTestId('connected-row')).toHaveAttribute('data-provider', 'Test ID');
  await expect(page.getByTestId('profile-email')).toContainText(`${login}@example.test`);

  await setIdpAccount(login, { email: `${login}-moved@example.test` });
  await signOut(page);
  await continueWith(page, 'Test ID', login);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByText(`Welcome back, ${login}!`)).toBeVisible();
});

test('next is kept through the flow', async ({ page }) => {
  await expectSentToSignIn(page, '/account');
  await continueWith(page, 'GitHub', name('gh'));
  await expect(page).toHaveURL(/\/account$/);
});

test('an account with a matching email is not linked nor signed in', async ({ page }) => {
  const owner = await registerNewUser(page, 'owner');
  await signOut(page);
  const login = name('squat');
  await setIdpAccount(login, { email: owner.email, email_verified: true });
  await page.goto('/login');
  await continueWith(page, 'Test ID', login);
  await expect(page.getByRole('heading', { name: 'Cannot sign in that way' })).toBeVisible();
  await expect(page.getByText('An account with this email address already exists')).toBeVisible();
  await expectSentToSignIn(page, '/dashboard');
  const user = await testAuth().database.users.findOne({ username: owner.username });
  expect(await testAuth().database.oauthAccounts.countDocuments({ user_id: user!._id })).toBe(0);
});

test('connect from /account (fresh session) is mailed; disconnect is refused for the last method, then allowed', async ({
  page,
}) => {
  // A password account connects the provider.
  const owner = await registerNewUser(page, 'connect');
  await page.goto('/account#connected');
  const from = page.url();
  await page.getByRole('button', { name: 'Connect Test ID' }).click();
  await loginAtIdp(page, name('conn'), from);
  await expect(page).toHaveURL(/\/account#connected$/);
  await expect(page.getByText('Test ID is now connected to your account.')).toBeVisible();
  await expect(page.getByTestId('connected-row')).toHaveCount(1);
  await expect
    .poll(async () => (await mailsTo(owner.email)).map((mail) => mail.subject))
    .toEqual(
      expect.arrayContaining([expect.stringMatching(/^Test ID was connected to your account/)]),
    );

  // A provider-made account cannot drop its only way in, until it has a password.
  await signOut(page);
  await page.goto('/login');
  await continueWith(page, 'GitHub', name('only'));
  await page.goto('/account#connected');
  await page.getByRole('button', { name: 'Disconnect GitHub' }).click();
  await expect(page.getByTestId('connected-error')).toContainText('only way to sign in');
  await page.getByLabel('New password', { exact: true }).fill('correct horse battery staple 42');
  await page.getByLabel('Confirm new password').fill('correct horse battery staple 42');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByText('Your password has been set')).toBeVisible();
  await page.getByRole('button', { name: 'Disconnect GitHub' }).click();
  await expect(page.getByText('Disconnected.')).toBeVisible();
  await expect(page.getByTestId('connected-row')).toHaveCount(0);
});

test('an account with TOTP gets the second step after the provider', async ({ page }) => {
  const login = name('totp');
  await page.goto('/login');
  await continueWith(page, 'Test ID', login);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/account#two-step');
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
  await page.getByLabel('Code from your app').fill(totpCode(secret, new Date()));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
  const codes = (await page.getByTestId('recovery-codes').locator('code').allTextContents()).map(
    (code) => code.trim(),
  );
  await page.getByRole('button', { name: 'I have saved my recovery codes' }).click();
  await expect(page.getByTestId('two-step-status')).toHaveText('On');
  await page.goto('/dashboard');
  await signOut(page);

  await continueWith(page, 'Test ID', login);
  await expect(page).toHaveURL(/\/login\/verify/);
  await page.getByRole('link', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code').fill(codes[0]!);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
});

test('access denied at the provider, and a replayed callback, end on a clear page without a session', async ({
  page,
}) => {
  await page.goto('/login');
  await page.getByRole('button', { name: 'Continue with GitHub' }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('heading', { name: 'Access denied' })).toBeVisible();
  await expect(page.getByText('The sign-in was cancelled at the provider')).toBeVisible();

  await page.goto('/login');
  const callback = page.waitForRequest((request) =>
    request.url().includes('/login/provider/oidc/callback'),
  );
  await continueWith(page, 'Test ID', name('replay'));
  const callbackUrl = (await callback).url();
  await expect(page).toHaveURL(/\/dashboard$/);
  await signOut(page);
  const replayed = await page.goto(callbackUrl);
  expect(replayed?.status()).toBe(400);
  await expect(page.getByText('This sign-in attempt is invalid or has expired')).toBeVisible();
  await expectSentToSignIn(page, '/dashboard');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('signs up and in with GitHub and with the OpenID provider', async ({ page }) => {
    await page.goto('/register');
    await continueWith(page, 'GitHub', name('nojs'));
    await expect(page).toHaveURL(/\/dashboard$/);
    await signOut(page);
    await continueWith(page, 'Test ID', name('nojs'));
    await expect(page).toHaveURL(/\/dashboard$/);
  });
});

test('open-redirect spellings of next, posted to the start of the flow, end on this site', async ({
  page,
  baseURL,
}) => {
  const site = new URL(baseURL!).origin;
  for (const next of [
    '//evil.example',
    '/\\evil.example',
    'https://evil.example',
    '/%2F%2Fevil.example',
    'javascript:alert(1)',
  ]) {
    await page.context().clearCookies();
    // The form post itself (same origin), with the hostile next: the start's own check is what is tested.
    const started = await page.request.post('/login/provider/github', {
      form: { next },
      headers: { origin: site },
      maxRedirects: 0,
    });
    expect(started.status(), next).toBe(303);
    const authorize = started.headers().location!;
    expect(authorize.startsWith(`${githubUrl()}/login/oauth/authorize`), next).toBe(true);
    // The flow record holds the next it will use (the only one read later), already on this site.
    const state = new URL(authorize).searchParams.get('state')!;
    const stateHash = createHash('sha256').update(state).digest('hex');
    const flow = await testAuth().database.oauthFlows.findOne({ state_hash: stateHash });
    // Either refused (the default) or a plain path of this site ('/%2F%2Fevil.example' is one:
    // a browser does not decode it into an authority).
    expect(flow?.next, next).toMatch(/^\/(?![/\\])/);
    expect(flow?.next === '/dashboard' || next === '/%2F%2Fevil.example', next).toBe(true);

    await page.goto(authorize);
    await page.getByLabel('Username').fill(name('redir'));
    await page.getByRole('button', { name: 'Authorize' }).click();
    await page.waitForURL(
      (url) => !url.href.startsWith(githubUrl()) && !url.pathname.endsWith('/callback'),
    );
    const landed = new URL(page.url());
    expect(landed.origin, next).toBe(site);
    expect(landed.pathname, next).toBe(flow!.next);
    // Signed in by the flow, on this site.
    await page.goto('/dashboard');
    await expect(page).toHaveURL(/\/dashboard$/);
  }
});
