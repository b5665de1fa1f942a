// The real API process, started as `pnpm --filter api start` starts it: the
// `start` script of apps/api/package.json (`[NAME=value ...] node <args>`),
// run without pnpm in between, which would not pass a SIGTERM on and wait (the
// shutdown tests signal the server itself). A start script of another shape
// fails loudly.
//
// One spawner for the API's own process tests (processes.ts) and for the
// site's browser tests (apps/web/e2e/support/stack.ts, through the package
// export `api/api-process`). No test runner is imported here: Vitest and
// Playwright both load this file.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, stopChild } from '@authkit/db/embedded';

const apiDir = join(import.meta.dirname, '../..');

export interface ApiProcess {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  child: ChildProcess;
  /** What it printed so far (stdout and stderr, the last 20 000 characters). */
  output(): string;
  /** Resolves to the exit code once it has exited. */
  exited: Promise<number | null>;
  /** Resolves once GET /health answers 200; fails, with the output, if the process exits first or the time runs out. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGTERM (SIGKILL after 5 s); resolves once it has exited. */
  stop(): Promise<void>;
}

export interface ApiProcessOptions {
  /** Variables over the inherited environment. PORT and HOST (127.0.0.1) are set here. */
  env: Record<string, string>;
  /** Inherited variables to leave out, besides NODE_ENV (only the start script sets it). */
  unset?: string[];
  /** A free port when left out. */
  port?: number;
  /** Copy the process's output to this process's stderr, each chunk marked `[api]`. */
  echo?: boolean;
}

/**
 * What `pnpm start` runs in the app folder `appDir`: its package.json's start
 * script, split into its variables and node's arguments. (The site's browser
 * tests read the site's start script with it too.)
 */
export function startCommand(appDir: string): { args: string[]; env: Record<string, string> } {
  const manifest = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const script = manifest.scripts?.start ?? '';
  const words = script.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words[0] && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name = '', ...value] = (words.shift() ?? '').split('=');
    env[name] = value.join('=');
  }
  if (words.shift() !== 'node' || words.length === 0) {
    throw new Error(`${appDir}: the start script is not "[NAME=value ...] node <args>": ${script}`);
  }
  return { args: words, env };
}

/**
 * Starts the API process on `options.port` (or a free port); it does not wait
 * for it to be ready (see `ready()`). The caller stops it.
 */
export async function startApiProcess(options: ApiProcessOptions): Promise<ApiProcess> {
  const port = options.port ?? (await freePort());
  const command = startCommand(apiDir);
  const inherited = { ...process.env };
  for (const variable of ['NODE_ENV', ...(options.unset ?? [])]) delete inherited[variable];
  const child = spawn(process.execPath, command.args, {
    cwd: apiDir,
    env: {
      ...inherited,
      HOST: '127.0.0.1',
      ...options.env,
      ...command.env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    if (options.echo) process.stderr.write(`[api] ${chunk.toString()}`);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = `http://127.0.0.1:${port}`;

  async function ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the API exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
      }
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) }).catch(
        () => null, // not listening yet
      );
      if (response?.status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(
      `the API did not answer 200 at ${url}/health within ${timeoutMs} ms:\n${output}`,
    );
  }

  return { url, child, output: () => output, exited, ready, stop: () => stopChild(child) };
}
