// A workaround for a hang in the MongoDB Node.js driver (seen in 6.22.0; 7.5.0
// has the same code): when the server closes a connection (it is stopping),
// Node ends and destroys the socket on the FIN, and the driver learns of it a
// moment later, on the socket's 'close' event. A command written in between
// goes to a destroyed socket: `write()` returns false, raises no 'error', and
// the driver then waits for a 'drain' event that never comes. When that command
// is the server monitor's heartbeat, the monitor stops for good: the server
// stays "unknown", every operation fails server selection, and the process
// never recovers after the database comes back (seen in apps/api's
// robustness/fault.test.ts, about one restart in eight).
//
// The fix: a command on a connection whose socket is no longer writable fails
// at once with the network error the driver raises for a closed connection,
// which the monitor and the connection pool handle as they should.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { MongoNetworkError } from 'mongodb';

interface DriverConnection {
  socket: Socket;
  id: number | string;
  address: string;
  onError(error: Error): void;
  writeCommand(command: unknown, options: unknown): Promise<void>;
}

let installed = false;

/** Patches the driver's Connection once per process; a no-op if its shape is not the expected one. */
export function installDriverWorkaround(): void {
  if (installed) return;
  installed = true;
  let prototype: DriverConnection | undefined;
  try {
    // Resolved from this package, so it is the driver instance `connectDatabase` uses.
    const require = createRequire(import.meta.url);
    const module = require('mongodb/lib/cmap/connection.js') as {
      Connection?: { prototype: DriverConnection };
    };
    prototype = module.Connection?.prototype;
  } catch {
    return;
  }
  if (!prototype || typeof prototype.writeCommand !== 'function') return;
  const writeCommand = prototype.writeCommand;
  prototype.writeCommand = function (this: DriverConnection, command: unknown, options: unknown) {
    const socket = this.socket as Socket | undefined;
    if (socket && !socket.writable) {
      const error = new MongoNetworkError(`connection ${this.id} to ${this.address} closed`);
      this.onError(error); // marks the connection closed, as the driver's own socket handlers do
      return Promise.reject(error);
    }
    return writeCommand.call(this, command, options);
  };
}
