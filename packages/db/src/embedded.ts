// An embedded MongoDB-compatible server for dev and tests, used only when no
// MONGODB_URL is given. Tried in order:
//   1. a real `mongod` on PATH;
//   2. mongodb-memory-server, when it has (or can fetch) a mongod binary;
//   3. FerretDB v1 (SQLite storage): our wrapper in packages/db/ferretdb, built
//      into .tools/bin by script/bootstrap.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { MongoClient } from 'mongodb';

export type EmbeddedKind = 'mongod' | 'memory-server' | 'ferretdb';

export interface EmbeddedServer {
  kind: EmbeddedKind;
  /** Connection string without a database name, e.g. mongodb://127.0.0.1:27018 */
  uri: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Where the server keeps its files; kept across restarts. */
  dataDir: string;
  /** Fixed port (dev, restarts in tests); a free one when omitted. */
  port?: number;
  /** Skip kinds, e.g. to force FerretDB. Also read from AUTHKIT_EMBEDDED_KIND. */
  only?: EmbeddedKind;
}

const READY_TIMEOUT_MS = 60_000;

export async function startEmbeddedServer(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const only = options.only ?? (process.env.AUTHKIT_EMBEDDED_KIND as EmbeddedKind | undefined);
  const tried: string[] = [];

  const mongod = findOnPath('mongod');
  if ((!only || only === 'mongod') && mongod) {
    const dir = join(dataDir, 'mongod');
    mkdirSync(dir, { recursive: true });
    return startProcess('mongod', mongod, ['--dbpath', dir, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet'], port, dataDir);
  }
  tried.push('no `mongod` on PATH');

  if (!only || only === 'memory-server') {
    try {
      return await startMemoryServer(dataDir, port);
    } catch (error) {
      tried.push(`mongodb-memory-server could not get a mongod binary (${firstLine(error)})`);
    }
  }

  const ferretdb = findFerretDb();
  if ((!only || only === 'ferretdb') && ferretdb) {
    const dir = join(dataDir, 'ferretdb');
    mkdirSync(dir, { recursive: true });
    return startProcess(
      'ferretdb',
      ferretdb,
      [`--listen-addr=127.0.0.1:${port}`, `--sqlite-url=file:${dir}/`],
      port,
      dataDir,
    );
  }
  tried.push('no FerretDB binary in .tools/bin');

  throw new Error(
    `No MongoDB server available: ${tried.join('; ')}.\n` +
      'Set MONGODB_URL to a MongoDB server, install `mongod` on PATH, ' +
      'or install Go and run script/bootstrap to build FerretDB.',
  );
}

async function startProcess(
  kind: EmbeddedKind,
  binary: string,
  args: string[],
  port: number,
  dataDir: string,
): Promise<EmbeddedServer> {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const uri = `mongodb://127.0.0.1:${port}`;
  try {
    await waitUntilReady(uri, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    process.off('exit', killOnExit);
    throw error;
  }
  return {
    kind,
    uri,
    port,
    dataDir,
    async stop() {
      process.off('exit', killOnExit);
      await stopChild(child);
    },
  };
}

async function startMemoryServer(dataDir: string, port: number): Promise<EmbeddedServer> {
  // Only a binary that is already cached (script/bootstrap tries to fetch one):
  // a download attempt at every start costs seconds where the network is closed.
  process.env.MONGOMS_RUNTIME_DOWNLOAD ??= 'false';
  const { MongoBinary, MongoMemoryServer } = await import('mongodb-memory-server-core');
  // Ask for the binary first: getPath fails quietly, while a failed create()
  // prints a long stack trace on every start.
  await MongoBinary.getPath();
  const dbPath = join(dataDir, 'memory-server');
  mkdirSync(dbPath, { recursive: true });
  const server = await withTimeout(
    MongoMemoryServer.create({ instance: { dbPath, port, ip: '127.0.0.1', storageEngine: 'wiredTiger' } }),
    READY_TIMEOUT_MS,
    'mongodb-memory-server start',
  );
  return {
    kind: 'memory-server',
    uri: `mongodb://127.0.0.1:${port}`,
    port,
    dataDir,
    async stop() {
      await server.stop({ doCleanup: false });
    },
  };
}

async function waitUntilReady(uri: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`database server ${exited}: ${stderr().trim()}`);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
    try {
      await client.db('admin').command({ ping: 1 });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await client.close().catch(() => {});
    }
  }
  throw new Error(`database server did not answer within ${READY_TIMEOUT_MS} ms: ${stderr().trim()}`);
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** A port the OS says is free right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function findFerretDb(): string | undefined {
  if (process.env.AUTHKIT_TOOLS_DIR) {
    const candidate = join(process.env.AUTHKIT_TOOLS_DIR, 'bin', 'ferretdb');
    if (existsSync(candidate)) return candidate;
  }
  // The repository's own .tools folder, found from this file's location.
  let dir = import.meta.dirname;
  while (dir !== dirname(dir)) {
    const candidate = join(dir, '.tools', 'bin', 'ferretdb');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
}
