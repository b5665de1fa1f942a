// A public page viewed by an anonymous visitor costs no database call at all:
// not in the site, nor in the API behind it. Both production processes run
// against the test database through a relay that notes every command.
import { createSignedInUser } from '@authkit/auth/testing';
import { freePort } from '@authkit/db/embedded';
import { expect, test } from '@playwright/test';
import { startCommandCounter } from './support/command-counter.ts';
import { closeTestAuth, testAuth } from './support/fixtures.ts';
import { startApiServer, startWebServer, TEST_PROXY_HEADERS } from './support/stack.ts';

test.afterAll(closeTestAuth);

test('an anonymous GET / or /login makes no database call; a signed-in page does', async () => {
  test.setTimeout(60_000);
  const mongodbUrl = process.env.E2E_MONGODB_URL;
  if (!mongodbUrl) throw new Error('E2E_MONGODB_URL is not set');
  const counter = await startCommandCounter(mongodbUrl);
  const [webPort, apiPort] = await Promise.all([freePort(), freePort()]);
  const api = await startApiServer({
    port: apiPort,
    mongodbUrl: counter.url,
    webOrigin: `http://127.0.0.1:${webPort}`,
  });
  const web = await startWebServer({ port: webPort, mongodbUrl: counter.url });
  try {
    const signedIn = await createSignedInUser(testAuth());
    // Start-up work (indexes, the readiness probes) is done and counted before this.
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const before = counter.commands().length;
      const response = await fetch(`${web.url}${path}`, {
        headers: { accept: 'text/html', ...TEST_PROXY_HEADERS, ...headers },
        redirect: 'manual',
      });
      const body = await response.text();
      return { status: response.status, body, commands: counter.commands().slice(before) };
    };

    for (const path of ['/', '/login', '/register']) {
      const page = await get(path);
      expect(page.status, path).toBe(200);
      expect(page.commands, path).toEqual([]);
    }
    const home = await get('/');
    expect(home.body).toContain('href="/login"');
    expect(home.body).toContain('href="/register"');

    // The relay does see the site's calls: a signed-in page loads its user.
    const dashboard = await get('/dashboard', { cookie: signedIn.cookie });
    expect(dashboard.status).toBe(200);
    expect(dashboard.commands.length).toBeGreaterThan(0);
  } finally {
    await web.stop();
    await api.stop();
    await counter.close();
  }
});
