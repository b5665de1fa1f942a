// SIGTERM to the production API process (`node src/main.ts`) while sign-ins
// are in flight: every one is answered normally, then the process exits by
// itself with code 0.
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { connectDatabase } from '@authkit/db';
import { testDatabaseUrl } from '@authkit/db/testing';
import { afterAll, expect, it } from 'vitest';
import {
  eventually,
  mutate,
  spawnApiProcess,
  strongPassword,
  uniqueName,
} from './test-helpers/index.ts';

const IN_FLIGHT = 4;
const databaseUrl = testDatabaseUrl();
let child: ChildProcess | undefined;

afterAll(async () => {
  child?.kill('SIGKILL');
  const database = connectDatabase(databaseUrl);
  await database.db.dropDatabase().catch(() => {});
  await database.close();
});

it('answers in-flight sign-ins and exits with 0 within 10 s of SIGTERM', async () => {
  const api = await spawnApiProcess({ MONGODB_URL: databaseUrl });
  const { url, child: proc, exited } = api;
  child = proc;
  await api.ready();

  // One account per sign-in: sign-ins to one account take turns.
  const accounts = await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      const username = uniqueName();
      const password = strongPassword();
      const registered = await mutate({ url }, 'auth.register', {
        username,
        email: `${username}@example.com`,
        password,
      });
      expect(registered.status).toBe(200);
      return { username, password };
    }),
  );

  // Each sign-in sends its headers and half its body now, the rest after the
  // signal: certainly in flight when the server is told to stop.
  const logins = accounts.map((account) =>
    splitPost(`${url}/trpc/auth.login`, JSON.stringify(account)),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const signalled = Date.now();
  proc.kill('SIGTERM');
  await eventually(async () => api.output().includes('shutting down'), 5_000, 10);
  for (const login of logins) login.finish();

  const answers = await Promise.all(logins.map((login) => login.response));
  expect(answers.map((answer) => answer.status)).toEqual(Array(IN_FLIGHT).fill(200));
  expect(answers[0]?.body).toContain('"username"');
  const code = await Promise.race([
    exited,
    new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000)),
  ]);
  expect(code).toBe(0);
  expect(Date.now() - signalled).toBeLessThan(10_000);
  expect(api.output()).toContain('"msg":"stopped"');
  // Production without SMTP_URL: one warning at start.
  expect(api.output().match(/mail is kept in the outbox/g)).toHaveLength(1);
  child = undefined;
}, 90_000);

/** A JSON POST on its own connection whose body is sent in two parts: the second on `finish()`. */
function splitPost(url: string, body: string) {
  const half = Math.floor(body.length / 2);
  const request = http.request(url, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.once('error', reject);
    request.once('response', (incoming) => {
      let text = '';
      incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
      incoming.once('end', () => resolve({ status: incoming.statusCode ?? 0, body: text }));
      incoming.once('error', reject);
    });
  });
  request.write(body.slice(0, half));
  return { response, finish: () => request.end(body.slice(half)) };
}

// The log destination is asynchronous (logger.ts): a fatal error's line, and
// what was logged just before it, must still reach stdout as the process exits.
it('writes the fatal line and the lines before it when it cannot start', async () => {
  // An address of TEST-NET-3 (RFC 5737), which no interface of this machine has.
  const api = await spawnApiProcess({ MONGODB_URL: databaseUrl, HOST: '203.0.113.7' });
  child = api.child;
  const code = await Promise.race([
    api.exited,
    new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 20_000)),
  ]);
  expect(code).toBe(1);
  const lines = api
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string });
  expect(lines.find((line) => line.msg === 'cannot listen')?.level).toBe(60);
  expect(lines.some((line) => /outbox/.test(line.msg))).toBe(true);
  child = undefined;
}, 30_000);
