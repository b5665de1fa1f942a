// The test run's Mailpit inbox (started by the global setup, E2E_MAILPIT_URL),
// read through its HTTP API: the mails the site and the API really sent.
import { connectMailpit, type InboxMessage } from '@authkit/auth/mailpit';
import { webUrl } from './fixtures.ts';

export type { InboxMessage };

function inbox() {
  const url = process.env.E2E_MAILPIT_URL;
  if (!url) throw new Error('E2E_MAILPIT_URL is not set: the global setup starts Mailpit');
  return connectMailpit(url);
}

/** Every mail to `address` (newest first). */
export function mailsTo(address: string): Promise<InboxMessage[]> {
  return inbox().messagesTo(address);
}

/**
 * Waits for a mail to `address` whose text holds a link to the site (or to
 * `site`) starting with `path`; `after`: ignore these mails (older ones).
 */
export async function waitForLink(
  address: string,
  path: '/reset/' | '/verify-email/',
  options: { after?: Set<string>; timeoutMs?: number; site?: string } = {},
): Promise<string> {
  const prefix = `${options.site ?? webUrl()}${path}`;
  const until = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    for (const message of await mailsTo(address)) {
      if (options.after?.has(message.id)) continue;
      const link = new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\S+`).exec(
        message.text,
      );
      if (link) return link[0];
    }
    if (Date.now() > until) throw new Error(`no mail with a ${path} link to ${address}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** The ids of the mails `address` has now (to wait for a newer one). */
export async function mailIds(address: string): Promise<Set<string>> {
  return new Set((await mailsTo(address)).map((message) => message.id));
}
