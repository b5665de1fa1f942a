// SIGTERM to the production site (`node apps/web/build`) while sign-ins are in
// flight: adapter-node answers them, then the site closes its Auth and its
// database client (whose sockets would keep the process alive) and exits by
// itself with code 0.
import http from 'node:http';
import { freePort } from '@authkit/db/embedded';
import { expect, test } from '@playwright/test';
import { closeTestAuth, newUser, testAuth } from './support/fixtures.ts';
import { startWebServer, TEST_PROXY_HEADERS } from './support/stack.ts';

const IN_FLIGHT = 4;

test.afterAll(closeTestAuth);

test('a SIGTERM answers in-flight sign-ins, then exits with 0 within 10 s', async () => {
  test.setTimeout(60_000);
  const mongodbUrl = process.env.E2E_MONGODB_URL;
  if (!mongodbUrl) throw new Error('E2E_MONGODB_URL is not set');
  // One account per sign-in: sign-ins to one account take turns.
  const users = Array.from({ length: IN_FLIGHT }, () => newUser('shutdown'));
  for (const user of users) {
    // As a trusted caller (the test), not limited like sign-ups from a form.
    await testAuth().registerUser(user, { ip: '127.0.0.1', userAgent: 'e2e' }, {});
  }

  const web = await startWebServer({ port: await freePort(), mongodbUrl });
  const server = web.child.process;
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
  try {
    // Headers and half of each body now, the rest after the signal: each
    // sign-in is certainly in flight when the site is told to stop.
    const logins = users.map((user) =>
      splitPost(
        `${web.url}/login`,
        web.url,
        new URLSearchParams({ username: user.username, password: user.password }).toString(),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalled = Date.now();
    server.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const login of logins) login.finish();

    const answers = await Promise.all(logins.map((login) => login.response));
    for (const answer of answers) {
      expect(answer.status).toBe(303);
      expect(answer.location).toBe('/dashboard');
    }
    const code = await Promise.race([
      exited,
      new Promise<string>((resolve) =>
        setTimeout(() => resolve('still running after 10 s'), 10_000),
      ),
    ]);
    expect(code, web.child.output()).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);
  } finally {
    await web.stop();
  }
});

/** A form POST on its own connection whose body is sent in two parts: the second on `finish()`. */
function splitPost(url: string, origin: string, body: string) {
  const half = Math.floor(body.length / 2);
  const request = http.request(url, {
    method: 'POST',
    agent: false,
    headers: {
      ...TEST_PROXY_HEADERS,
      origin,
      accept: 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body),
    },
  });
  const response = new Promise<{ status: number; location: string | undefined }>(
    (resolve, reject) => {
      request.once('error', reject);
      request.once('response', (incoming) => {
        incoming.resume();
        incoming.once('end', () =>
          resolve({ status: incoming.statusCode ?? 0, location: incoming.headers.location }),
        );
        incoming.once('error', reject);
      });
    },
  );
  request.write(body.slice(0, half));
  return { response, finish: () => request.end(body.slice(half)) };
}
