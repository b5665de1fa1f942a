// The floor: a minimal tRPC standalone server from the same @trpc/server
// version as the API, one constant query and nothing else (no logging, no
// context, no CORS). What `ping` and `auth.me` are measured against.
import { initTRPC } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';

const t = initTRPC.create();
const router = t.router({ ping: t.procedure.query(() => ({ ok: true as const })) });

const port = Number(process.env.PORT ?? 0);
createHTTPServer({ router, basePath: '/trpc/' }).listen(port, '127.0.0.1');
// A clean exit on SIGTERM, so that BENCH_PROFILE's CPU profile gets written.
process.once('SIGTERM', () => process.exit(0));
