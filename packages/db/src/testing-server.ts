import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedServer } from './embedded.ts';

export interface TestServer {
  /** Server address without a database name. */
  uri: string;
  stop(): Promise<void>;
}

/**
 * The server for one test run: MONGODB_URL when set (nothing to stop), otherwise
 * an embedded server in a throw-away folder, removed when stopped.
 */
export async function startTestServer(): Promise<TestServer> {
  if (process.env.MONGODB_URL) {
    const url = new URL(process.env.MONGODB_URL);
    url.pathname = '/';
    return { uri: url.toString().replace(/\/$/, ''), stop: async () => {} };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'authkit-test-db-'));
  const server = await startEmbeddedServer({ dataDir });
  return {
    uri: server.uri,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
