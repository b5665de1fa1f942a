// Plain-HTTP calls to the API (tRPC's wire format, as any client sends it),
// and a poll for what happens later.

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
