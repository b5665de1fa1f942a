// The guard decides on the route SvelteKit serves, not on the path as typed:
// every spelling of a guarded path that reaches its route (percent-encoded
// letters, dot segments, the client router's `__data.json` request) is guarded
// like the plain one; spellings that reach no route are a 404 or a 308 to the
// canonical path. Issue 14: `GET /%61ccount` once reached the account page
// unguarded, failed there, and took the whole web process down.
import { createSignedInUser, type SignedInUser } from '@authkit/auth/testing';
import { expect, test } from '@playwright/test';
import { closeTestAuth, enrolTotp, newUser, testAuth, webUrl } from './support/fixtures.ts';
import { FormClient, loopbackAddress, redirectOf, type Answer } from './support/fuzz-support.ts';

/** Each guarded route, the text its page shows, and spellings of its path that reach it. */
const guarded = [
  {
    route: '/dashboard',
    shows: 'Dashboard · authkit',
    spellings: ['/%64ashboard', '/dashboar%64', '/./dashboard', '/x/../dashboard'],
  },
  {
    route: '/account',
    shows: 'Account · authkit',
    spellings: ['/%61ccount', '/%61%63%63%6F%75%6E%74', '/%2e/account', '/account?tab=1'],
  },
  {
    route: '/account/reauth',
    shows: 'Confirm your password · authkit',
    spellings: ['/%61ccount/reauth', '/account/%72eauth', '/account/./reauth'],
  },
  {
    route: '/admin',
    shows: 'Admin · authkit',
    spellings: ['/%61dmin', '/admi%6E', '/%2E/admin', '/admin?page=1'],
  },
] as const;

/** Spellings that are no route of the site: a 404 for everyone, never the page. */
const noRoute = [
  '//account',
  '///admin',
  '/dashboard//',
  '/account%2Freauth',
  '/ACCOUNT',
  '/%41dmin',
  '/admin;x',
];

/** `?x-sveltekit-invalidated=`: which of the page's loads the client router asks for again. */
const dataQuery = '?x-sveltekit-invalidated=11';

let member: SignedInUser;
let admin: SignedInUser;
let client: FormClient;

test.beforeAll(async () => {
  [member, admin] = await Promise.all([
    createSignedInUser(testAuth(), { username: newUser('paths_member').username }),
    createSignedInUser(testAuth(), { username: newUser('paths_admin').username, role: 'admin' }),
  ]);
  await enrolTotp(admin);
});

test.beforeEach(() => {
  client = new FormClient(webUrl(), loopbackAddress());
});

test.afterEach(() => client.close());

test.afterAll(closeTestAuth);

/** Path and query as the server's URL has them: dot segments (also `%2e`) resolved. */
function asParsed(path: string): string {
  const url = new URL(path, 'http://site.test');
  return url.pathname + url.search;
}

function expectLoginRedirect(answer: Answer, path: string): void {
  const context = `${path} → ${answer.status} ${answer.location ?? ''} ${answer.body.slice(0, 200)}`;
  expect(answer.status, context).toBe(303);
  expect(answer.location, context).toBe(`/login?${new URLSearchParams({ next: asParsed(path) })}`);
}

/** The process still answers (it used to exit on the first such request). */
async function expectSiteUp(): Promise<void> {
  const answer = await client.getVerbatim('/login');
  expect(answer.status).toBe(200);
}

test('each spelling of a guarded path reaches its route, and only when allowed', async () => {
  for (const { route, shows, spellings } of guarded) {
    for (const path of [route, ...spellings]) {
      // The admin sees the page: the spelling really reaches the guarded route.
      const allowed = await client.getVerbatim(path, { token: admin.token });
      expect(allowed.status, path).toBe(200);
      expect(allowed.body, path).toContain(shows);

      // Anonymous: to the login page, with this path to come back to.
      expectLoginRedirect(await client.getVerbatim(path), path);

      // A signed-in member: admin pages are a 403.
      if (route === '/admin') {
        const refused = await client.getVerbatim(path, { token: member.token });
        expect(refused.status, path).toBe(403);
        expect(refused.body, path).not.toContain(shows);
      }
    }
  }
  await expectSiteUp();
});

test("the client router's __data.json requests are guarded like the pages", async () => {
  for (const { route, spellings } of guarded) {
    for (const spelling of [route, ...spellings]) {
      const [pathname, query = ''] = spelling.split('?');
      const path = `${pathname}/__data.json${dataQuery}${query ? `&${query}` : ''}`;

      const allowed = await client.getVerbatim(path, { token: admin.token });
      expect(allowed.status, path).toBe(200);
      expect(JSON.parse(allowed.body), path).toMatchObject({ type: 'data' });

      // Anonymous: the JSON redirect the client router follows, to the login page.
      const anonymous = await client.getVerbatim(path);
      expect(anonymous.status, path).toBe(200);
      expect(JSON.parse(anonymous.body), path).toMatchObject({ type: 'redirect', status: 303 });
      expect(redirectOf(anonymous), path).toBe(
        `/login?${new URLSearchParams({ next: asParsed(spelling) })}`,
      );

      if (route === '/admin') {
        const refused = await client.getVerbatim(path, { token: member.token });
        expect(refused.status, path).toBe(403);
        expect(refused.body, path).not.toContain('"type":"data"');
      }
    }
  }
  await expectSiteUp();
});

test('a trailing slash is a 308 to the canonical path, which is guarded', async () => {
  for (const { route } of guarded) {
    for (const path of [`${route}/`, `${route}/.`]) {
      const answer = await client.getVerbatim(path);
      expect(answer.status, path).toBe(308);
      expect(new URL(answer.location ?? '', `${webUrl()}${path}`).pathname, path).toBe(route);
      expect(answer.body, path).toBe('');
    }
  }
  await expectSiteUp();
});

test('spellings that reach no route are a 404 for everyone', async () => {
  for (const path of noRoute) {
    for (const token of [null, member.token, admin.token]) {
      const answer = await client.getVerbatim(path, { token });
      expect(answer.status, path).toBe(404);
      for (const { shows } of guarded) expect(answer.body, path).not.toContain(shows);
    }
  }
  await expectSiteUp();
});

test('form actions behind a spelled path are guarded too', async () => {
  const form = (path: string, token: string | null) =>
    client.post({
      path,
      body: Buffer.from('userId=nobody&role=admin'),
      contentType: 'application/x-www-form-urlencoded',
      token,
      accept: 'html',
    });
  expectLoginRedirect(await form('/%61ccount?/revokeOthers', null), '/%61ccount?/revokeOthers');
  expectLoginRedirect(await form('/%61dmin?/setRole', null), '/%61dmin?/setRole');
  expect((await form('/%61dmin?/setRole', member.token)).status).toBe(403);
  await expectSiteUp();
});
