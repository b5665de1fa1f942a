// Mailpit, the dev and test mail server: starts one on free ports and reads
// its inbox through its HTTP API. Built into .tools/bin by script/bootstrap
// (packages/auth/mailpit/build); a `mailpit` on PATH also does.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { freePort, stopChild } from '@authkit/db/embedded';

export interface InboxMessage {
  id: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** A Mailpit inbox, read through its HTTP API. */
export interface MailpitInbox {
  /** The inbox UI and HTTP API, e.g. http://127.0.0.1:48025 */
  webUrl: string;
  /** Every message to `address` (newest first). */
  messagesTo(address: string): Promise<InboxMessage[]>;
  /** Waits until a message to `address` satisfies `match` (default: any), up to `timeoutMs`. */
  waitForMessage(
    address: string,
    options?: { match?: (message: InboxMessage) => boolean; timeoutMs?: number },
  ): Promise<InboxMessage>;
  deleteAll(): Promise<void>;
}

/** A Mailpit this process started. */
export interface Mailpit extends MailpitInbox {
  /** For SMTP_URL, e.g. smtp://127.0.0.1:41025 */
  smtpUrl: string;
  stop(): Promise<void>;
}

export function findMailpit(): string | undefined {
  const candidates = [
    process.env.AUTHKIT_TOOLS_DIR ? join(process.env.AUTHKIT_TOOLS_DIR, 'bin', 'mailpit') : '',
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => (dir ? join(dir, 'mailpit') : '')),
  ];
  // The repository's own .tools folder, found from this file's location.
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    candidates.push(join(dir, '.tools', 'bin', 'mailpit'));
  }
  return candidates.find((candidate) => candidate && existsSync(candidate));
}

/**
 * Starts Mailpit on 127.0.0.1 (free ports unless given). Its messages go to
 * `dataDir` when given (kept), else to a temporary folder removed at stop.
 */
export async function startMailpit(
  options: { smtpPort?: number; webPort?: number; dataDir?: string } = {},
): Promise<Mailpit> {
  const binary = findMailpit();
  if (!binary) throw new Error('No mailpit binary: run script/bootstrap (it builds one into .tools/bin).');
  const [smtpPort, webPort] = await Promise.all([options.smtpPort ?? freePort(), options.webPort ?? freePort()]);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'authkit-mailpit-'));
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(
    binary,
    [
      `--smtp=127.0.0.1:${smtpPort}`,
      `--listen=127.0.0.1:${webPort}`,
      `--database=${join(dataDir, 'mailpit.db')}`,
      '--smtp-auth-accept-any',
      '--smtp-auth-allow-insecure',
      '--disable-version-check',
      '--quiet',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const webUrl = `http://127.0.0.1:${webPort}`;
  const stop = async () => {
    process.off('exit', killOnExit);
    await stopChild(child);
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mailpit exited with ${child.exitCode}: ${stderr}`);
    const up = await fetch(`${webUrl}/api/v1/messages?limit=1`).then((response) => response.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`mailpit did not answer within 15 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return { ...connectMailpit(webUrl), smtpUrl: `smtp://127.0.0.1:${smtpPort}`, stop };
}

/** The inbox of a Mailpit that is running at `webUrl` (started here or elsewhere). */
export function connectMailpit(webUrl: string): MailpitInbox {
  async function getJson<T>(path: string): Promise<T> {
    const response = await fetch(`${webUrl}${path}`);
    if (!response.ok) throw new Error(`Mailpit ${path}: ${response.status}`);
    return (await response.json()) as T;
  }

  async function messagesTo(address: string): Promise<InboxMessage[]> {
    const query = new URLSearchParams({ query: `to:"${address}"`, limit: '200' });
    const list = await getJson<{ messages: { ID: string }[] }>(`/api/v1/search?${query}`);
    const messages: InboxMessage[] = [];
    for (const { ID } of list.messages) {
      const full = await getJson<{ ID: string; To: { Address: string }[]; Subject: string; Text: string; HTML: string }>(
        `/api/v1/message/${ID}`,
      );
      messages.push({ id: full.ID, to: full.To.map((to) => to.Address), subject: full.Subject, text: full.Text, html: full.HTML });
    }
    // The search matches on the address as a substring: keep exact recipients only.
    return messages.filter((message) => message.to.some((to) => to.toLowerCase() === address.toLowerCase()));
  }

  return {
    webUrl,
    messagesTo,
    async waitForMessage(address, { match = () => true, timeoutMs = 15_000 } = {}) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = (await messagesTo(address)).find(match);
        if (found) return found;
        if (Date.now() > until) throw new Error(`no matching mail to ${address} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async deleteAll() {
      await fetch(`${webUrl}/api/v1/messages`, { method: 'DELETE' });
    },
  };
}

/** The first link in a mail's text that starts with `prefix` (e.g. `${site}/reset/`). */
export function linkIn(message: Pick<InboxMessage, 'subject' | 'text'>, prefix: string): string {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}\\S+`).exec(message.text);
  if (!match) throw new Error(`no link starting with ${prefix} in the mail "${message.subject}"`);
  return match[0];
}
