// Operators' tool: pnpm user:reset-link --username U (or --email E)
// Prints a one-time password reset link for a user, for operators without
// mail (no SMTP_URL) or a user whose mail does not arrive. The link goes to
// SITE_URL (or WEB_ORIGIN), works once and for 30 minutes, and is void once a
// newer link is issued or the password changes. Exit codes: 0
// printed, 1 bad usage, unknown or deactivated user, 2 database unreachable
// or another failure.
import { isAuthError } from '@authkit/auth';
import { authFromEnvironment, fail, parseCommandLine, unreachableDatabase } from './common.ts';

const usage = 'Usage: pnpm user:reset-link --username <name> | --email <address>';

const args = parseCommandLine(
  {
    options: {
      username: { type: 'string' },
      email: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  },
  usage,
);
const login = args.username ?? args.email;
if (!login || (args.username && args.email)) {
  fail(`Give one of --username and --email.\n${usage}`, 1);
}
// Only the link is wanted here: nothing is mailed, so no sender is started.
const { auth, database, given } = authFromEnvironment({ smtpUrl: null });
let exitCode = 0;
try {
  await auth.ensureReady();
  const link = await auth.createPasswordResetLink(login);
  const minutes = Math.round(auth.settings.passwordResetTokenMs / 60_000);
  if (!given.siteUrl) {
    console.error(`SITE_URL is not set: the link points to ${auth.settings.siteUrl}.`);
  }
  console.log(`Password reset link for ${login} (works once, for ${minutes} minutes):`);
  console.log(link);
} catch (error) {
  exitCode = 2;
  if (isAuthError(error, 'NOT_FOUND')) {
    exitCode = 1;
    console.error(`No user with the ${args.username ? 'username' : 'email address'} "${login}".`);
  } else if (isAuthError(error, 'INACTIVE')) {
    exitCode = 1;
    console.error(`The account "${login}" is deactivated: an admin reactivates it first.`);
  } else if (unreachableDatabase(error)) {
    console.error(unreachableDatabase(error));
  } else {
    console.error(
      `Could not make a reset link: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
} finally {
  await auth.close();
  await database.close();
}
process.exit(exitCode);
