// Every answer of the API carries X-Content-Type-Options: nosniff (a JSON body
// must never be sniffed into HTML or script by a browser): tRPC results and
// errors, /health, 404s, CORS preflights, and what Node refuses before a
// request exists.
import { connect } from 'node:net';
import { expect, it } from 'vitest';
import { mutate, query, send, useTestApi, WEB_ORIGIN } from './test-helpers/index.ts';

const api = useTestApi();

/** Writes `request` to the API's socket as is; the whole answer, as text. */
function rawExchange(request: string): Promise<string> {
  const { hostname, port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

it('sends nosniff on every kind of answer', async () => {
  const answers = {
    health: await send(`${api.url}/health`, {}),
    query: await query(api, 'health'),
    anonymous: await query(api, 'auth.me'),
    badInput: await mutate(api, 'auth.login', { username: 1 }),
    noProcedure: await query(api, 'no.such.procedure'),
    notFound: await send(`${api.url}/nowhere`, {}),
    wrongMethod: await send(`${api.url}/health`, { method: 'DELETE' }),
    preflight: await send(`${api.url}/trpc/auth.login`, {
      method: 'OPTIONS',
      headers: { origin: WEB_ORIGIN, 'access-control-request-method': 'POST' },
    }),
    refusedPreflight: await send(`${api.url}/trpc/auth.login`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    }),
    tooLong: await send(`${api.url}/trpc/auth.me?input=${'x'.repeat(40_000)}`, {}),
  };
  for (const [name, answer] of Object.entries(answers)) {
    expect(answer.headers.get('x-content-type-options'), name).toBe('nosniff');
  }
  // The statuses show each answer came from a different path through the server.
  expect(Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, v.status]))).toEqual({
    health: 200,
    query: 200,
    anonymous: 401,
    badInput: 400,
    noProcedure: 404,
    notFound: 404,
    wrongMethod: 405,
    preflight: 204,
    refusedPreflight: 403,
    tooLong: 431,
  });

  // Not HTTP at all: answered on the raw socket.
  const raw = await rawExchange('NOT HTTP AT ALL\r\n\r\n');
  expect(raw).toMatch(/^HTTP\/1\.1 400 /);
  expect(raw.slice(0, raw.indexOf('\r\n\r\n'))).toMatch(/^x-content-type-options: nosniff$/im);
});
