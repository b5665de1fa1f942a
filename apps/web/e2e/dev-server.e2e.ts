// What must hold on the development server too (`vite dev`): SvelteKit checks
// the Origin of form posts in a built site only, so the site's own hook
// (src/lib/server/form-origin.ts) refuses cross-site form posts in every mode.
// Otherwise a CSRF test would pass in development and fail in production.
import { freePort } from '@authkit/db/embedded';
import { expect, test } from '@playwright/test';
import { startDevServer } from './support/stack.ts';

let site = '';
let stop: (() => Promise<void>) | undefined;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const dev = await startDevServer({
    port: await freePort(),
    mongodbUrl: process.env.E2E_MONGODB_URL ?? '',
  });
  site = dev.url;
  stop = dev.stop;
});

test.afterAll(async () => {
  await stop?.();
});

function postLogin(origin: string | null): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (origin !== null) headers.origin = origin;
  return fetch(`${site}/login`, {
    method: 'POST',
    headers,
    body: 'login=someone&password=wrong-password',
    redirect: 'manual',
  });
}

test('the dev server refuses a cross-site form post, as production does', async () => {
  test.setTimeout(60_000);
  for (const origin of ['https://evil.test', 'null', null]) {
    const answer = await postLogin(origin);
    expect(answer.status, String(origin)).toBe(403);
    expect(await answer.text()).toBe('Cross-site POST form submissions are forbidden');
  }
  // The site's own origin reaches the action (a refused sign-in, not a 403).
  const own = await postLogin(site);
  expect(own.status).not.toBe(403);
});
