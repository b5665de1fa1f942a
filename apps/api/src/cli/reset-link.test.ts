// pnpm user:reset-link, run as a process against a real database.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createAuth, type Auth } from '@authkit/auth';
import { connectDatabase, type Database } from '@authkit/db';
import { freePort } from '@authkit/db/embedded';
import { testDatabaseUrl } from '@authkit/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strongPassword, uniqueName } from '../test-helpers/index.ts';

const SITE = 'https://accounts.example.com';
const apiDir = join(import.meta.dirname, '..', '..');
const request = { ip: null, userAgent: 'test' };
let url: string;
let database: Database;
let auth: Auth;
beforeAll(async () => {
  url = testDatabaseUrl();
  database = connectDatabase(url);
  // Its admin is not about second factors.
  auth = createAuth({ database, siteUrl: SITE, requireMfaForAdmins: false });
  await auth.ensureReady();
});
afterAll(async () => {
  await auth.close();
  await database.db.dropDatabase().catch(() => {});
  await database.close();
});

function run(args: string[], env: Record<string, string | undefined> = { MONGODB_URL: url }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const { MONGODB_URL: _, SITE_URL: __, ...inherited } = process.env;
    const child = spawn(process.execPath, ['src/cli/reset-link.ts', ...args], {
      cwd: apiDir,
      env: { ...inherited, SITE_URL: SITE, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function newUser() {
  const username = uniqueName('lost');
  const email = `${username}@example.com`;
  const user = await auth.registerUser({ username, email, password: strongPassword() }, request);
  return { ...user, email };
}

const linkIn = (stdout: string) => /^https:\/\/\S+$/m.exec(stdout)?.[0] ?? '';

describe('pnpm user:reset-link', () => {
  it('prints a working one-time link for a username or an email address, and mails nothing', async () => {
    const user = await newUser();
    const outboxBefore = await database.mailOutbox.countDocuments({ to: user.email });
    const byName = await run(['--username', user.username]);
    expect(byName.stderr).toBe('');
    expect(byName.code).toBe(0);
    const link = linkIn(byName.stdout);
    expect(link.startsWith(`${SITE}/reset/`)).toBe(true);
    const token = link.slice(link.lastIndexOf('/') + 1);
    expect(await auth.checkPasswordResetToken(token)).toEqual({ username: user.username, passkeys: [] });
    expect(await database.mailOutbox.countDocuments({ to: user.email })).toBe(outboxBefore);

    // A newer link voids the older one.
    const byEmail = await run(['--email', user.email.toUpperCase()]);
    expect(byEmail.code).toBe(0);
    const newer = linkIn(byEmail.stdout);
    expect(await auth.checkPasswordResetToken(token)).toBeNull();
    await auth.resetPassword(newer.slice(newer.lastIndexOf('/') + 1), strongPassword(), request);
  });

  it('exits 1 for an unknown or a deactivated user', async () => {
    const unknown = await run(['--username', uniqueName('nobody')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No user with the username');
    expect(unknown.stdout).not.toMatch(/https:/);

    const admin = await auth.registerUser(
      {
        username: uniqueName('boss'),
        email: `${uniqueName()}@example.com`,
        password: strongPassword(),
      },
      request,
      { role: 'admin' },
    );
    const gone = await newUser();
    await auth.setActive(admin, gone.id, false, request);
    const deactivated = await run(['--username', gone.username]);
    expect(deactivated.code).toBe(1);
    expect(deactivated.stderr).toContain('deactivated');
    expect(deactivated.stdout).not.toMatch(/https:/);
  });

  it('exits 1 for bad usage, 2 when the database cannot be reached', async () => {
    const none = await run([]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('--username');
    expect((await run(['--username', 'a', '--email', 'a@example.com'])).code).toBe(1);
    expect((await run(['--bogus'])).code).toBe(1);
    const noUrl = await run(['--username', 'a'], {});
    expect(noUrl.code).toBe(1);
    expect(noUrl.stderr).toContain('MONGODB_URL');

    const port = await freePort();
    const down = await run(['--username', 'a'], {
      MONGODB_URL: `mongodb://127.0.0.1:${port}/nothing`,
    });
    expect(down.code).toBe(2);
    expect(down.stderr).toContain('Cannot reach the database');
  });
});
