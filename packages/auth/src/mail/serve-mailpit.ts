// `turbo dev` task: serves Mailpit for development, SMTP on 127.0.0.1:1025
// (DEV_SMTP_URL, which the API and the site default to in development) and the
// inbox on http://localhost:8025, its messages kept in .data/mailpit. Does
// nothing when SMTP_URL names a mail server of the developer's own (unless
// AUTHKIT_EMBEDDED_MAIL=1).
import { join, resolve } from 'node:path';
import { startMailpit } from './mailpit.ts';

if (process.env.SMTP_URL?.trim() && process.env.AUTHKIT_EMBEDDED_MAIL !== '1') {
  console.log('mail: SMTP_URL is set; no Mailpit started');
  process.exit(0);
}

const dataDir = join(resolve(import.meta.dirname, '../../../..'), '.data', 'mailpit');
const mailpit = await startMailpit({ smtpPort: 1025, webPort: 8025, dataDir });
console.log(`mail: Mailpit on ${mailpit.smtpUrl}, inbox ${mailpit.webUrl.replace('127.0.0.1', 'localhost')}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await mailpit.stop();
    process.exit(0);
  });
}
