// On https the session cookie is `__Host-authkit_session` (Secure, Path=/, no
// Domain), and only that name is read: a plain `authkit_session` cookie, which
// a sibling subdomain or an http page could plant, signs nobody in. The site
// runs here as behind a TLS proxy (served over http, X-Forwarded-Proto: https).
import { createSignedInUser, testRequest, type SignedInUser } from '@authkit/auth/testing';
import { freePort } from '@authkit/db/embedded';
import { expect, test } from '@playwright/test';
import { closeTestAuth, newUser, testAuth } from './support/fixtures.ts';
import { startWebServer } from './support/stack.ts';

let web: Awaited<ReturnType<typeof startWebServer>>;
let origin: string;
let user: SignedInUser;

test.beforeAll(async () => {
  const port = await freePort();
  origin = `https://127.0.0.1:${port}`;
  web = await startWebServer({
    port,
    mongodbUrl: process.env.E2E_MONGODB_URL ?? '',
  });
  user = await createSignedInUser(testAuth(), { username: newUser('hostcookie').username });
});

test.afterAll(async () => {
  await web?.stop();
  await closeTestAuth();
});

/** A request to the site as a browser on `origin` sends it. */
function send(path: string, init: RequestInit & { cookie?: string } = {}) {
  const headers = new Headers(init.headers);
  headers.set('user-agent', testRequest.userAgent ?? 'test');
  headers.set('accept', 'text/html');
  // The TLS proxy in front tells the site the request came over https.
  headers.set('x-forwarded-proto', 'https');
  if (init.cookie) headers.set('cookie', init.cookie);
  return fetch(`${web.url}${path}`, { ...init, headers, redirect: 'manual' });
}

function signInForm(): RequestInit {
  return {
    method: 'POST',
    headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: user.user.username, password: user.password }),
  };
}

test('signing in on https sets __Host-authkit_session: Secure, Path=/, no Domain', async () => {
  const login = await send('/login', signInForm());
  expect(login.status).toBe(303);
  const setCookie = login.headers.getSetCookie().find((line) => line.includes('authkit_session'));
  expect(setCookie).toMatch(/^__Host-authkit_session=[a-z2-7]{40}; /);
  expect(setCookie).toMatch(/; Secure(;|$)/i);
  expect(setCookie).toMatch(/; Path=\/(;|$)/i);
  expect(setCookie).toMatch(/; HttpOnly(;|$)/i);
  expect(setCookie).not.toMatch(/Domain=/i);
  const token = /^__Host-authkit_session=([a-z2-7]{40})/.exec(setCookie ?? '')?.[1] ?? '';

  // The __Host- cookie signs in; signing out clears that same name.
  expect((await send('/dashboard', { cookie: `__Host-authkit_session=${token}` })).status).toBe(
    200,
  );
  const logout = await send('/logout', {
    method: 'POST',
    headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
    cookie: `__Host-authkit_session=${token}`,
  });
  expect(logout.status).toBe(303);
  expect(logout.headers.getSetCookie().join('\n')).toMatch(
    /^__Host-authkit_session=;.*Max-Age=0/im,
  );
});

test('on https a plain-named session cookie is ignored', async () => {
  // A valid token, planted under the plain name: anonymous, sent to sign in.
  const planted = await send('/dashboard', { cookie: `authkit_session=${user.token}` });
  expect(planted.status).toBe(303);
  expect(planted.headers.get('location')).toMatch(/^\/login\?next=/);
  // Both names: the __Host- one decides (here, it signs in).
  const both = await send('/dashboard', {
    cookie: `authkit_session=junk; __Host-authkit_session=${user.token}`,
  });
  expect(both.status).toBe(200);
});
