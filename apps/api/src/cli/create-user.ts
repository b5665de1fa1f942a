// Operators' tool: pnpm user:create --username U --email E [--role admin]
// The password comes from standard input: typed without echo on a terminal,
// or piped (first line). Exit codes: 0 created, 1 bad usage or input,
// 2 database unreachable or another failure.
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { isAuthError } from '@authkit/auth';
import { authFromEnvironment, fail, parseCommandLine, unreachableDatabase } from './common.ts';

const usage =
  'Usage: pnpm user:create --username <name> --email <address> [--role user|admin] < password';

const args = parseCommandLine(
  {
    options: {
      username: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string', default: 'user' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  },
  usage,
);
if (!args.username || !args.email) fail(`--username and --email are required.\n${usage}`, 1);
if (args.role !== 'user' && args.role !== 'admin')
  fail(`--role must be user or admin, not "${args.role}".`, 1);
const { auth, database, given } = authFromEnvironment();

const password = process.stdin.isTTY ? await promptPassword() : await readFirstLine();
if (!password) fail('No password given on standard input.', 1);

let exitCode = 0;
try {
  await auth.ensureReady();
  const request = { ip: null, userAgent: 'cli:user:create' };
  // The operator is trusted to pick the role (no admin exists yet to grant it)
  // and vouches for the address: no verification mail, nothing to wait for.
  // The account's history says an operator made it (not "an unknown browser").
  const user = await auth.registerUser(
    { username: args.username, email: args.email, password },
    request,
    { role: args.role, emailVerified: true, operator: 'command_line' },
  );
  console.log(`Created ${user.role} ${user.username} <${user.email}> (id ${user.id}).`);
  if (user.role === 'admin' && auth.settings.requireMfaForAdmins) {
    // In the site's terms, with its address: what the new admin does before the admin page opens.
    const site = auth.settings.siteUrl;
    if (!given.siteUrl) console.error(`SITE_URL is not set: the site is taken to be ${site}.`);
    console.log(
      `Administrators need two-step verification on this site: ${user.username} should sign in at ${site}/login and set up an authenticator app on the account page (${site}/account#two-step) before using the admin page. (REQUIRE_MFA_FOR_ADMINS=false turns this rule off.)`,
    );
  }
} catch (error) {
  exitCode = 2;
  if (isAuthError(error, 'VALIDATION')) {
    exitCode = 1;
    console.error('Could not create the user:');
    for (const [field, messages] of Object.entries(error.fieldErrors)) {
      for (const message of messages) console.error(`  ${field}: ${message}`);
    }
    if (Object.keys(error.fieldErrors).length === 0) console.error(`  ${error.message}`);
  } else if (unreachableDatabase(error)) {
    console.error(unreachableDatabase(error));
  } else {
    console.error(
      `Could not create the user: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
} finally {
  await auth.close();
  await database.close();
}
process.exit(exitCode);

/** Reads the password on a terminal without echoing it, then asks again to confirm. */
async function promptPassword(): Promise<string> {
  let muted = false;
  // readline echoes what is typed to its output: swallow it while muted.
  const output = new Writable({
    write(chunk, encoding, done) {
      if (!muted) process.stderr.write(chunk, encoding);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  rl.on('SIGINT', () => fail('\nCancelled.', 1));
  // The iterator buffers lines, so a fast typist (or a paste) loses none.
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (prompt: string) => {
    process.stderr.write(prompt);
    muted = true;
    const line = await lines.next();
    muted = false;
    process.stderr.write('\n');
    if (line.done) fail('Cancelled.', 1);
    return line.value;
  };
  try {
    const first = await ask('Password: ');
    const second = await ask('Repeat password: ');
    if (first !== second) fail('The passwords do not match.', 1);
    return first;
  } finally {
    rl.close();
  }
}

/** Piped input: the first line, without its line ending. */
async function readFirstLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += chunk;
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/, 1)[0] ?? '';
}
