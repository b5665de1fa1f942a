// The API's own tRPC-over-node:http handler (trpc-http.ts) against a real
// server: what tRPC's standalone adapter did must still hold for requests
// without a body (the lean path) and with one (tRPC's own Request).
import { connect } from 'node:net';
import { createTRPCClient, httpBatchStreamLink } from '@trpc/client';
import { expect, it } from 'vitest';
import type { AppRouter } from './router.ts';
import { mutate, query, send, signUp, useTestApi } from './test-helpers/index.ts';

const api = useTestApi();

it('answers a batch of queries, plain and streamed', async () => {
  const signedIn = await signUp(api, { via: 'bearer' });
  const batch = await send(
    `${api.url}/trpc/ping,auth.me?batch=1&input=${encodeURIComponent('{}')}`,
    {
      headers: signedIn.bearer,
    },
  );
  expect(batch.status).toBe(200);
  expect(batch.headers.get('cache-control')).toBe('no-store');
  expect(batch.headers.get('vary')).toBe('origin, trpc-accept, accept');
  expect(batch.body).toEqual([
    { result: { data: { ok: true } } },
    {
      result: {
        data: expect.objectContaining({
          user: expect.objectContaining({ username: signedIn.username }),
        }),
      },
    },
  ]);

  // As httpBatchStreamLink asks for it: JSON lines, each result as it is ready.
  const client = createTRPCClient<AppRouter>({
    links: [httpBatchStreamLink({ url: `${api.url}/trpc`, headers: () => signedIn.bearer })],
  });
  const [ping, me] = await Promise.all([client.ping.query(), client.auth.me.query()]);
  expect(ping).toEqual({ ok: true });
  expect(me.user.username).toBe(signedIn.username);
  const raw = await fetch(`${api.url}/trpc/ping,auth.me?batch=1&input=%7B%7D`, {
    headers: { ...signedIn.bearer, 'trpc-accept': 'application/jsonl' },
  });
  expect(raw.status).toBe(200);
  expect(raw.headers.get('content-type')).toBe('application/json');
  const lines = (await raw.text()).trim().split('\n');
  expect(lines.length).toBeGreaterThan(1);
  for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
});

it('keeps the method rules: HEAD, a mutation over GET, a query over POST', async () => {
  const head = await fetch(`${api.url}/trpc/ping`, { method: 'HEAD' });
  expect(head.status).toBe(204);

  const mutationOverGet = await query(api, 'auth.logout');
  expect(mutationOverGet.status).toBe(405);
  expect(mutationOverGet.headers.get('allow')).toBe('POST');
  expect(mutationOverGet.body.error.data.code).toBe('METHOD_NOT_SUPPORTED');

  // Queries may be POSTed (inputs too long for a URL).
  const queryOverPost = await mutate(api, 'ping', {});
  expect(queryOverPost.status).toBe(200);
  expect(queryOverPost.body.result.data).toEqual({ ok: true });
});

it('answers a GET that names a body type without a 500', async () => {
  // A GET has no body to read: tRPC refuses the types it would read a body
  // for, and reads any other as JSON from the URL.
  const statuses: Record<string, number> = {};
  for (const contentType of [
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'text/plain',
  ]) {
    statuses[contentType] = (
      await send(`${api.url}/trpc/ping`, { headers: { 'content-type': contentType } })
    ).status;
  }
  expect(statuses).toEqual({
    'multipart/form-data; boundary=x': 405,
    'application/octet-stream': 405,
    'text/plain': 200,
  });
});

it('still answers after clients that leave before their answer', async () => {
  const { hostname, port } = new URL(api.url);
  await Promise.all(
    Array.from({ length: 50 }, (_, index) => {
      return new Promise<void>((resolve) => {
        const socket = connect(Number(port), hostname, () => {
          socket.write(
            `GET /trpc/${index % 2 ? 'ping' : 'auth.me'} HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`,
          );
          socket.destroy();
          resolve();
        });
        socket.on('error', () => resolve());
      });
    }),
  );
  const after = await query(api, 'ping');
  expect(after.status).toBe(200);
});
