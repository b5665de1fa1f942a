// The production API process (`node src/main.ts`) takes its mail settings from
// the environment: SMTP_URL, SITE_URL, SITE_NAME, MAIL_FROM and
// REQUIRE_VERIFIED_EMAIL reach the Auth, and its sender delivers to a real
// Mailpit.
import type { ChildProcess } from 'node:child_process';
import { linkIn, startMailpit, type Mailpit } from '@authkit/auth/mailpit';
import { connectDatabase } from '@authkit/db';
import { testDatabaseUrl } from '@authkit/db/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mutate, query, spawnApiProcess, strongPassword, uniqueName } from './test-helpers/index.ts';

const databaseUrl = testDatabaseUrl();
let mailpit: Mailpit;
let child: ChildProcess | undefined;

beforeAll(async () => {
  mailpit = await startMailpit();
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await mailpit?.stop();
  const database = connectDatabase(databaseUrl);
  await database.db.dropDatabase().catch(() => {});
  await database.close();
});

it('mails through SMTP_URL with the configured site and sender, and requires verification', async () => {
  const api = await spawnApiProcess({
    MONGODB_URL: databaseUrl,
    SMTP_URL: mailpit.smtpUrl,
    SITE_URL: 'https://accounts.example.com',
    SITE_NAME: 'Example Accounts',
    MAIL_FROM: 'Example <no-reply@example.com>',
    REQUIRE_VERIFIED_EMAIL: 'true',
  });
  const { url } = api;
  child = api.child;
  await api.ready();

  const username = uniqueName();
  const email = `${username}@example.com`;
  const password = strongPassword();
  expect((await mutate({ url }, 'auth.register', { username, email, password })).status).toBe(200);
  const login = await mutate({ url }, 'auth.login', { username, password, bearer: true });
  const bearer = { authorization: `Bearer ${login.body.result.data.token}` };
  const refused = await query({ url }, 'auth.sessions.list', undefined, bearer);
  expect(refused.body.error.data.reason).toBe('email_unverified');

  const mail = await mailpit.waitForMessage(email);
  expect(mail.subject).toContain('Example Accounts');
  const from = (await (await fetch(`${mailpit.webUrl}/api/v1/message/${mail.id}`)).json()) as {
    From: { Address: string };
  };
  expect(from.From.Address).toBe('no-reply@example.com');
  const link = linkIn(mail, 'https://accounts.example.com/verify-email/');
  const token = link.slice(link.lastIndexOf('/') + 1);
  expect((await mutate({ url }, 'auth.verifyEmail', { token })).status).toBe(200);
  expect((await query({ url }, 'auth.sessions.list', undefined, bearer)).status).toBe(200);

  // SMTP_URL is set: no outbox warning.
  expect(api.output()).not.toContain('mail is kept in the outbox');
}, 90_000);
