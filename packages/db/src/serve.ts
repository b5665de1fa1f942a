// `turbo dev` task: serves the embedded database on the address in MONGODB_URL,
// keeping its files in .data/ at the repository root. Does nothing when the
// developer points MONGODB_URL at a server of their own (AUTHKIT_EMBEDDED_DB unset).
import { join, resolve } from 'node:path';
import { startEmbeddedServer } from './embedded.ts';

if (process.env.AUTHKIT_EMBEDDED_DB !== '1') {
  console.log(`db: using MONGODB_URL=${process.env.MONGODB_URL ?? '(unset)'}; no embedded server started`);
  process.exit(0);
}

const url = new URL(process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:27018/authkit');
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
