// Shared helpers for the browser tests: the site's address, a direct line to
// the test database through @authkit/auth (to create admins or age a session),
// and the few UI steps every test repeats.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { authSettingsFromEnv, createAuth, type Auth } from '@authkit/auth';
import {
  createSignedInUser,
  makeSessionStale,
  strongTestPassword,
  testRequest,
  totpCode,
  type SignedInUser,
} from '@authkit/auth/testing';
import { connectDatabase } from '@authkit/db';
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';

export { strongTestPassword };

export const COOKIE_NAME = 'authkit_session';

export function webUrl(): string {
  const url = process.env.E2E_WEB_URL;
  if (!url)
    throw new Error(
      'E2E_WEB_URL is not set: run the tests through playwright.config.ts (its global setup starts the site).',
    );
  return url;
}

let auth: Auth | undefined;

/** The auth package on the same database as the site under test. */
export function testAuth(): Auth {
  if (!auth) {
    const url = process.env.E2E_MONGODB_URL;
    if (!url) throw new Error('E2E_MONGODB_URL is not set');
    // The servers' key (set by the global setup): TOTP secrets are encrypted with it.
    // Like the servers: tests register many users from one address.
    const { secretKey, throttle } = authSettingsFromEnv({
      AUTH_SECRET_KEY: process.env.E2E_AUTH_SECRET_KEY,
      REGISTRATION_PER_HOUR: '100000',
    });
    auth = createAuth({
      database: connectDatabase(url),
      secureCookies: false,
      secretKey,
      throttle,
    });
  }
  return auth;
}

export async function closeTestAuth(): Promise<void> {
  await auth?.database.close();
  auth = undefined;
}

export interface TestUser {
  username: string;
  email: string;
  password: string;
}

export function newUser(prefix = 'user'): TestUser {
  const username = `${prefix}_${randomBytes(4).toString('hex')}`;
  return { username, email: `${username}@example.test`, password: strongTestPassword() };
}

export async function register(page: Page, user: TestUser): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByLabel('Confirm password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  // Argon2id and the strength check on the server: more than the default wait on a busy machine.
  await expect(page).toHaveURL(/\/dashboard$/, { timeout: 30_000 });
}

/** A new user registered through the form; the browser is then signed in as them. */
export async function registerNewUser(page: Page, prefix?: string): Promise<TestUser> {
  const user = newUser(prefix);
  await register(page, user);
  return user;
}

/** Asks for a change of address on /account (the session must be fresh); the flash says where the link went. */
export async function askForEmailChange(page: Page, email: string): Promise<void> {
  await page.goto('/account');
  await page.getByLabel('New email address').fill(email);
  await page.getByRole('button', { name: 'Change email address' }).click();
  await expect(page).toHaveURL(/\/account#email$/);
  await expect(page.getByTestId('flash')).toHaveText(
    `We sent a link to ${email}; your address changes when you open it.`,
  );
}

/** Signs in from the login page the browser is on (or opens it). */
export async function signIn(
  page: Page,
  user: TestUser,
  options: { remember?: boolean; open?: boolean } = {},
): Promise<void> {
  if (options.open !== false) await page.goto('/login');
  await page.getByLabel('Username or email').fill(user.username);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  if (options.remember) await page.getByLabel('Remember me').check();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** A user with TOTP on: its secret and unused recovery codes (tests take them one by one). */
export interface TotpUser extends TestUser {
  secret: string;
  recoveryCodes: string[];
  signedIn: SignedInUser;
}

/**
 * Turns TOTP on for a signed-in user through @authkit/auth (as the account
 * page does): the code of the current 30-second step confirms it, so the next
 * code a test may use is the next step's (`nextTotpCode`).
 */
export async function enrolTotp(
  signedIn: SignedInUser,
): Promise<{ secret: string; recoveryCodes: string[] }> {
  const auth = testAuth();
  const { secret } = await auth.beginTotpEnrolment(signedIn.session, testRequest);
  const recoveryCodes = await auth.confirmTotpEnrolment(
    signedIn.session,
    totpCode(secret, new Date()),
    testRequest,
  );
  return { secret, recoveryCodes };
}

/** The code of the step after the current one: accepted (clock skew) and not yet used. */
export function nextTotpCode(secret: string): string {
  return totpCode(secret, new Date(Date.now() + 30_000));
}

/** An administrator with TOTP (REQUIRE_MFA_FOR_ADMINS is on in the e2e stack). */
export async function createTotpAdmin(prefix = 'admin'): Promise<TotpUser> {
  const user = newUser(prefix);
  const signedIn = await createSignedInUser(testAuth(), { ...user, role: 'admin' });
  return { ...user, ...(await enrolTotp(signedIn)), signedIn };
}

/**
 * Signs in a user with TOTP through both steps; the second with one of the
 * recovery codes (a fresh one each time: a code of the app works once per
 * 30 seconds, and tests sign in more often than that).
 */
export async function signInWithSecondFactor(page: Page, user: TotpUser): Promise<void> {
  await signIn(page, user);
  await signInSecondStep(page, user);
}

/** The second step of sign-in (the browser is on /login/verify), with a recovery code. */
export async function signInSecondStep(page: Page, user: TotpUser): Promise<void> {
  await expect(page).toHaveURL(/\/login\/verify/);
  const code = user.recoveryCodes.shift();
  if (!code) throw new Error(`${user.username} has no recovery codes left`);
  await page.getByRole('link', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await expect(page).toHaveURL(/\/login$/);
}

/** Opening the protected `path` sends this browser to sign in, with `next` pointing back. */
export async function expectSentToSignIn(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page).toHaveURL(`${webUrl()}/login?${new URLSearchParams({ next: path })}`);
}

/** A second browser (its own cookies, a Firefox user agent) signed in as `user`. */
export async function signInOnAnotherDevice(
  browser: Browser,
  user: TestUser,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/140.0',
  });
  const page = await context.newPage();
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);
  return { context, page };
}

/** Fills in and sends the change-password form of the account page the browser is on. */
export async function changePassword(
  page: Page,
  currentPassword: string,
  newPassword: string,
): Promise<void> {
  await page.getByLabel('Current password').fill(currentPassword);
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByLabel('Confirm new password').fill(newPassword);
  await page.getByRole('button', { name: 'Change password' }).click();
}

/** The session id (SHA-256 hex of the token) behind a browser context's cookie. */
export async function sessionIdOf(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((c) => c.name === COOKIE_NAME);
  if (!cookie) throw new Error('no session cookie in this browser');
  return createHash('sha256').update(cookie.value).digest('hex');
}

/**
 * Pushes this browser's session past the fresh window (as if signed in long
 * ago), and waits until the site can have learnt of it: its processes cache
 * sessions and read the invalidation feed within SESSION_CACHE_MS (1 s).
 */
export async function makeBrowserSessionStale(context: BrowserContext): Promise<void> {
  await makeSessionStale(testAuth(), await sessionIdOf(context));
  await new Promise((resolve) => setTimeout(resolve, SESSION_CACHE_BOUND_MS + 500));
}

/** The site's SESSION_CACHE_MS (its default). */
export const SESSION_CACHE_BOUND_MS = 1_000;

/** Collects console errors and uncaught page errors. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

const screenshotDir = join(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** A native form post, as a browser without JavaScript sends it (same-origin). */
export function formPost(data: Record<string, string>) {
  return {
    form: data,
    // A browser's Accept header: SvelteKit answers `application/json` (or */*) posts as enhanced ones.
    headers: { origin: webUrl(), accept: 'text/html,application/xhtml+xml' },
    maxRedirects: 0,
  };
}

/** Goes through the admin list's pages until the user's row shows. */
/** Answers the admin page's question (every destructive or privilege change asks first). */
export async function confirmAdminAction(page: Page, question: string, button: string) {
  const prompt = page.getByTestId('admin-confirm');
  await expect(prompt).toContainText(question);
  await prompt.getByRole('button', { name: button }).click();
}

export async function openUserRow(page: Page, username: string) {
  // The admin page's own search: the row is on the first page however many
  // users the tests have made (the list keeps the search through a change).
  await page.goto(`/admin?${new URLSearchParams({ q: username })}`);
  const row = page.locator(`[data-testid="user-row"][data-username="${username}"]`);
  await expect(row).toHaveCount(1);
  return row;
}
