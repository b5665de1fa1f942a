// The site's /trpc/* forwarder (routes/trpc/[...path]): only procedure paths
// cross to the API, and only to its /trpc/. Spellings that decode to another
// path (`..%2Fhealth`, a backslash, an encoded `?` or `#`) answer 404 and
// never reach the API: the real API of the stack (its /health answers
// `{"ok":true,…}`), and a recording server behind an API_URL with a path
// prefix, which shows every path that arrives.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@authkit/db/embedded';
import { expect, test } from '@playwright/test';
import { webUrl } from './support/fixtures.ts';
import { startWebServer, TEST_PROXY_HEADERS } from './support/stack.ts';

/** Paths (after the site's /trpc/) that must not leave the API's /trpc/. */
const TRAVERSALS = [
  '..%2Fhealth',
  'x%2F..%2F..%2Fhealth',
  '..%5Chealth',
  '..%5C..%5Chealth',
  '%2E%2E%2Fhealth',
  // (A bare `%2E%2E` is a dot segment to the URL parser: `/trpc/%2E%2E` is the site's own `/`.)
  'auth.me%2F%2E%2E',
  '%2e%2e%2f%2e%2e%2fhealth',
  '..%2Fhealth%3Fx%3D1',
  '..%2Fhealth%23',
  'auth.me%3Fbatch%3D1',
  'auth.me%23x',
  'auth.me%2F..%2F..%2Fhealth',
];

function get(url: string): Promise<Response> {
  return fetch(url, { headers: TEST_PROXY_HEADERS, redirect: 'manual' });
}

test('traversal spellings answer 404 and never reach the API’s /health', async () => {
  const health = await fetch(`${process.env.E2E_API_URL}/health`);
  expect(await health.text()).toContain('"ok":true');
  for (const path of TRAVERSALS) {
    const answer = await get(`${webUrl()}/trpc/${path}`);
    const body = await answer.text();
    expect(answer.status, path).toBe(404);
    expect(body, path).not.toContain('"ok":true');
  }
  // A real procedure still goes through (anonymous: the API's 401 for auth.me).
  const me = await get(`${webUrl()}/trpc/auth.me`);
  expect(me.status).toBe(401);
  expect(me.headers.get('content-type')).toContain('application/json');
});

test.describe('behind an API_URL with a path prefix', () => {
  let recorder: Server;
  const seen: string[] = [];
  let site = '';
  let stopSite: (() => Promise<void>) | undefined;

  test.beforeAll(async () => {
    recorder = createServer((request, response) => {
      seen.push(request.url ?? '');
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"recorded":true}');
    });
    await new Promise<void>((listening) => recorder.listen(0, '127.0.0.1', listening));
    const { port } = recorder.address() as AddressInfo;
    const web = await startWebServer({
      port: await freePort(),
      mongodbUrl: process.env.E2E_MONGODB_URL ?? '',
      env: { API_URL: `http://127.0.0.1:${port}/internal/api` },
    });
    site = web.url;
    stopSite = web.stop;
  });

  test.afterAll(async () => {
    await stopSite?.();
    await new Promise((closed) => recorder.close(closed));
  });

  test('only /internal/api/trpc/<procedure> is reached, with the query string intact', async () => {
    for (const path of TRAVERSALS) {
      const answer = await get(`${site}/trpc/${path}`);
      expect(answer.status, path).toBe(404);
    }
    expect(seen).toEqual([]);

    const query = '?batch=1&input=%7B%220%22%3A%7B%22a%22%3A%22%26%3F%23%22%7D%7D';
    const answer = await get(`${site}/trpc/auth.me,auth.passkeys.list${query}`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ recorded: true });
    expect(seen).toEqual([`/internal/api/trpc/auth.me,auth.passkeys.list${query}`]);
  });
});
