// The outbox on its own database (so that no other sender of the test run
// delivers its mail): a mail server that is down delays mail and loses none,
// and sent mail keeps no body.
import { describe, expect, it } from 'vitest';
import { freePort } from '@authkit/db/embedded';
import { useTestDatabase } from '@authkit/db/testing';
import { startMailpit } from './mailpit.ts';
import { createMailSender, enqueueMail } from './outbox.ts';

const database = useTestDatabase();

describe('the mail outbox', () => {
  it('keeps a mail while the server is down, retries with backoff and delivers it once the server is back', async () => {
    const [smtpPort, webPort] = [await freePort(), await freePort()];
    const failures: number[] = [];
    const sender = createMailSender({
      database: database.current,
      smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
      from: 'Test <no-reply@example.test>',
      onError: (_error, mail) => failures.push(mail.attempts),
    });
    try {
      await enqueueMail(database.current, {
        kind: 'test',
        to: 'kim@example.test',
        subject: 'Hello',
        text: 'A link: https://site.example/reset/abc',
        html: '<p>A link</p>',
      });
      sender.kick();
      await expect.poll(() => failures.length, { timeout: 10_000 }).toBeGreaterThan(0);
      const waiting = await database.current.mailOutbox.findOne({ to: 'kim@example.test' });
      expect(waiting).toMatchObject({ sent_at: null, attempts: 1 });
      expect(waiting!.last_error).toMatch(/ECONNREFUSED/);
      expect(waiting!.next_attempt_at.getTime()).toBeGreaterThan(Date.now());

      const mailpit = await startMailpit({ smtpPort, webPort });
      try {
        const mail = await mailpit.waitForMessage('kim@example.test', { timeoutMs: 25_000 });
        expect(mail.subject).toBe('Hello');
        expect(mail.text).toContain('https://site.example/reset/abc');
        const sent = await database.current.mailOutbox.findOne({ to: 'kim@example.test' });
        expect(sent?.sent_at).toBeInstanceOf(Date);
        // The body (a link's token) is not kept once sent.
        expect(sent).toMatchObject({ text: '', html: '', last_error: null });
        // Delivered once, whatever the number of passes.
        await sender.sendDue();
        expect(await mailpit.messagesTo('kim@example.test')).toHaveLength(1);
      } finally {
        await mailpit.stop();
      }
    } finally {
      await sender.stop();
    }
  }, 60_000);

  it('delivers each mail once when several senders share the outbox', async () => {
    const mailpit = await startMailpit();
    const senders = [0, 1, 2].map(() =>
      createMailSender({ database: database.current, smtpUrl: mailpit.smtpUrl, from: 'Test <no-reply@example.test>' }),
    );
    try {
      for (let i = 0; i < 5; i++) {
        await enqueueMail(database.current, { kind: 'test', to: `many${i}@example.test`, subject: `n${i}`, text: 't', html: 'h' });
      }
      await Promise.all(senders.map((sender) => sender.sendDue()));
      for (let i = 0; i < 5; i++) {
        await mailpit.waitForMessage(`many${i}@example.test`);
        expect(await mailpit.messagesTo(`many${i}@example.test`)).toHaveLength(1);
      }
    } finally {
      await Promise.all(senders.map((sender) => sender.stop()));
      await mailpit.stop();
    }
  });
});
