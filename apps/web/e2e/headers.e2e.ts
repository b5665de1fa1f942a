// Framing and content policy: every rendered page carries a Content-Security-Policy
// header (with frame-ancestors 'none'), X-Frame-Options, X-Content-Type-Options
// and Referrer-Policy; and the site works in Chromium under that policy without
// a single violation (no inline script or style slips through).
import { expect, test, type Page } from '@playwright/test';
import { createSignedInUser } from '@authkit/auth/testing';
import {
  closeTestAuth,
  enrolTotp,
  newUser,
  register,
  signIn,
  signInWithSecondFactor,
  testAuth,
  webUrl,
} from './support/fixtures.ts';

test.afterAll(closeTestAuth);

const expectedDirectives = [
  "default-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
];

test('pages, the login page and error pages carry the security headers', async ({ request }) => {
  for (const [path, status] of [
    ['/', 200],
    ['/login', 200],
    ['/register', 200],
    ['/no-such-page', 404],
  ] as const) {
    const response = await request.get(path, { headers: { accept: 'text/html' } });
    expect(response.status(), path).toBe(status);
    const headers = response.headers();
    expect(headers['x-frame-options'], path).toBe('DENY');
    expect(headers['x-content-type-options'], path).toBe('nosniff');
    expect(headers['referrer-policy'], path).toBe('strict-origin-when-cross-origin');
    const csp = headers['content-security-policy'] ?? '';
    for (const directive of expectedDirectives) expect(csp, path).toContain(directive);
    // Scripts: this origin and the nonce of SvelteKit's own inline script, nothing inline else.
    expect(csp, path).toMatch(/script-src 'self' 'nonce-[^']+'(;|$)/);
    expect(csp, path).not.toContain('unsafe-inline');
    expect(csp, path).not.toContain('unsafe-eval');
  }
});

/** Collects CSP violations the page reports (the DOM event and the console message). */
async function watchViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { reportViolation: (text: string) => void })
        .reportViolation;
      report(
        `${event.violatedDirective} ${event.blockedURI} ${event.sample} at ${event.sourceFile}:${event.lineNumber}:${event.columnNumber} on ${location.href}`,
      );
    });
  });
  return violations;
}

test('the site works under its policy in Chromium, without a violation', async ({ page }) => {
  const violations = await watchViolations(page);
  for (const path of ['/', '/login', '/register']) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  }
  // Registering (a form post with JavaScript) lands on the dashboard.
  const user = newUser('csp');
  await register(page, user);
  // Client-side navigation (SvelteKit's router and its route announcer).
  await page.getByRole('link', { name: 'Account' }).first().click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  await page.goto('/account');
  await page.goto('/dashboard');
  await page.goBack();
  await expect(page).toHaveURL(/\/account$/);
  // Signing out and in again through the forms.
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);

  // The admin page, too.
  const admin = await createSignedInUser(testAuth(), {
    username: newUser('csp_admin').username,
    role: 'admin',
  });
  const { recoveryCodes } = await enrolTotp(admin);
  await page.context().clearCookies();
  await signInWithSecondFactor(page, {
    username: admin.user.username,
    email: '',
    password: admin.password,
    secret: '',
    recoveryCodes,
    signedIn: admin,
  });
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto('/admin');
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();

  expect(violations).toEqual([]);
});

test('another site cannot frame the site', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (message) => violations.push(message.text()));
  // A page of another origin (about:blank here) that frames the login page.
  await page.setContent(`<iframe src="${webUrl()}/login" width="600" height="400"></iframe>`);
  await expect
    .poll(() => violations.some((text) => /frame-ancestors|X-Frame-Options/i.test(text)))
    .toBe(true);
  const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
  // The frame never shows the form.
  expect(
    await frame
      ?.locator('form')
      .count()
      .catch(() => 0),
  ).toBe(0);
});
