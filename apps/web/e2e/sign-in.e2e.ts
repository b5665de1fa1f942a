import { expect, test } from '@playwright/test';
import {
  expectSentToSignIn,
  formPost,
  newUser,
  registerNewUser,
  signIn,
  signOut,
  webUrl,
} from './support/fixtures.ts';

test.describe('sign-in flows', () => {
  test('register lands on the dashboard with a greeting', async ({ page }) => {
    const user = await registerNewUser(page, 'new');
    await expect(page.getByTestId('greeting')).toHaveText(`Hello, ${user.username}!`);
    await expect(page.getByTestId('flash')).toContainText('Your account is ready');
    await expect(page.getByTestId('nav-user')).toContainText(user.username);
  });

  test('after logout a protected page redirects to login with next, and login returns to it', async ({
    page,
  }) => {
    const user = await registerNewUser(page);
    await signOut(page);
    await expect(page.getByTestId('flash')).toHaveText('You have been signed out.');

    await expectSentToSignIn(page, '/account?tab=sessions');
    await expect(page.getByTestId('flash')).toHaveText('Please sign in to access this page.');

    await signIn(page, user, { open: false });
    await expect(page).toHaveURL(/\/account\?tab=sessions$/);
    await expect(page.getByTestId('profile-username')).toHaveText(user.username);
  });

  test('a wrong password shows one generic message, the same as an unknown user', async ({
    page,
  }) => {
    const user = await registerNewUser(page);
    await signOut(page);

    await signIn(page, { ...user, password: 'not the right password' });
    await expect(page).toHaveURL(/\/login/);
    const wrongPassword = await page.getByTestId('form-error').textContent();
    expect(wrongPassword).toMatch(/invalid|incorrect/i);
    await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');

    await signIn(page, { ...user, username: `nobody_${user.username}` });
    await expect(page.getByTestId('form-error')).toHaveText(wrongPassword ?? '');
  });

  test('a signed-in user visiting /login or /register goes to the dashboard', async ({ page }) => {
    await registerNewUser(page);
    await page.goto('/login');
    await expect(page).toHaveURL(/\/dashboard$/);
    await page.goto('/register');
    await expect(page).toHaveURL(/\/dashboard$/);
  });

  test('open-redirect attempts land on /dashboard', async ({ page, browser }) => {
    const user = await registerNewUser(page);
    await signOut(page);

    for (const next of [
      '//evil.example',
      'https://evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
    ]) {
      const context = await browser.newContext();
      const tab = await context.newPage();
      await tab.goto(`/login?${new URLSearchParams({ next })}`);
      await signIn(tab, user, { open: false });
      await expect(tab, `next=${next}`).toHaveURL(`${webUrl()}/dashboard`);
      await context.close();
    }
  });

  test('sign in and sign out work with JavaScript disabled', async ({ browser }) => {
    const user = newUser('nojs');
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();

    await page.goto('/register');
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByLabel('Confirm password').fill('something else entirely');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByText('The passwords do not match.')).toBeVisible();

    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByLabel('Confirm password').fill(user.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page).toHaveURL(/\/dashboard$/);
    await signOut(page);

    await expectSentToSignIn(page, '/dashboard');
    await signIn(page, user, { open: false });
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('greeting')).toHaveText(`Hello, ${user.username}!`);
    await signOut(page);
    await expect(page.getByTestId('flash')).toHaveText('You have been signed out.');
    await context.close();
  });
});

test.describe('HTTP contract of the forms', () => {
  test('anonymous requests to protected pages get 303 to /login?next=...', async ({ request }) => {
    for (const path of ['/dashboard', '/account', '/account/reauth', '/admin?page=2']) {
      const response = await request.get(path, {
        maxRedirects: 0,
        headers: { accept: 'text/html' },
      });
      expect(response.status(), path).toBe(303);
      expect(response.headers().location).toBe(`/login?${new URLSearchParams({ next: path })}`);
    }
  });

  test('native posts: 303 on success, 400 with messages on failure, logout is POST only', async ({
    request,
  }) => {
    const user = newUser('http');
    let response = await request.post('/register', formPost({ ...user, confirm: 'different' }));
    expect(response.status()).toBe(400);
    expect(await response.text()).toContain('The passwords do not match.');
    // A refused form gives back what was typed, never the password.
    expect(await response.text()).not.toContain(user.password);

    response = await request.post(
      '/register',
      formPost({ ...user, confirm: user.password, next: '/account' }),
    );
    expect(response.status()).toBe(303);
    expect(response.headers().location).toBe('/account');

    // Signed-in pages are stored by no cache (nor kept for the back button).
    response = await request.get('/account', { headers: { accept: 'text/html' } });
    expect(response.status()).toBe(200);
    expect(response.headers()['cache-control']).toBe('private, no-store');

    // A GET changes nothing: it asks, with the POST button.
    response = await request.get('/logout', { maxRedirects: 0 });
    expect(response.status()).toBe(200);
    expect(await response.text()).toContain('Sign out?');
    response = await request.get('/account', { maxRedirects: 0 });
    expect(response.status()).toBe(200);
    response = await request.post('/logout', formPost({}));
    expect(response.status()).toBe(303);
    expect(response.headers().location).toBe('/login');

    response = await request.post(
      '/login',
      formPost({ username: user.username, password: 'wrong password here' }),
    );
    expect(response.status()).toBe(400);
    expect(await response.text()).not.toContain('wrong password here');

    response = await request.post('/login', formPost({ username: '', password: '' }));
    expect(response.status()).toBe(400);
    expect(await response.text()).toContain('Enter your username or email.');

    for (const next of [
      '//evil.example',
      'https://evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
    ]) {
      response = await request.post(
        '/login',
        formPost({ username: user.email, password: user.password, next }),
      );
      expect(response.status(), next).toBe(303);
      expect(response.headers().location, next).toBe('/dashboard');
      await request.post('/logout', formPost({}));
    }
  });

  test('a cross-site form post is refused (CSRF origin check)', async ({ request }) => {
    const response = await request.post('/login', {
      form: { username: 'someone', password: 'whatever' },
      headers: { origin: 'https://evil.example', accept: 'text/html' },
      maxRedirects: 0,
    });
    expect(response.status()).toBe(403);
  });
});
