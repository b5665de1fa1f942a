// Mail as the other modules use it: compose from a template, write to the
// outbox (durable), and nudge this process's sender, if it has one.
import type { Database } from '@authkit/db';
import type { AuthSettings } from '../types.ts';
import { createMailSender, enqueueMail, type MailMessage, type MailSender } from './outbox.ts';
import type { MailContext } from './templates.ts';

export type Mail = ReturnType<typeof createMail>;

export function createMail(database: Database, settings: AuthSettings) {
  // Without SMTP_URL, mail waits in the outbox until a process that has one sends it.
  const sender: MailSender | null = settings.smtpUrl
    ? createMailSender({
        database,
        smtpUrl: settings.smtpUrl,
        from: settings.mailFrom,
        onError: (error, mail) => {
          if (mail.kind === 'poll') return; // the database is away; its outage is reported elsewhere
          const reason = error instanceof Error ? error.message : String(error);
          console.warn(`[mail] sending a ${mail.kind} mail failed (attempt ${mail.attempts}), will retry: ${reason}`);
        },
      })
    : null;

  async function send(message: MailMessage): Promise<void> {
    await enqueueMail(database, message);
    sender?.kick();
  }

  function contextFor(user: { username: string; email: string }, to: string = user.email): MailContext {
    return { siteName: settings.siteName, username: user.username, to };
  }

  /** An absolute link into the site. */
  function link(path: string): string {
    return `${settings.siteUrl}${path}`;
  }

  async function close(): Promise<void> {
    await sender?.stop();
  }

  return { send, contextFor, link, close, sender };
}
