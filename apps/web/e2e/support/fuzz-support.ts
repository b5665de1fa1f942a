// The fuzz tests' tools (e2e/fuzz.e2e.ts): hostile form inputs as fast-check
// arbitraries, the two native body encodings written by hand (so they can carry
// what a browser would never send: lone surrogates, repeated keys, broken
// escapes), and a raw HTTP client that posts them from a chosen loopback address.
import { randomBytes } from 'node:crypto';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { testRequest } from '@authkit/auth/testing';
import fc from 'fast-check';
import { TEST_PROXY_HEADERS } from './stack.ts';

// ---- inputs ------------------------------------------------------------------

export interface Entry {
  name: string;
  value: string;
  /** Sent as a file part (multipart only); a urlencoded body sends it as text. */
  file?: boolean;
}

export type Encoding = 'urlencoded' | 'multipart';

/** One fuzzed form post: its fields, how they are encoded, and which answer is asked for. */
export interface FormCase {
  entries: Entry[];
  encoding: Encoding;
  /** `html`: a native post (no JavaScript); `json`: what `use:enhance` asks for. */
  accept: 'html' | 'json';
}

/** Echoed values carry it; it must never come back unescaped (XSS). */
export const MARKUP_MARKER = '<x-fuzz>';

const specialCharacters = [
  '\u0000', // NUL
  '\u0007',
  '\t',
  '\r\n',
  '\u202e', // right-to-left override
  '\u200f', // right-to-left mark
  '\u0301', // combining acute accent
  '\u200d', // zero-width joiner
  '\ufeff', // byte order mark
  '\uffff', // a noncharacter
  '\u2028', // line separator
  'İ', // changes length when lower-cased
  'ß',
  'ﬁ', // NFKC: "fi"
  '＄', // NFKC: "$"
  '𝐀', // astral (a surrogate pair)
  '$',
  '.',
  '@',
  '%',
  '&',
  '=',
  '+',
  '"',
  "'",
  '\\',
  '/',
  '[',
  ']',
  '{',
  '}',
];

/** One UTF-16 code unit of a surrogate pair, on its own: not valid Unicode text. */
const loneSurrogate = fc
  .integer({ min: 0xd800, max: 0xdfff })
  .map((code) => String.fromCharCode(code));

const character = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.constantFrom(...specialCharacters) },
  { weight: 1, arbitrary: loneSurrogate },
);

/** Short text of any characters, including the awkward ones. */
export const text = fc.string({ unit: character, maxLength: 40 });

/** Values that mean something to MongoDB, JavaScript or a template when misread. */
const hostileValues = [
  '',
  ' ',
  '$gt',
  '$ne',
  '{"$gt":""}',
  '{"$ne":null}',
  '{"$where":"sleep(1000)"}',
  '[$ne]',
  'null',
  'undefined',
  'true',
  'false',
  'on',
  'admin',
  'user',
  '0',
  '-1',
  '1e309',
  'NaN',
  '[object Object]',
  '__proto__',
  'constructor',
  '../../etc/passwd',
  `"><script>alert(1)</script>${MARKUP_MARKER}`,
  `${MARKUP_MARKER}</textarea>`,
  '%00',
  '%ED%A0%80',
  'a'.repeat(257),
  '\u0000',
  '\ud800',
  '\udfff\ud800',
  '\u202eadmin',
  `e${'\u0301'.repeat(300)}`,
];

/** Field values: random text, hostile constants, long runs of combining marks, big fields. */
export const fieldValue = fc.oneof(
  { weight: 10, arbitrary: text },
  { weight: 6, arbitrary: fc.constantFrom(...hostileValues) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 3_000 }).map((n) => `e${'\u0301'.repeat(n)}`) },
  { weight: 2, arbitrary: fc.webPath().map((path) => `/${path}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 60_000 }).map((n) => 'A'.repeat(n)) },
);

/** Field names that a careless server would turn into objects, operators or prototype writes. */
const hostileNames = [
  '__proto__',
  '__proto__[role]',
  'constructor',
  'constructor[prototype][role]',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '$where',
  '$gt',
  '$set',
  'role',
  'active',
  'user.role',
  'a.b.c',
  '',
  ' ',
  'username[$ne]',
  'username[$gt]',
  'username.$ne',
  'password[$ne]',
  'password[]',
  'userId[$ne]',
  'sessionId[$ne]',
  'next[]',
  'USERNAME',
  'username\u0000',
  '\u202eusername',
];

export function fieldName(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...known) },
    { weight: 3, arbitrary: fc.constantFrom(...hostileNames) },
    { weight: 2, arbitrary: text },
  );
}

function entry(known: readonly string[]): fc.Arbitrary<Entry> {
  return fc.record({
    name: fieldName(known),
    value: fieldValue,
    file: fc.oneof(
      { weight: 9, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
  });
}

/** Hundreds or thousands of small fields: repeated keys, or as many distinct ones. */
function manyEntries(known: readonly string[]): fc.Arbitrary<Entry[]> {
  return fc
    .record({
      count: fc.integer({ min: 200, max: 3_000 }),
      name: fieldName(known),
      value: fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
      distinct: fc.boolean(),
    })
    .map(({ count, name, value, distinct }) =>
      Array.from({ length: count }, (_, i) => ({ name: distinct ? `${name}${i}` : name, value })),
    );
}

/** A fuzzed form for an action whose real field names are `known`. */
export function formCase(known: readonly string[]): fc.Arbitrary<FormCase> {
  return fc.record({
    entries: fc.oneof(
      { weight: 12, arbitrary: fc.array(entry(known), { maxLength: 12 }) },
      { weight: 1, arbitrary: manyEntries(known) },
    ),
    encoding: fc.constantFrom<Encoding>('urlencoded', 'multipart'),
    accept: fc.constantFrom<FormCase['accept']>('html', 'html', 'json'),
  });
}

/**
 * A valid form for an action, broken in one required field so that it must be
 * refused: the field dropped, renamed (an operator or a path in its name),
 * given a hostile value, or shadowed by an earlier hostile copy (the first of
 * repeated keys counts).
 */
export function brokenForm(
  valid: Record<string, string>,
  required: readonly string[],
  badValues: readonly string[] = breakingValues,
): fc.Arbitrary<FormCase> {
  const renamed = (name: string) => [
    `${name}[$ne]`,
    `${name}[$gt]`,
    `${name}.$ne`,
    `$${name}`,
    `${name} `,
    name.toUpperCase(),
    `__proto__[${name}]`,
    `${name}\u0000`,
    `${name}[]`,
  ];
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('drop' as const), field: fc.constantFrom(...required) }),
    fc.constantFrom(...required).chain((field) =>
      fc.record({
        kind: fc.constant('rename' as const),
        field: fc.constant(field),
        to: fc.constantFrom(...renamed(field)),
      }),
    ),
    fc.record({
      kind: fc.constant('value' as const),
      field: fc.constantFrom(...required),
      to: fc.constantFrom(...badValues),
    }),
    fc.record({
      kind: fc.constant('shadow' as const),
      field: fc.constantFrom(...required),
      to: fc.constantFrom(...badValues),
    }),
  );
  return fc
    .record({
      mutation,
      extra: fc.array(fc.record({ name: fc.constantFrom(...hostileNames), value: fieldValue }), {
        maxLength: 4,
      }),
      encoding: fc.constantFrom<Encoding>('urlencoded', 'multipart'),
      accept: fc.constantFrom<FormCase['accept']>('html', 'json'),
    })
    .map(({ mutation, extra, encoding, accept }) => {
      const entries: Entry[] = [];
      if (mutation.kind === 'shadow') entries.push({ name: mutation.field, value: mutation.to });
      for (const [name, value] of Object.entries(valid)) {
        if (name !== mutation.field || mutation.kind === 'shadow') entries.push({ name, value });
        else if (mutation.kind === 'rename') entries.push({ name: mutation.to, value });
        else if (mutation.kind === 'value') entries.push({ name, value: mutation.to });
      }
      // Hostile extras never repeat a real field name, so they cannot repair the form.
      const extras = extra.filter((item) => !(item.name in valid));
      return { entries: [...entries, ...extras], encoding, accept };
    });
}

/** Values that make any required field of the site's forms invalid (or wrong). */
export const breakingValues = [
  '',
  '{"$ne":null}',
  '{"$gt":""}',
  '[object Object]',
  '\u0000',
  '\ud800',
  '\u202e',
  'A'.repeat(5_000),
];

/** A `next` to return to after signing in: paths, other sites, schemes, tricks with slashes and dots. */
export const oddNext = fc.oneof(
  fc.constantFrom(
    '',
    '/',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/%2F%2Fevil.example',
    '/%5Cevil.example',
    '/..//evil.example',
    '/./\\evil.example',
    'https://evil.example',
    'HTTPS://evil.example/',
    'javascript:alert(1)',
    ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    '\t//evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\u0000/evil.example',
    '/\u202e/evil.example',
    '/\ud800',
    '/logout',
    '/LOGOUT',
    '/logout?x=1',
    '/account#sessions',
    '/admin?page=2',
    `/${'a'.repeat(3_000)}`,
    'http:/evil.example',
    'http:evil.example',
    '/\u3002evil.example',
    '//evil.example@127.0.0.1',
    '/@evil.example',
  ),
  text,
  fc.webUrl(),
  fc.webPath().map((path) => `/${path}`),
  fc.tuple(fc.constantFrom('/', '//', '/\\', '/./', '/../', '\\/'), text).map(([a, b]) => a + b),
);

/** The site's routes that need a signed-in user or an admin, as SvelteKit names them. */
export const guardedRoutes = ['/dashboard', '/account', '/account/reauth', '/admin'] as const;

/** `%61`, `%6C` or `%6c`: a character percent-encoded, in either hex case. */
function percentEncoded(char: string, upper: boolean): string {
  const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? hex.toUpperCase() : hex.toLowerCase()}`;
}

/**
 * Another way to write the path of `route` (a route id without parameters):
 * letters percent-encoded, dot segments (`/./`, `/x/../`, `/%2e/`), a doubled
 * or encoded slash, a trailing slash, another letter case, and the
 * `__data.json` request of the client router (with its query parameters).
 * Some still reach the route, some are other paths (a 404): a guard must hold
 * for the first kind, and neither kind may be served unguarded.
 */
export function pathSpelling(route: string): fc.Arbitrary<string> {
  const segments = route.split('/').filter(Boolean);
  const segment = (name: string) =>
    fc
      .array(fc.record({ encode: fc.boolean(), upper: fc.boolean(), caseFlip: fc.nat(80) }), {
        minLength: name.length,
        maxLength: name.length,
      })
      .map((choices) =>
        [...name]
          .map((char, i) => {
            const { encode, upper, caseFlip } = choices[i]!;
            if (caseFlip === 0) return char.toUpperCase();
            return encode ? percentEncoded(char, upper) : char;
          })
          .join(''),
      );
  // Mostly a plain slash, so that many spellings still reach the route.
  const separator = fc.oneof(
    { weight: 12, arbitrary: fc.constant('/') },
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        '//',
        '/./',
        '/%2e/',
        '/%2E/',
        '/x/../',
        '/x/%2e%2e/',
        '%2F',
        '%2f',
        '\\',
      ),
    },
  );
  return fc
    .record({
      parts: fc.tuple(...segments.map(segment)),
      separators: fc.array(separator, { minLength: segments.length, maxLength: segments.length }),
      trailing: fc.constantFrom('', '', '', '/', '//', '/.', '%2F'),
      data: fc.constantFrom(
        null,
        null,
        '/__data.json',
        '/__data.json?x-sveltekit-invalidated=11',
        '/__data.json?x-sveltekit-invalidated=01',
        '/__data.json?x-sveltekit-trailing-slash=1&x-sveltekit-invalidated=1',
      ),
      query: fc.constantFrom('', '', '?page=2', '?x=%2F..%2Fadmin', '#top'),
    })
    .map(({ parts, separators, trailing, data, query }) => {
      const path = parts.map((part, i) => `${separators[i]}${part}`).join('');
      // The data suffix takes its own query; a fragment never reaches a server.
      if (data !== null) return `${path}${trailing.replace(/\/+$/, '')}${data}`;
      return `${path}${trailing}${query.startsWith('#') ? '' : query}`;
    });
}

/** True when a Location header stays on the site (a path, not another host or scheme). */
export function isSameSitePath(location: string, baseUrl: string): boolean {
  if (!location.startsWith('/') || location.startsWith('//') || location.startsWith('/\\')) {
    return false;
  }
  return new URL(location, baseUrl).origin === new URL(baseUrl).origin;
}

// ---- encodings ----------------------------------------------------------------

/**
 * UTF-8 of a JavaScript string, except that a lone surrogate is written as the
 * three bytes it would take (WTF-8): bytes no valid UTF-8 text contains.
 */
export function wtf8(value: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    let code = value.charCodeAt(i);
    const next = value.charCodeAt(i + 1);
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) {
      bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    } else {
      bytes.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 0x3f),
        0x80 | ((code >> 6) & 0x3f),
        0x80 | (code & 0x3f),
      );
    }
  }
  return Buffer.from(bytes);
}

/** application/x-www-form-urlencoded escaping (space as `+`), over WTF-8 bytes. */
export function formEscape(value: string): string {
  let out = '';
  for (const byte of wtf8(value)) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9*\-._]/.test(char)) out += char;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A form body and its Content-Type, as a browser would send it (and then some). */
export function encodeForm(form: FormCase): { body: Buffer; contentType: string } {
  if (form.encoding === 'urlencoded') {
    const body = form.entries
      .map((item) => `${formEscape(item.name)}=${formEscape(item.value)}`)
      .join('&');
    return { body: Buffer.from(body, 'latin1'), contentType: 'application/x-www-form-urlencoded' };
  }
  const boundary = `----fuzz${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const item of form.entries) {
    // Browsers escape these three in a part's name (HTML's multipart/form-data rules).
    const name = item.name.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
    const head = item.file
      ? `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="fuzz.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`
      : `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`;
    parts.push(wtf8(head), wtf8(item.value), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Bodies that are not well-formed forms, each with the Content-Type it claims. */
export const malformedBody: fc.Arbitrary<{ body: Buffer; contentType: string | null }> = fc.oneof(
  // Broken escapes, invalid UTF-8, stray separators in a urlencoded body.
  fc
    .array(
      fc.constantFrom(
        '%',
        '%%',
        '%zz',
        '%E',
        '%ED%A0%80',
        '%FF%FE',
        '%C0%AF',
        '%00',
        '&',
        '&&',
        '=',
        '==',
        '+',
        ';',
        'username',
        'password',
        'next',
        '\u00ff',
      ),
      { maxLength: 40 },
    )
    .map((pieces) => ({
      body: Buffer.from(pieces.join(''), 'latin1'),
      contentType: 'application/x-www-form-urlencoded',
    })),
  // Random bytes under every content type a form action might be sent.
  fc.record({
    body: fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
    contentType: fc.constantFrom(
      null,
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=utf-16',
      'application/x-www-form-urlencoded; charset=iso-8859-1',
      'multipart/form-data',
      'multipart/form-data; boundary=',
      'multipart/form-data; boundary=XYZ',
      'multipart/form-data; boundary="unterminated',
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-sveltekit-formdata',
      'application/json',
      'application/xml',
      'application/octet-stream',
      'text/html',
      'x/y',
    ),
  }),
  // Multipart bodies cut short, with the wrong boundary, or with broken part headers.
  fc
    .record({
      form: formCase(['username', 'password']),
      damage: fc.constantFrom('truncate', 'boundary', 'headers', 'no-end'),
      cut: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map(({ form, damage, cut }) => {
      const { body, contentType } = encodeForm({ ...form, encoding: 'multipart' });
      const text = body.toString('latin1');
      const damaged =
        damage === 'truncate'
          ? text.slice(0, Math.floor(text.length * cut))
          : damage === 'boundary'
            ? text.replaceAll('----fuzz', '----zzuf')
            : damage === 'headers'
              ? text.replaceAll('Content-Disposition: form-data; ', 'Content-Disposition:')
              : text.replace(/--\r\n$/, '\r\n');
      return { body: Buffer.from(damaged, 'latin1'), contentType };
    }),
);

// ---- HTTP ---------------------------------------------------------------------

export interface Answer {
  status: number;
  /**
   * Where a redirect goes: the Location header, or for an enhanced (JSON)
   * post, the redirect its `{ type: 'redirect' }` body describes.
   */
  location: string | null;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Post {
  path: string;
  body: Buffer;
  contentType: string | null;
  /** Sent as the session cookie. */
  token?: string | null;
  /** The Origin header; the site's own by default, null for none. */
  origin?: string | null;
  accept?: FormCase['accept'];
  /** Sent with chunked transfer encoding instead of a Content-Length. */
  chunked?: boolean;
  /** Other headers, e.g. a raw Cookie header (then leave `token` out). */
  headers?: Record<string, string>;
}

/**
 * Posts raw bodies to the site from one loopback address (on Linux, any
 * 127.x.y.z reaches the server on 127.0.0.1). Failed sign-ins are throttled
 * per client address, so the fuzz runs from addresses of its own and leaves
 * 127.0.0.1's allowance to the other browser tests; the throttle stays on.
 */
export class FormClient {
  readonly baseUrl: string;
  readonly address: string;
  readonly #agent: Agent;

  constructor(baseUrl: string, address: string) {
    this.baseUrl = baseUrl;
    this.address = address;
    this.#agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: address });
  }

  /** A form post as a browser sends it, with the fields of `form`. */
  postForm(
    path: string,
    form: FormCase,
    options: Omit<Post, 'path' | 'body' | 'contentType'> = {},
  ) {
    const { body, contentType } = encodeForm(form);
    return this.post({ path, body, contentType, accept: form.accept, ...options });
  }

  post(post: Post): Promise<Answer> {
    const headers: Record<string, string> = {
      accept: post.accept === 'json' ? 'application/json' : 'text/html,application/xhtml+xml',
      // The user agent the test sessions were created with: session protection
      // would otherwise make them stale (and every sensitive action a redirect).
      'user-agent': testRequest.userAgent ?? 'fuzz',
      ...(post.chunked
        ? { 'transfer-encoding': 'chunked' }
        : { 'content-length': String(post.body.length) }),
      ...post.headers,
    };
    const origin = post.origin === undefined ? this.baseUrl : post.origin;
    if (origin !== null) headers.origin = origin;
    if (post.contentType !== null) headers['content-type'] = post.contentType;
    if (post.token) headers.cookie = `authkit_session=${post.token}`;
    return this.#send('POST', post.path, headers, post.body);
  }

  get(path: string, token?: string): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'text/html', 'user-agent': 'fuzz' };
    if (token) headers.cookie = `authkit_session=${token}`;
    return this.#send('GET', path, headers, null);
  }

  /**
   * A GET of `path` exactly as written (`//account`, `/%61ccount`, `/./admin`):
   * not resolved against the base URL, which would read `//account` as a host.
   */
  getVerbatim(
    path: string,
    options: { token?: string | null; accept?: FormCase['accept']; cookies?: string[] } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {
      accept: options.accept === 'json' ? 'application/json' : 'text/html,application/xhtml+xml',
      'user-agent': testRequest.userAgent ?? 'fuzz',
    };
    const cookies = [...(options.cookies ?? [])];
    if (options.token) cookies.push(`authkit_session=${options.token}`);
    if (cookies.length > 0) headers.cookie = cookies.join('; ');
    return this.#send('GET', path, headers, null, { verbatim: true });
  }

  close(): void {
    this.#agent.destroy();
  }

  #send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Buffer | null,
    options: { verbatim?: boolean } = {},
  ): Promise<Answer> {
    // As the TLS proxy in front would (the site decides its origin per request).
    headers = { ...TEST_PROXY_HEADERS, ...headers };
    const base = new URL(this.baseUrl);
    // Host, port and the path as given, or the path resolved against the base URL.
    const target = options.verbatim
      ? { hostname: base.hostname, port: base.port, path }
      : (({ hostname, port, pathname, search }) => ({ hostname, port, path: pathname + search }))(
          new URL(path, this.baseUrl),
        );
    return new Promise((resolve, reject) => {
      const req = request(
        { ...target, method, headers, agent: this.#agent, timeout: 15_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              location: res.headers.location ?? enhancedRedirect(res.headers, text),
              headers: res.headers,
              body: text,
            });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 15 s`)));
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  }
}

function enhancedRedirect(headers: IncomingHttpHeaders, body: string): string | null {
  if (!headers['content-type']?.startsWith('application/json')) return null;
  try {
    const result: unknown = JSON.parse(body);
    if (typeof result !== 'object' || result === null) return null;
    const { type, location } = result as Record<string, unknown>;
    return type === 'redirect' && typeof location === 'string' ? location : null;
  } catch {
    return null;
  }
}

/** A redirect, whether a 303 or an enhanced post's `{ type: 'redirect' }` (answered with 200). */
export function redirectOf(answer: Answer): string | null {
  if (answer.status === 303 || answer.status === 200) return answer.location;
  return null;
}

/** A loopback address of its own for one group of fuzz requests (never 127.0.0.1). */
export function loopbackAddress(): string {
  const [a = 0, b = 0, c = 0] = randomBytes(3);
  return `127.${a}.${b}.${Math.max(2, c % 255)}`;
}

/** Path and query with an action name, escaped like a form's `action` attribute would be. */
export function actionPath(path: string, name: string): string {
  return `${path}?/${formEscape(name).replace(/\+/g, '%20')}`;
}

/** A short description of a case for assertion messages (long values cut). */
export function describeCase(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'string' && item.length > 120 ? `${item.slice(0, 120)}…(${item.length})` : item,
  );
}
