// For the API's tests: a real server on a free port over a fresh database,
// plain-HTTP call helpers, and users signed in through the API itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createAuth, type Auth, type AuthOptions } from '@authkit/auth';
import { connectDatabase, type Database } from '@authkit/db';
import { freePort, startEmbeddedServer, type EmbeddedServer } from '@authkit/db/embedded';
import { testDatabaseUrl } from '@authkit/db/testing';
import { afterAll, beforeAll } from 'vitest';
import { createLogger } from './logger.ts';
import { createApiServer } from './server.ts';

export const WEB_ORIGIN = 'http://localhost:5173';

export interface TestApi {
  url: string;
  auth: Auth;
  database: Database;
  /** Every log line the server wrote, parsed. */
  logs: Record<string, unknown>[];
  /** The raw log output. */
  logText(): string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Keep every log line for `logs` (the default); false writes them to nowhere, for long runs. */
  keepLogs?: boolean;
  /** Let the database client emit `commandStarted` (for counting round trips). */
  monitorCommands?: boolean;
  /** TRUST_PROXY: believe X-Forwarded-For and X-Forwarded-Proto (default false). */
  trustProxy?: boolean;
}

export async function startTestApi(
  options: Partial<Omit<AuthOptions, 'database'>> = {},
  harness: HarnessOptions = {},
): Promise<TestApi> {
  const database = connectDatabase(testDatabaseUrl(), {
    monitorCommands: harness.monitorCommands ?? false,
  });
  const auth = createAuth({
    // Tests sign in many times from one address: only the account throttle matters here.
    throttle: {
      accountFreeFailures: 3,
      addressFreeFailures: 1_000,
      baseLockMs: 60_000,
      registrationsPerHour: 10_000,
    },
    // Admins in tests not about second factors work without one; those tests turn the rule on.
    requireMfaForAdmins: false,
    ...options,
    database,
  });
  await auth.ensureReady();
  const lines: string[] = [];
  const keepLogs = harness.keepLogs ?? true;
  const stream = new Writable({
    write(chunk, _encoding, done) {
      if (keepLogs) lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  // The production logger (its redaction included), at a level that keeps everything.
  const logger = createLogger({ logLevel: 'debug' }, stream);
  const api = createApiServer({
    auth,
    config: {
      host: '127.0.0.1',
      port: 0,
      webOrigin: WEB_ORIGIN,
      trustProxy: harness.trustProxy ?? false,
    },
    logger,
  });
  const { url } = await api.listen();
  return {
    url,
    auth,
    database,
    get logs() {
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    logText: () => lines.join('\n'),
    async close() {
      await api.close();
      // Stops the mail sender and the feed reader (as main.ts does) before the database goes.
      await auth.close();
      await database.db.dropDatabase().catch(() => {});
      await database.close();
    },
  };
}

/**
 * The test API of the calling test file: started by a beforeAll hook on its
 * own fresh database, closed (and the database dropped) by an afterAll hook.
 * Call it at the top of a test file; read its fields inside tests.
 */
export function useTestApi(
  options: Partial<Omit<AuthOptions, 'database'>> = {},
  harness: HarnessOptions = {},
): TestApi {
  let current: TestApi | undefined;
  beforeAll(async () => {
    current = await startTestApi(options, harness);
  });
  afterAll(async () => {
    await current?.close();
  });
  const started = (): TestApi => {
    if (!current) throw new Error('the test API starts in beforeAll: use it inside tests');
    return current;
  };
  return {
    get url() {
      return started().url;
    },
    get auth() {
      return started().auth;
    },
    get database() {
      return started().database;
    },
    get logs() {
      return started().logs;
    },
    logText: () => started().logText(),
    close: () => started().close(),
  };
}

export interface CallResult {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever came back
  body: any;
}

export type CallHeaders = Record<string, string>;

/** A query: GET /trpc/<path>?input=<json>. */
export async function query(
  api: { url: string },
  path: string,
  input?: unknown,
  headers: CallHeaders = {},
) {
  const search = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  return send(`${api.url}/trpc/${path}${search}`, { method: 'GET', headers });
}

/** A mutation: POST /trpc/<path> with a JSON body. */
export async function mutate(
  api: { url: string },
  path: string,
  input?: unknown,
  headers: CallHeaders = {},
) {
  return send(`${api.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: input === undefined ? undefined : JSON.stringify(input),
  });
}

export async function send(url: string, init: RequestInit): Promise<CallResult> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

/** The id of the session the headers sign in with (from auth.me). */
export async function sessionIdOf(api: { url: string }, headers: CallHeaders): Promise<string> {
  const me = await query(api, 'auth.me', undefined, headers);
  if (me.status !== 200) throw new Error(`auth.me answered ${me.status}`);
  return me.body.result.data.session.id as string;
}

/** Polls until `check` passes; throws when the time is up. Resolves to the time it took. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`not within ${timeoutMs} ms`);
}

/**
 * Database servers of the calling test file's own, for outage tests: started on
 * a given port and data folder (so that a restart finds its data again), all
 * stopped and their folders removed by an afterAll hook.
 */
export function useEmbeddedServers() {
  const dataDirs: string[] = [];
  const servers: EmbeddedServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop().catch(() => {});
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });
  return {
    /** A fresh data folder, removed after the file. */
    tempDir(): string {
      const dir = mkdtempSync(join(tmpdir(), 'authkit-api-outage-'));
      dataDirs.push(dir);
      return dir;
    },
    async start(dataDir: string, port: number): Promise<EmbeddedServer> {
      const server = await startEmbeddedServer({ dataDir, port });
      servers.push(server);
      return server;
    },
  };
}

/** A password the auth package's strength check accepts. */
export function strongPassword(): string {
  return `Plum-${randomBytes(6).toString('hex')}-Otter-42`;
}

export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export interface Account {
  id: string;
  username: string;
  email: string;
  password: string;
}

/** A session signed in with `auth.login` and `bearer: true`: the token, kept by the client. */
export interface BearerSession {
  token: string;
  /** `Authorization: Bearer <token>` (plus the user agent, if any). */
  bearer: CallHeaders;
}

/** A session signed in with `auth.login` as the browser does: the session cookie only. */
export interface CookieSession {
  /** `name=value`, ready for a Cookie header. */
  cookie: string;
  /** Cookie plus the web origin, as the browser sends it from the site. */
  browser: CallHeaders;
}

/** Signed in over the bearer token (signUp's default). */
export type SignedIn = Account & BearerSession;
/** Signed in over the cookie (`via: 'cookie'`). */
export type SignedInBrowser = Account & CookieSession;
/** Signed in twice (`via: 'both'`): a bearer session and a separate cookie session. */
export type SignedInBoth = Account & BearerSession & CookieSession;

export interface LoginOptions {
  remember?: boolean;
  /** Extra request headers (a user agent, a forwarded address). */
  headers?: CallHeaders;
}

/**
 * A new session for the account over `auth.login` with `bearer: true`; checks
 * the contract on the way: a token in the body and no Set-Cookie.
 */
export async function bearerLogin(
  api: { url: string },
  account: { username: string; password: string },
  options: LoginOptions = {},
): Promise<BearerSession> {
  const headers = options.headers ?? {};
  const { username, password } = account;
  const input = { username, password, remember: options.remember, bearer: true };
  const login = await mutate(api, 'auth.login', input, headers);
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  const token = login.body.result.data.token;
  if (typeof token !== 'string') throw new Error('no token in the bearer login response');
  if (login.headers.getSetCookie().length > 0) throw new Error('a bearer login set a cookie');
  return { token, bearer: { authorization: `Bearer ${token}`, ...headers } };
}

/**
 * A new session for the account over `auth.login` as a browser signs in (no
 * `bearer`); checks the contract on the way: a Set-Cookie and no token in the body.
 */
export async function cookieLogin(
  api: { url: string },
  account: { username: string; password: string },
  options: LoginOptions = {},
): Promise<CookieSession> {
  const headers = options.headers ?? {};
  const { username, password } = account;
  const input = { username, password, remember: options.remember };
  const login = await mutate(api, 'auth.login', input, headers);
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  const cookie = cookiePair(login.headers);
  if ('token' in login.body.result.data) throw new Error('a cookie login returned the token');
  return { cookie, browser: { cookie, origin: WEB_ORIGIN, ...headers } };
}

export interface SignUpOptions {
  role?: 'user' | 'admin';
  remember?: boolean;
  userAgent?: string;
  /**
   * How to sign in: `bearer` (default) asks `auth.login` for the token,
   * `cookie` signs in as the browser does, `both` does each (two sessions).
   */
  via?: 'bearer' | 'cookie' | 'both';
}

/** Registers (admins as the CLI does) and signs in through the API. */
export function signUp(
  api: TestApi,
  options: SignUpOptions & { via: 'both' },
): Promise<SignedInBoth>;
export function signUp(
  api: TestApi,
  options: SignUpOptions & { via: 'cookie' },
): Promise<SignedInBrowser>;
export function signUp(
  api: TestApi,
  options?: SignUpOptions & { via?: 'bearer' },
): Promise<SignedIn>;
export async function signUp(
  api: TestApi,
  options: SignUpOptions = {},
): Promise<Account & Partial<BearerSession & CookieSession>> {
  const username = uniqueName();
  const email = `${username}@example.com`;
  const password = strongPassword();
  let id: string;
  if (options.role === 'admin') {
    // Admins are made by trusted callers (the CLI), never through the API.
    const request = { ip: '127.0.0.1', userAgent: options.userAgent ?? null };
    id = (await api.auth.registerUser({ username, email, password }, request, { role: 'admin' }))
      .id;
  } else {
    const registered = await mutate(api, 'auth.register', { username, email, password });
    if (registered.status !== 200)
      throw new Error(`register failed: ${JSON.stringify(registered.body)}`);
    // With REQUIRE_VERIFIED_EMAIL the answer names nobody: find the new account.
    id =
      registered.body.result.data.user?.id ??
      (await api.auth.database.users.findOne({ username_key: username.toLowerCase() }))!._id;
  }
  const account = { id, username, email, password };
  const login: LoginOptions = {
    remember: options.remember,
    headers: options.userAgent ? { 'user-agent': options.userAgent } : {},
  };
  const via = options.via ?? 'bearer';
  return {
    ...account,
    ...(via !== 'cookie' ? await bearerLogin(api, account, login) : {}),
    ...(via !== 'bearer' ? await cookieLogin(api, account, login) : {}),
  };
}

/** `name=value` of the response's Set-Cookie. */
export function cookiePair(headers: Headers): string {
  const setCookie = headers.getSetCookie()[0];
  if (!setCookie) throw new Error('no Set-Cookie in the response');
  return setCookie.split(';', 1)[0]!;
}

/** One signing key for every API process a test run starts (production requires one). */
const processSecretKey = randomBytes(32).toString('base64');

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves to the exit code once it has exited. */
  exited: Promise<number | null>;
}

/**
 * Starts the real API process (`node src/main.ts`, production mode) on a free
 * port with `env` over the defaults; it does not wait for it to be ready (see
 * `eventually`). The caller stops it.
 */
export async function spawnApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: join(import.meta.dirname, '..'),
    env: {
      ...process.env,
      NODE_ENV: 'production',
      AUTH_SECRET_KEY: processSecretKey,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SMTP_URL: '',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { url: `http://127.0.0.1:${port}`, child, output: () => output, exited };
}
