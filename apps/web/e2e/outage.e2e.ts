// With the database unreachable the site answers 503 (never a 500 or a stack
// trace) wherever it needs the database, and still serves what it does not.
import { freePort } from '@authkit/db/embedded';
import { expect, test } from '@playwright/test';
import { startWebServer } from './support/stack.ts';

test('an unreachable database gives a 503 page, not a 500', async ({ browser }) => {
  test.setTimeout(60_000);
  const [port, deadDatabasePort] = await Promise.all([freePort(), freePort()]);
  const web = await startWebServer({
    port,
    mongodbUrl: `mongodb://127.0.0.1:${deadDatabasePort}/nowhere`,
  });
  try {
    const context = await browser.newContext({ baseURL: web.url });
    const page = await context.newPage();

    // Anonymous pages need no database: they still work.
    expect((await page.goto('/'))?.status()).toBe(200);
    await expect(page.getByTestId('home-status')).toContainText('Create a free account');

    // Signing in needs the database.
    await page.goto('/login');
    await page.getByLabel('Username or email').fill('someone');
    await page.getByLabel('Password', { exact: true }).fill('some password');
    const post = await page.request.post('/login', {
      form: { username: 'someone', password: 'some password' },
      headers: { origin: web.url, accept: 'text/html' },
      maxRedirects: 0,
    });
    expect(post.status()).toBe(503);
    expect(await post.text()).toContain('temporarily unavailable');

    // A browser with a session cookie: the user loader needs the database.
    await context.addCookies([{ name: 'authkit_session', value: 'a'.repeat(40), url: web.url }]);
    const response = await page.goto('/dashboard');
    expect(response?.status()).toBe(503);
    await expect(page.getByRole('heading', { level: 1 })).toContainText('temporarily unavailable');
    await context.close();
  } finally {
    await web.stop();
  }
});
