// The production commands as the READMEs give them: `pnpm --filter web start`
// (the build, `node build`, with no NODE_ENV) and `pnpm --filter api start`.
// A built site is production by itself: it refuses to start without
// MONGODB_URL or AUTH_SECRET_KEY (never falling back to the dev database), and
// its session cookie is `__Host-authkit_session`, Secure, the same name as
// the API's, so a session made by either works on both.
import { createSignedInUser, type SignedInUser } from '@authkit/auth/testing';
import { freePort } from '@authkit/db/embedded';
import { expect, test } from '@playwright/test';
import { startApiProcess } from 'api/api-process';
import { closeTestAuth, newUser, testAuth } from './support/fixtures.ts';
import {
  E2E_SECRET_KEY,
  startSiteChild,
  stopChild,
  waitForHttp,
  type Child,
} from './support/stack.ts';

const stops: Array<() => Promise<void>> = [];

test.afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await closeTestAuth();
});

function mongodbUrl(): string {
  const url = process.env.E2E_MONGODB_URL;
  if (!url) throw new Error('E2E_MONGODB_URL is not set');
  return url;
}

/** The exit code of a child that should stop by itself, or a note that it kept running. */
function exitOf(child: Child, withinMs = 15_000): Promise<number | string | null> {
  const { process: proc } = child;
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  return Promise.race([
    new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code))),
    new Promise<string>((resolve) =>
      setTimeout(() => resolve(`still running after ${withinMs} ms`), withinMs),
    ),
  ]);
}

/** `pnpm --filter web start` with only `env` set (and PORT, HOST). */
async function startSite(env: Record<string, string>, unset: string[]) {
  const port = await freePort();
  const child = startSiteChild({ PORT: String(port), HOST: '127.0.0.1', ...env }, unset);
  stops.push(() => stopChild(child));
  return { child, url: `http://127.0.0.1:${port}` };
}

const REQUIRED = ['MONGODB_URL', 'AUTH_SECRET_KEY', 'SECURE_COOKIES', 'SMTP_URL', 'API_URL'];

test('without MONGODB_URL the built site refuses to start and names it', async () => {
  const { child } = await startSite({ AUTH_SECRET_KEY: E2E_SECRET_KEY }, REQUIRED);
  const code = await exitOf(child);
  expect(code, child.output()).toBe(1);
  expect(child.output()).toContain('Invalid environment variable MONGODB_URL: is required');
});

test('without AUTH_SECRET_KEY the built site refuses to start and names it', async () => {
  const { child } = await startSite({ MONGODB_URL: mongodbUrl() }, REQUIRED);
  const code = await exitOf(child);
  expect(code, child.output()).toBe(1);
  expect(child.output()).toContain(
    'Invalid environment variable AUTH_SECRET_KEY: is required in production',
  );
});

test.describe('a production site and API started as documented', () => {
  let site: { child: Child; url: string };
  let apiUrl: string;
  let user: SignedInUser;

  test.beforeAll(async () => {
    test.setTimeout(60_000);
    // What the READMEs' production section sets behind a TLS proxy (no SECURE_COOKIES, no NODE_ENV).
    site = await startSite(
      {
        MONGODB_URL: mongodbUrl(),
        AUTH_SECRET_KEY: E2E_SECRET_KEY,
        PROTOCOL_HEADER: 'x-forwarded-proto',
      },
      REQUIRED,
    );
    await waitForHttp(site.child, `${site.url}/`);
    const api = await startApiProcess({
      env: {
        MONGODB_URL: mongodbUrl(),
        AUTH_SECRET_KEY: E2E_SECRET_KEY,
        WEB_ORIGIN: 'https://site.example',
        LOG_LEVEL: 'error',
      },
      unset: REQUIRED,
    });
    stops.push(api.stop);
    apiUrl = api.url;
    await api.ready();
    user = await createSignedInUser(testAuth(), { username: newUser('prod').username });
  });

  /** A sign-in form post, as a browser behind the TLS proxy (`proto`) sends it. */
  function signIn(proto: 'https' | 'http') {
    const origin = `${proto}://127.0.0.1:${new URL(site.url).port}`;
    return fetch(`${site.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        origin,
        'x-forwarded-proto': proto,
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ username: user.user.username, password: user.password }),
    });
  }

  test('the session cookie is __Host-authkit_session, Secure (on https, and by default)', async () => {
    // Over plain http too: a production site's cookies are Secure unless SECURE_COOKIES=false.
    for (const proto of ['https', 'http'] as const) {
      const answer = await signIn(proto);
      expect(answer.status, proto).toBe(303);
      const cookie = answer.headers
        .getSetCookie()
        .find((line) => line.includes('authkit_session='));
      expect(cookie, proto).toMatch(/^__Host-authkit_session=[a-z2-7]{40}; /);
      expect(cookie, proto).toMatch(/; Secure(;|$)/i);
      expect(cookie, proto).not.toMatch(/Domain=/i);
    }
  });

  test('the API names its cookie the same: a session it makes opens the site', async () => {
    const login = await fetch(`${apiUrl}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://site.example' },
      body: JSON.stringify({ username: user.user.username, password: user.password }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie().find((line) => line.includes('authkit_session='));
    const token = /^__Host-authkit_session=([a-z2-7]{40});/.exec(cookie ?? '')?.[1];
    expect(token, cookie).toBeTruthy();
    const dashboard = await fetch(`${site.url}/dashboard`, {
      redirect: 'manual',
      // Over plain http too: the site reads the name the API wrote.
      headers: {
        accept: 'text/html',
        'x-forwarded-proto': 'http',
        cookie: `__Host-authkit_session=${token}`,
      },
    });
    expect(dashboard.status).toBe(200);
  });
});
