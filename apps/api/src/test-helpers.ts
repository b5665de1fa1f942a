// For the API's tests: a real server on a free port over a fresh database,
// plain-HTTP call helpers, and users signed in through the API itself.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createAuth, type Auth, type AuthOptions } from '@authkit/auth';
import { connectDatabase, type Database } from '@authkit/db';
import { testDatabaseUrl } from '@authkit/db/testing';
// Brings the type of `inject('mongodbUrl')` (declared beside the global setup).
import type {} from '@authkit/db/testing-global-setup';
import pino from 'pino';
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

export async function startTestApi(
  options: Partial<Omit<AuthOptions, 'database'>> = {},
): Promise<TestApi> {
  const database = connectDatabase(testDatabaseUrl());
  const auth = createAuth({
    // Tests sign in many times from one address: only the account throttle matters here.
    throttle: { accountFreeFailures: 3, addressFreeFailures: 1_000, baseLockMs: 60_000 },
    ...options,
    database,
  });
  await auth.ensureReady();
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  const api = createApiServer({
    auth,
    config: { host: '127.0.0.1', port: 0, webOrigin: WEB_ORIGIN, trustProxy: false },
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
      await database.db.dropDatabase().catch(() => {});
      await database.close();
    },
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

/** A password the auth package's strength check accepts. */
export function strongPassword(): string {
  return `Plum-${randomBytes(6).toString('hex')}-Otter-42`;
}

export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export interface SignedIn {
  id: string;
  username: string;
  email: string;
  password: string;
  token: string;
  /** `name=value`, ready for a Cookie header. */
  cookie: string;
  bearer: CallHeaders;
  /** Cookie plus the web origin, as the browser sends it from the site. */
  browser: CallHeaders;
}

/** Registers (admins as the CLI does) and signs in through the API. */
export async function signUp(
  api: TestApi,
  options: { role?: 'user' | 'admin'; remember?: boolean; userAgent?: string } = {},
): Promise<SignedIn> {
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
    id = registered.body.result.data.user.id;
  }
  const headers: CallHeaders = options.userAgent ? { 'user-agent': options.userAgent } : {};
  const login = await mutate(
    api,
    'auth.login',
    { username, password, remember: options.remember },
    headers,
  );
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  const token = login.body.result.data.token as string;
  const cookie = cookiePair(login.headers);
  return {
    id,
    username,
    email,
    password,
    token,
    cookie,
    bearer: { authorization: `Bearer ${token}`, ...headers },
    browser: { cookie, origin: WEB_ORIGIN, ...headers },
  };
}

/** `name=value` of the response's Set-Cookie. */
export function cookiePair(headers: Headers): string {
  const setCookie = headers.getSetCookie()[0];
  if (!setCookie) throw new Error('no Set-Cookie in the response');
  return setCookie.split(';', 1)[0]!;
}
