// A TCP relay in front of the test database that notes the name of every
// command the processes behind it send, so a test can tell how many database
// calls a request cost. Nothing is altered: bytes pass through as they came.
import { createServer, connect, type Server, type Socket } from 'node:net';

/** What a driver sends on its own (handshakes, server monitoring), not for a request. */
const MONITORING = new Set(['hello', 'ismaster', 'isMaster', 'endSessions']);
/** MongoDB wire protocol: OP_MSG, the only op code drivers send to MongoDB 3.6+. */
const OP_MSG = 2013;

export interface CommandCounter {
  /** A connection string through the relay for `mongodbUrl`'s database (a direct connection). */
  url: string;
  /** Names of the commands seen so far, monitoring left out. */
  commands(): string[];
  close(): Promise<void>;
}

export async function startCommandCounter(mongodbUrl: string): Promise<CommandCounter> {
  const target = new URL(mongodbUrl);
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 27017), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.once('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Whole messages only: a message starts with its int32 length.
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const length = pending.readInt32LE(0);
        const name = commandName(pending.subarray(0, length));
        if (name && !MONITORING.has(name)) seen.push(name);
        pending = pending.subarray(length);
      }
      upstream.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no relay address');
  const url = new URL(mongodbUrl);
  url.host = `127.0.0.1:${address.port}`;
  // Otherwise a driver that finds a replica set goes to its members directly.
  url.searchParams.set('directConnection', 'true');
  return {
    url: url.toString(),
    commands: () => [...seen],
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * The command of an OP_MSG: the first key of its body document. Layout: a
 * 16-byte header (length, request id, response to, op code), int32 flags, then
 * a section of kind 0 holding a BSON document (int32 size, then elements of a
 * type byte and a NUL-terminated name).
 */
function commandName(message: Buffer): string | null {
  if (message.length < 27 || message.readInt32LE(12) !== OP_MSG || message[20] !== 0) return null;
  const start = 26;
  const end = message.indexOf(0, start);
  return end > start ? message.toString('utf8', start, end) : null;
}
