// Runs last (file order): it uses up failed sign-ins, which are also counted
// per client address.
import { expect, test } from '@playwright/test';
import { formPost, registerNewUser, screenshot, signIn, signOut } from './fixtures.ts';

test('repeated failed sign-ins are throttled with 429 and say when to retry', async ({
  page,
  request,
}) => {
  const user = await registerNewUser(page, 'throttled');
  await signOut(page);

  let status = 0;
  let retryAfter: string | undefined;
  for (let attempt = 1; attempt <= 10 && status !== 429; attempt++) {
    const response = await request.post(
      '/login',
      formPost({ username: user.username, password: `wrong-${attempt}` }),
    );
    status = response.status();
    retryAfter = response.headers()['retry-after'];
    if (status !== 429) expect(status).toBe(400);
    else expect(await response.text()).toMatch(/Try again in \d+ (second|minute)/);
  }
  expect(status).toBe(429);
  expect(Number(retryAfter)).toBeGreaterThan(0);

  // The browser shows the wait too, even with the right password.
  await signIn(page, user);
  await expect(page.getByTestId('form-error')).toContainText('Try again in');
  await screenshot(page, '12-login-throttled');
});
