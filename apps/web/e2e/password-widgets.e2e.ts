// The password widgets on /register: the show/hide toggle (only once the
// page's JavaScript runs), and the strength hint, which loads the server's
// own estimator lazily (its chunk is not part of the page's first load) and
// runs under the site's strict CSP. Screenshots of each look are saved as
// test-results/screenshots/password-widgets-*.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { screenshot, watchConsole } from './support/fixtures.ts';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const PASSPHRASE = 'correct horse battery staple';

async function expectNoAxeViolations(page: Page): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  expect(result.violations.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);
}

function passwordInput(page: Page) {
  return page.getByLabel('Password', { exact: true });
}

test('the toggle shows and hides the password without submitting the form', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/register');
  const input = passwordInput(page);
  const toggle = page.getByTestId('password-toggle').first();
  await expect(toggle).toBeVisible(); // rendered once hydrated
  await expect(toggle).toHaveAccessibleName('Show password');
  await expect(toggle).toHaveAttribute('type', 'button');
  await expect(toggle).toHaveAttribute('aria-controls', 'field-password');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');

  await input.fill('hunter2 hunter2');
  await expect(input).toHaveAttribute('type', 'password');
  await expect(input).toHaveAttribute('autocomplete', 'new-password');

  // Keyboard: Tab from the input reaches the toggle; Space presses it.
  await input.focus();
  await page.keyboard.press('Tab');
  await expect(toggle).toBeFocused();
  await page.keyboard.press('Space');
  await expect(input).toHaveAttribute('type', 'text');
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(toggle).toBeFocused();
  await expect(input).toHaveValue('hunter2 hunter2');
  await expect(input).toHaveAttribute('autocomplete', 'new-password');
  await expect(page).toHaveURL(/\/register$/); // nothing was submitted

  await toggle.click();
  await expect(input).toHaveAttribute('type', 'password');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');

  // Visible again, then submitted: the input is hidden before the form goes.
  await toggle.click();
  await expect(input).toHaveAttribute('type', 'text');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(input).toHaveAttribute('type', 'password');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  expect(problems).toEqual([]);
});

test('/login: the username has focus; the toggle shows a crossed eye while the password is visible', async ({
  page,
}) => {
  await page.goto('/login');
  await expect(page.getByLabel('Username or email')).toBeFocused();
  const toggle = page.getByTestId('password-toggle');
  await expect(toggle).toBeVisible(); // hydrated
  const icon = toggle.locator('svg');
  await expect(icon).toHaveAttribute('data-icon', 'eye');
  await passwordInput(page).fill('hunter2 hunter2');
  await toggle.click();
  await expect(passwordInput(page)).toHaveAttribute('type', 'text');
  // What a click does next: hide. The name stays, the pressed state says it is shown.
  await expect(icon).toHaveAttribute('data-icon', 'eye-off');
  await expect(icon.locator('line')).toHaveCount(1); // the stroke through the eye
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(toggle).toHaveAccessibleName('Show password');
  await toggle.click();
  await expect(icon).toHaveAttribute('data-icon', 'eye');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
});

test('the strength hint says a common password is too easy and a passphrase is fine', async ({
  page,
}) => {
  const problems = watchConsole(page);
  const workers: string[] = [];
  page.on('worker', (worker) => workers.push(worker.url()));
  await page.goto('/register');
  await expect(page.getByTestId('password-toggle').first()).toBeVisible();
  await page.waitForLoadState('networkidle');
  // The estimator is not loaded with the page...
  expect(workers).toEqual([]);

  const input = passwordInput(page);
  const hint = page.getByTestId('password-strength');
  await page.getByLabel('Username').fill('marguerite_k');
  await page.getByLabel('Email').fill('rita@example.com');

  await input.fill('password1234');
  await expect(hint).toHaveAttribute('data-level', 'weak');
  await expect(hint).toContainText('Too easy to guess');
  await expect(hint).toContainText(/commonly used password/i);
  // Read with the field (aria-describedby), not announced on every keystroke.
  await expect(hint).not.toHaveAttribute('aria-live');
  await expect(input).toHaveAttribute('aria-describedby', /field-password-strength/);
  await expect(input).toHaveAccessibleDescription(/Password strength: Too easy to guess/);
  // ...but by the first check, in a worker of its own.
  expect(workers).toEqual([expect.stringMatching(/password-strength\.worker/)]);

  for (const [width, height] of [
    [390, 844],
    [1280, 800],
  ] as const) {
    await page.setViewportSize({ width, height });
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await screenshot(page, `password-widgets-weak-${colorScheme}-${width}`);
      await expectNoAxeViolations(page);
    }
  }

  // Built from the username: weak for this account, and checked again when
  // the username is typed after the password.
  await input.fill('marguerite_k2024');
  await expect(hint).toHaveAttribute('data-level', 'weak');
  await page.getByLabel('Username').fill('someone_else');
  await expect(hint).not.toHaveAttribute('data-level', 'weak');
  await page.getByLabel('Username').fill('marguerite_k');
  await expect(hint).toHaveAttribute('data-level', 'weak');

  await input.fill('short');
  await expect(hint).toContainText('Too short');
  await expect(hint).toContainText('Use at least 8 characters.');

  await input.fill(PASSPHRASE);
  await expect(hint).toHaveAttribute('data-level', /good|strong/);
  await expect(hint).not.toContainText('Too easy');
  await page.getByTestId('password-toggle').first().click();
  for (const [width, height] of [
    [390, 844],
    [1280, 800],
  ] as const) {
    await page.setViewportSize({ width, height });
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await screenshot(page, `password-widgets-strong-${colorScheme}-${width}`);
      await expectNoAxeViolations(page);
    }
  }

  await input.fill('');
  await expect(hint).toBeEmpty();
  expect(problems).toEqual([]); // no CSP violation (no eval), no error
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('/login: the username has focus without JavaScript too', async ({ page }) => {
    await page.goto('/login');
    await expect(page.getByLabel('Username or email')).toBeFocused();
  });

  test('no toggle button and no strength hint are rendered', async ({ page }) => {
    await page.goto('/register');
    await expect(passwordInput(page)).toHaveAttribute('type', 'password');
    await expect(passwordInput(page)).toHaveAttribute('autocomplete', 'new-password');
    await expect(page.getByTestId('password-toggle')).toHaveCount(0);
    await expect(page.getByRole('button', { name: /show/i })).toHaveCount(0);
    await expect(page.getByTestId('password-strength')).toHaveCount(0);
  });
});
