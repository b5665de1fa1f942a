// Users registered and signed in through the API itself, over the bearer
// token, the session cookie, or both.
import { randomBytes } from 'node:crypto';
import { mutate, type CallHeaders } from './calls.ts';
import { WEB_ORIGIN, type TestApi } from './server.ts';

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
export type BearerAccount = Account & BearerSession;
/** Signed in over the cookie (`via: 'cookie'`). */
export type CookieAccount = Account & CookieSession;
/** Signed in twice (`via: 'both'`): a bearer session and a separate cookie session. */
export type BearerAndCookieAccount = Account & BearerSession & CookieSession;

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
): Promise<BearerAndCookieAccount>;
export function signUp(
  api: TestApi,
  options: SignUpOptions & { via: 'cookie' },
): Promise<CookieAccount>;
export function signUp(
  api: TestApi,
  options?: SignUpOptions & { via?: 'bearer' },
): Promise<BearerAccount>;
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
