// Processes a test file owns: database servers for outage tests, and the real
// API process (api-process.ts) with the defaults of the API's own tests.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedServer, type EmbeddedServer } from '@authkit/db/embedded';
import { afterAll } from 'vitest';
import { startApiProcess, type ApiProcess } from './api-process.ts';

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

/** One signing key for every API process a test run starts (production requires one). */
const processSecretKey = randomBytes(32).toString('base64');

/**
 * The real API process (production mode, its start script) on a free port,
 * with `env` over these tests' defaults: a signing key, info logs (the tests
 * read them) and no SMTP_URL. It does not wait for it to be ready (`ready()`).
 * The caller stops it.
 */
export function spawnApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  return startApiProcess({
    env: { AUTH_SECRET_KEY: processSecretKey, LOG_LEVEL: 'info', SMTP_URL: '', ...env },
  });
}
