// The operators' CLI, run as a process with the password on standard input.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createAuth } from '@authkit/auth';
import { connectDatabase, type Database } from '@authkit/db';
import { freePort } from '@authkit/db/embedded';
import { testDatabaseUrl } from '@authkit/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strongPassword, uniqueName } from '../test-helpers/index.ts';

const apiDir = join(import.meta.dirname, '..', '..');
let url: string;
let database: Database;
beforeAll(() => {
  url = testDatabaseUrl();
  database = connectDatabase(url);
});
afterAll(async () => {
  await database.db.dropDatabase().catch(() => {});
  await database.close();
});

function run(
  args: string[],
  stdin: string,
  env: Record<string, string | undefined> = { MONGODB_URL: url },
) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const { MONGODB_URL: _, ...inherited } = process.env;
    const child = spawn(process.execPath, ['src/cli/create-user.ts', ...args], {
      cwd: apiDir,
      env: { ...inherited, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('pnpm user:create', () => {
  it('creates an admin with the password from stdin', async () => {
    const username = uniqueName('ops');
    const password = strongPassword();
    const result = await run(
      ['--username', username, '--email', `${username}@example.com`, '--role', 'admin'],
      `${password}\n`,
      { MONGODB_URL: url, SITE_URL: 'https://accounts.example.org/' },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Created admin ${username}`);
    // REQUIRE_MFA_FOR_ADMINS is on by default: the operator is told, in the site's terms, what the admin does first.
    expect(result.stdout).toContain(
      `${username} should sign in at https://accounts.example.org/login and set up an authenticator app on the account page (https://accounts.example.org/account#two-step)`,
    );
    expect(result.stdout).not.toMatch(/mfa_required|beginEnrolment|403/);
    expect(result.stdout).not.toContain(password);

    const auth = createAuth({ database });
    const user = await auth.authenticate(username, password, { ip: null, userAgent: null });
    expect(user.role).toBe('admin');
    // The operator vouches for the address: verified, and no verification mail.
    expect(user.emailVerified).toBe(true);
    expect(await database.mailOutbox.countDocuments({ to: `${username}@example.com` })).toBe(0);
    // The account's history says an operator made it on the command line (not an unknown browser).
    const [created] = await auth.listEvents(user.id);
    expect(created).toMatchObject({ type: 'register', details: { operator: 'command_line' } });
  });

  it('names the default site address when SITE_URL is not set', async () => {
    const username = uniqueName('ops');
    const result = await run(
      ['--username', username, '--email', `${username}@example.com`, '--role', 'admin'],
      strongPassword(),
      { MONGODB_URL: url, SITE_URL: undefined, WEB_ORIGIN: undefined, ORIGIN: undefined },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${username} should sign in at http://localhost:5173/login`);
    expect(result.stderr).toContain('SITE_URL is not set');
  });

  it('creates a plain user by default', async () => {
    const username = uniqueName('ops');
    const result = await run(
      ['--username', username, '--email', `${username}@example.com`],
      strongPassword(),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Created user ${username}`);
    expect(result.stdout).not.toContain('authenticator');
  });

  it('prints the field messages and exits 1 for a weak password or a taken name', async () => {
    const username = uniqueName('ops');
    const weak = await run(
      ['--username', username, '--email', `${username}@example.com`],
      'password\n',
    );
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/password: /);

    await run(['--username', username, '--email', `${username}@example.com`], strongPassword());
    const taken = await run(
      ['--username', username, '--email', `${uniqueName()}@example.com`],
      strongPassword(),
    );
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/username: /);
  });

  it('exits 1 with a clear message for bad usage', async () => {
    const noEmail = await run(['--username', 'someone'], 'x');
    expect(noEmail.code).toBe(1);
    expect(noEmail.stderr).toContain('--email');

    const badRole = await run(
      ['--username', 'a', '--email', 'a@example.com', '--role', 'root'],
      'x',
    );
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain('--role');

    const unknown = await run(['--username', 'a', '--email', 'a@example.com', '--bogus'], 'x');
    expect(unknown.code).toBe(1);

    const noUrl = await run(['--username', 'a', '--email', 'a@example.com'], 'x', {});
    expect(noUrl.code).toBe(1);
    expect(noUrl.stderr).toContain('MONGODB_URL');

    const noPassword = await run(['--username', 'a', '--email', 'a@example.com'], '');
    expect(noPassword.code).toBe(1);
    expect(noPassword.stderr).toContain('password');
  });

  it('exits 2 when the database cannot be reached', async () => {
    const port = await freePort();
    const result = await run(['--username', 'a', '--email', 'a@example.com'], strongPassword(), {
      MONGODB_URL: `mongodb://127.0.0.1:${port}/nothing`,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Cannot reach the database');
  });
});
