// The durable mail outbox. A mail is written to `mail_outbox` in the same code
// path as the change that causes it, and a sender delivers it over SMTP with
// retries and backoff: a mail server that is down delays mail and loses none,
// and no user request waits for (or fails with) a send.
import { randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Database, OutboxMailDoc } from '@authkit/db';
import { withClaim } from '../claims.ts';

export interface MailMessage {
  /** What the mail is (e.g. `password_reset`), for logs and tests. */
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Writes a mail to the outbox; the sender picks it up. Delivery runs on real
 * time (the system clock), whatever clock the Auth instance was given.
 */
export async function enqueueMail(database: Database, message: MailMessage): Promise<void> {
  const now = new Date();
  const doc: OutboxMailDoc = {
    _id: randomUUID(),
    kind: message.kind,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    created_at: now,
    attempts: 0,
    next_attempt_at: now,
    sent_at: null,
    last_error: null,
  };
  await database.mailOutbox.insertOne(doc);
}

/** How often the sender looks for due mail when nobody kicks it. */
const POLL_MS = 5_000;
const BATCH = 20;
/** Backoff after a failure: 5 s doubling to 30 min; given up after this many attempts (about 2 days). */
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 30 * 60_000;
export const MAX_ATTEMPTS = 100;
/** While one sender holds a mail, others skip it; a sender that died lets go after this. */
const SEND_CLAIM_MS = 60_000;
/** Sent mail keeps only its metadata, for this long. */
const KEEP_SENT_MS = 7 * 24 * 60 * 60_000;
const CLEANUP_EVERY_MS = 60 * 60_000;

export interface MailSenderOptions {
  database: Database;
  /** smtp://host:port or smtps://user:pass@host:port (nodemailer's URL form). */
  smtpUrl: string;
  /** The From header, e.g. `Example <no-reply@example.com>`. */
  from: string;
  onError?: (error: unknown, mail: Pick<OutboxMailDoc, '_id' | 'kind' | 'attempts'>) => void;
}

export interface MailSender {
  /** Looks for due mail now (after an enqueue) instead of at the next poll. */
  kick(): void;
  /** Sends what is due now; resolves to how many were sent. */
  sendDue(): Promise<number>;
  /** Stops polling and waits for a send under way. */
  stop(): Promise<void>;
}

export function createMailSender(options: MailSenderOptions): MailSender {
  const { database, from } = options;
  const transport: Transporter = nodemailer.createTransport(options.smtpUrl, {
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 15_000,
  } as never);
  let stopped = false;
  let running: Promise<number> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let lastCleanup = 0;

  async function sendOne(mail: OutboxMailDoc): Promise<boolean> {
    const outcome = await withClaim(
      database,
      `mail:${mail._id}`,
      { lifetimeMs: SEND_CLAIM_MS, waitMs: 0 },
      async () => {
        // Another sender may have delivered it between the query and the claim.
        const current = await database.mailOutbox.findOne({ _id: mail._id, sent_at: null });
        if (!current) return false;
        try {
          await transport.sendMail({ from, to: current.to, subject: current.subject, text: current.text, html: current.html });
        } catch (error) {
          const attempts = current.attempts + 1;
          const wait = Math.min(FIRST_RETRY_MS * 2 ** (attempts - 1), MAX_RETRY_MS);
          await database.mailOutbox.updateOne(
            { _id: current._id },
            {
              $set: {
                attempts,
                next_attempt_at: new Date(Date.now() + wait),
                last_error: error instanceof Error ? error.message.slice(0, 300) : 'send failed',
              },
            },
          );
          options.onError?.(error, { _id: current._id, kind: current.kind, attempts });
          return false;
        }
        // Sent: the body (which may hold a link's token) is not kept.
        await database.mailOutbox.updateOne(
          { _id: current._id },
          { $set: { sent_at: new Date(), attempts: current.attempts + 1, text: '', html: '', last_error: null } },
        );
        return true;
      },
    );
    return outcome.done && outcome.result;
  }

  async function sendDue(): Promise<number> {
    const due = await database.mailOutbox
      .find({ sent_at: null, next_attempt_at: { $lte: new Date() }, attempts: { $lt: MAX_ATTEMPTS } })
      .sort({ next_attempt_at: 1 })
      .limit(BATCH)
      .toArray();
    let sent = 0;
    for (const mail of due) {
      if (stopped) break;
      if (await sendOne(mail)) sent++;
    }
    if (Date.now() - lastCleanup > CLEANUP_EVERY_MS) {
      lastCleanup = Date.now();
      await database.mailOutbox.deleteMany({ sent_at: { $lte: new Date(Date.now() - KEEP_SENT_MS) } });
    }
    return sent;
  }

  /** One pass at a time; a kick during a pass runs another pass right after it. */
  function run(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = sendDue()
      .catch((error: unknown) => {
        // The database is away: the next poll tries again.
        options.onError?.(error, { _id: '', kind: 'poll', attempts: 0 });
        return 0;
      })
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          run();
        }
      });
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      run();
      schedule();
    }, POLL_MS);
    // Never what keeps a process alive.
    timer.unref();
  }

  schedule();
  run();

  return {
    kick: run,
    sendDue,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      transport.close();
    },
  };
}
