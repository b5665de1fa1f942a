// `turbo dev` task: serves the embedded database, keeping its files in .data/ at
// the repository root: on DEV_MONGODB_URL when MONGODB_URL is unset (the API and
// the site default to it in development), or on the address in MONGODB_URL with
// AUTHKIT_EMBEDDED_DB=1. Does nothing when MONGODB_URL names a server of the
// developer's own.
import { join, resolve } from 'node:path';
import { DEV_MONGODB_URL } from './client.ts';
import { startEmbeddedServer } from './embedded.ts';

const configured = process.env.MONGODB_URL?.trim() || undefined;
if (configured && process.env.AUTHKIT_EMBEDDED_DB !== '1') {
  console.log('db: MONGODB_URL is set; no embedded server started');
  process.exit(0);
}

const url = new URL(configured ?? DEV_MONGODB_URL);
const port = Number(url.port || 27017);
const dataDir = join(resolve(import.meta.dirname, '../../..'), '.data', 'db');

const server = await startEmbeddedServer({ dataDir, port });
console.log(`db: ${server.kind} listening on ${server.uri} (data in ${dataDir})`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    process.exit(0);
  });
}
