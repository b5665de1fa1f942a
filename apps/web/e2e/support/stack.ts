// The system under test for the browser tests: an embedded database, a real
// Mailpit (SMTP and its inbox API), the real API and the production build of
// this site, each on a free port, both started by their documented production
// command (`pnpm --filter api start`, `pnpm --filter web start`) with only
// documented variables. Both servers send mail to the Mailpit, with links to
// the site. `stop()` ends all of them. The API process is started by the API
// package's own spawner (`api/api-process`), the one its process tests use.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startMailpit, type Mailpit } from '@authkit/auth/mailpit';
import { connectDatabase } from '@authkit/db';
import {
  freePort,
  startEmbeddedServer,
  stopChild as stopProcess,
  type EmbeddedServer,
} from '@authkit/db/embedded';
import { startApiProcess, startCommand, type ApiProcess } from 'api/api-process';

const repoRoot = resolve(import.meta.dirname, '../../../..');
const webDir = join(repoRoot, 'apps/web');
const webBuild = join(webDir, 'build');

export interface Stack {
  /** The site, e.g. http://127.0.0.1:41234 */
  webUrl: string;
  /** The API. */
  apiUrl: string;
  /** Connection string of the test database (with its name). */
  mongodbUrl: string;
  /** The Mailpit inbox's HTTP API, e.g. http://127.0.0.1:48025 */
  mailpitUrl: string;
  /** Its SMTP server, for other servers a test starts. */
  smtpUrl: string;
  /** The test OpenID provider (oidc-provider; any name signs in; POST /__control/accounts). */
  idpUrl: string;
  /** The GitHub fake (POST /__control/users). */
  githubUrl: string;
  /** The provider variables the site and the API were given, for other servers a test starts. */
  providerEnv: Record<string, string>;
  stop(): Promise<void>;
}

export interface Child {
  name: string;
  process: ChildProcess;
  output: () => string;
}

/**
 * Signs device cookies and encrypts TOTP secrets in both servers (required in
 * production); one per run. The tests' own Auth uses it too (fixtures.ts).
 */
export const E2E_SECRET_KEY = process.env.E2E_AUTH_SECRET_KEY || randomBytes(32).toString('base64');
process.env.E2E_AUTH_SECRET_KEY = E2E_SECRET_KEY;

/**
 * Starts the site as `pnpm --filter web start` does: its start script, run
 * without pnpm in between, which would not pass a SIGTERM on and wait (the
 * shutdown tests signal the server itself), with `env` over this process's
 * environment, less NODE_ENV (only the start script may set it: a built site
 * is production by itself) and the variables named in `unset`.
 */
export function startSiteChild(env: Record<string, string>, unset: string[] = []): Child {
  const command = startCommand(webDir);
  const inherited = { ...process.env };
  for (const variable of ['NODE_ENV', ...unset]) delete inherited[variable];
  return spawnChild('web', command.args, { ...inherited, ...env, ...command.env }, webDir);
}

/** A node process with exactly `env`, its output kept for the failure messages. */
function spawnChild(name: string, args: string[], env: NodeJS.ProcessEnv, cwd = repoRoot): Child {
  const child = spawn(process.execPath, args, {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // E2E_SERVER_LOG=1 shows the servers' own output (debugging a failing test).
  if (process.env.E2E_SERVER_LOG === '1') {
    child.stdout?.on('data', (chunk: Buffer) =>
      process.stderr.write(`[${name}] ${chunk.toString()}`),
    );
    child.stderr?.on('data', (chunk: Buffer) =>
      process.stderr.write(`[${name}] ${chunk.toString()}`),
    );
  }
  return { name, process: child, output: () => output };
}

export async function waitForHttp(child: Child, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) {
      throw new Error(`${child.name} exited with ${child.process.exitCode}:\n${child.output()}`);
    }
    try {
      const response = await fetch(url, {
        headers: TEST_PROXY_HEADERS,
        signal: AbortSignal.timeout(1_000),
        redirect: 'manual',
      });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `${child.name} did not answer at ${url} within ${timeoutMs} ms:\n${child.output()}`,
  );
}

/** SIGTERM (SIGKILL after 5 s); resolves once it has exited. */
export function stopChild(child: Child): Promise<void> {
  return stopProcess(child.process);
}

/**
 * What the TLS proxy in front of the site adds to a request for http://: the
 * protocol (the site's origin is decided per request, see startWebServer).
 * Playwright sends it with every request (playwright.config.ts); plain fetches
 * in the tests add it themselves.
 */
export const TEST_PROXY_HEADERS = { 'x-forwarded-proto': 'http' } as const;

/** One production server of the site (`pnpm --filter web start`: `node build`). */
export async function startWebServer(options: {
  port: number;
  mongodbUrl: string;
  /** Other environment variables (e.g. REQUIRE_VERIFIED_EMAIL). */
  env?: Record<string, string>;
}): Promise<{ url: string; child: Child; stop: () => Promise<void> }> {
  const url = `http://127.0.0.1:${options.port}`;
  const child = startSiteChild({
    MONGODB_URL: options.mongodbUrl,
    // Served over plain http (the proxy's X-Forwarded-Proto says so per
    // request), so that the browser keeps the cookie; https requests still get
    // `__Host-` cookies (host-cookie.e2e.ts, production.e2e.ts).
    SECURE_COOKIES: 'false',
    AUTH_SECRET_KEY: E2E_SECRET_KEY,
    // Every test registers from 127.0.0.1.
    REGISTRATION_PER_HOUR: '100000',
    // Short locks, so that a browser test can watch one pass.
    THROTTLE_LOCK_SECONDS: '4',
    PORT: String(options.port),
    HOST: '127.0.0.1',
    // The build has no origin (paths.origin): each request's comes from its
    // Host and X-Forwarded-Proto headers, as behind a TLS proxy. The tests
    // send that header as such a proxy would (TEST_PROXY_HEADERS).
    PROTOCOL_HEADER: 'x-forwarded-proto',
    // Links in mails point to this server.
    SITE_URL: url,
    ...options.env,
  });
  try {
    await waitForHttp(child, `${url}/`);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { url, child, stop: () => stopChild(child) };
}

/**
 * The development server (`vite dev`, as `pnpm --filter web dev` and
 * script/dev run it), for what must hold in development too.
 */
export async function startDevServer(options: {
  port: number;
  mongodbUrl: string;
}): Promise<{ url: string; child: Child; stop: () => Promise<void> }> {
  const url = `http://127.0.0.1:${options.port}`;
  const vite = join(webDir, 'node_modules/vite/bin/vite.js');
  const child = spawnChild(
    'web-dev',
    [vite, 'dev', '--port', String(options.port), '--strictPort'],
    { ...process.env, MONGODB_URL: options.mongodbUrl, NODE_ENV: 'development', SMTP_URL: '' },
    webDir,
  );
  try {
    // The first request compiles the pages: a longer wait than a build's.
    await waitForHttp(child, `${url}/`, 90_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { url, child, stop: () => stopChild(child) };
}

/** One production API process (`pnpm --filter api start`), ready once its /health answers 200. */
export async function startApiServer(options: {
  port: number;
  mongodbUrl: string;
  webOrigin: string;
  env?: Record<string, string>;
}): Promise<ApiProcess> {
  const api = await startApiProcess({
    port: options.port,
    env: {
      MONGODB_URL: options.mongodbUrl,
      SECURE_COOKIES: 'false',
      // The site forwards /trpc/* (passkeys) from this host: its X-Forwarded-For is the browser's address.
      TRUST_PROXY: '127.0.0.1',
      WEB_ORIGIN: options.webOrigin,
      LOG_LEVEL: 'warn',
      AUTH_SECRET_KEY: E2E_SECRET_KEY,
      REGISTRATION_PER_HOUR: '100000',
      // Every browser asks for passkey options from 127.0.0.1 too.
      PASSKEY_CHALLENGES_PER_WINDOW: '100000',
      ...options.env,
    },
    echo: process.env.E2E_SERVER_LOG === '1',
  });
  try {
    await api.ready();
  } catch (error) {
    await api.stop();
    throw error;
  }
  return api;
}

const idpServe = join(repoRoot, 'packages/auth/src/identity-providers/testing/serve.ts');

/**
 * The identity providers of the run, in their own process: the test OpenID
 * provider (oidc-provider 9) and the GitHub fake, with callbacks to `webUrl`.
 * Resolves to the provider variables for the site and the API.
 */
export async function startIdentityProviders(webUrl: string): Promise<{
  child: Child;
  idpUrl: string;
  githubUrl: string;
  env: Record<string, string>;
}> {
  const [idpPort, githubPort] = await Promise.all([freePort(), freePort()]);
  const child = spawnChild('idp', [idpServe], {
    ...process.env,
    NODE_ENV: 'test',
    IDP_PORT: String(idpPort),
    GITHUB_FAKE_PORT: String(githubPort),
    SITE_URLS: webUrl,
  });
  const idpUrl = `http://127.0.0.1:${idpPort}`;
  const githubUrl = `http://127.0.0.1:${githubPort}`;
  try {
    await waitForHttp(child, `${idpUrl}/.well-known/openid-configuration`);
    await waitForHttp(child, `${githubUrl}/user`);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  // The client of serve.ts (DEV_OIDC's id and secret) for both.
  const env = {
    OIDC_ISSUER: idpUrl,
    OIDC_CLIENT_ID: 'authkit-dev',
    OIDC_CLIENT_SECRET: 'authkit-dev-secret',
    OIDC_NAME: 'Test ID',
    GITHUB_CLIENT_ID: 'authkit-dev',
    GITHUB_CLIENT_SECRET: 'authkit-dev-secret',
    GITHUB_URL: githubUrl,
    GITHUB_API_URL: githubUrl,
  };
  return { child, idpUrl, githubUrl, env };
}

export async function startStack(): Promise<Stack> {
  if (!existsSync(join(webBuild, 'index.js'))) {
    throw new Error(
      'apps/web/build is missing: run `pnpm --filter web build` first (turbo does this before `test`).',
    );
  }

  const children: Array<{ stop(): Promise<void> }> = [];
  let database: EmbeddedServer | null = null;
  let dataDir: string | null = null;
  let mongodbUrl: string | null = null;
  let mailpit: Mailpit | null = null;

  const stop = async () => {
    await Promise.all(children.reverse().map((child) => child.stop()));
    await mailpit?.stop();
    if (mongodbUrl) {
      // The run's own database; matters on a shared server given by MONGODB_URL.
      const connection = connectDatabase(mongodbUrl);
      await connection.db.dropDatabase().catch(() => {});
      await connection.close();
    }
    await database?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    let server: URL;
    if (process.env.MONGODB_URL) {
      server = new URL(process.env.MONGODB_URL);
    } else {
      dataDir = mkdtempSync(join(tmpdir(), 'authkit-e2e-db-'));
      database = await startEmbeddedServer({ dataDir });
      server = new URL(database.uri);
    }
    // A fresh database for this run, on the same server (keeping any query options).
    server.pathname = `/e2e_${Date.now().toString(36)}`;
    mongodbUrl = server.toString();
    const databaseUrl = mongodbUrl;

    const [webPort, apiPort] = await Promise.all([freePort(), freePort()]);
    const webUrl = `http://127.0.0.1:${webPort}`;
    mailpit = await startMailpit();
    // Mail leaves from whichever process wrote it; every link points to the site.
    const idp = await startIdentityProviders(webUrl);
    children.push({ stop: () => stopChild(idp.child) });
    // The site and the API offer the same providers (the API lists and disconnects them).
    const mailEnv = { SMTP_URL: mailpit.smtpUrl, SITE_URL: webUrl, ...idp.env };

    const api = await startApiServer({
      port: apiPort,
      mongodbUrl: databaseUrl,
      webOrigin: webUrl,
      env: mailEnv,
    });
    children.push(api);

    const web = await startWebServer({
      port: webPort,
      mongodbUrl: databaseUrl,
      env: { ...mailEnv, API_URL: api.url },
    });
    children.push(web);

    return {
      webUrl,
      apiUrl: api.url,
      mongodbUrl: databaseUrl,
      mailpitUrl: mailpit.webUrl,
      smtpUrl: mailpit.smtpUrl,
      idpUrl: idp.idpUrl,
      githubUrl: idp.githubUrl,
      providerEnv: idp.env,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
