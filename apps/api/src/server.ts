// The HTTP server: GET /health, tRPC at /trpc, CORS for the web origin, one
// log line per request. Tests and the benchmark start it on a free port.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Auth } from '@authkit/auth';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { createContextFactory } from './context.ts';
import { retryAfterSeconds, toTRPCError, unavailableMessage } from './errors.ts';
import { databaseUp } from './health.ts';
import { appRouter } from './router.ts';
import { createTrpcHandler } from './trpc-http.ts';

/** Larger bodies get 413. Above 1 MB so that an oversized field gets its 400 from the input check. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** How long close() waits for in-flight requests before cutting connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface ApiServerOptions {
  auth: Auth;
  config: Pick<Config, 'host' | 'port' | 'webOrigin' | 'trustProxy'>;
  logger: Logger;
  /** False until the database indexes exist (main.ts); tRPC answers 503 meanwhile. */
  isReady?: () => boolean;
}

export interface ApiServer {
  server: http.Server;
  listen(): Promise<{ url: string }>;
  close(): Promise<void>;
}

export function createApiServer(options: ApiServerOptions): ApiServer {
  const { auth, config, logger } = options;
  const isReady = options.isReady ?? (() => true);
  // The request line holds only the fields written below, never headers, a
  // query string or a body: redaction (about 10 µs a line, most of what a
  // line costs) has nothing to find there, so this child skips it.
  const requestLog = logger.child({}, { redact: [] });
  const requestIds = new WeakMap<http.IncomingMessage, string>();
  let closing = false;

  const trpcHandler = createTrpcHandler({
    router: appRouter,
    createContext: createContextFactory({ auth, config, logger }),
    maxBodySize: MAX_BODY_BYTES,
    maxBatchSize: 20,
    // Queries may also be POSTed, for inputs too long for a URL. Mutations are never GET.
    allowMethodOverride: true,
    // What differs per answer. Cache-Control and Vary: origin are set on every
    // answer in handle() (tRPC's own Vary is added to it).
    responseMeta({ ctx, info, errors }) {
      const headers: Record<string, string | string[]> = {};
      // tRPC leaves the content type out of its early refusals (a URL or body
      // type it cannot parse, streaming without batching), whose bodies are JSON too.
      if (!info || (info.accept === 'application/jsonl' && !info.isBatchCall)) {
        headers['content-type'] = 'application/json';
      }
      const cookies: string[] = [];
      if (ctx?.response.cookie) cookies.push(ctx.response.cookie.serialize());
      if (ctx?.response.deviceCookie) cookies.push(ctx.response.deviceCookie.serialize());
      if (cookies.length > 0) headers['set-cookie'] = cookies;
      const retryAfter = retryAfterSeconds(errors);
      if (retryAfter !== null) headers['retry-after'] = String(retryAfter);
      return { headers };
    },
    onError({ error: thrown, req, path }) {
      const reqId = requestIds.get(req as http.IncomingMessage);
      // What a procedure threw arrives wrapped in a 500; a known failure is not one.
      const error = toTRPCError(thrown);
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        logger.error({ reqId, path, err: error.cause ?? error }, 'unexpected error');
      } else if (error.code === 'SERVICE_UNAVAILABLE') {
        logger.warn({ reqId, path, cause: causeMessage(error) }, 'database unavailable');
      }
    },
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const reqId = requestId(req);
    requestIds.set(req, reqId);
    res.setHeader('x-request-id', reqId);
    const url = URL.parse(req.url ?? '/', 'http://localhost');
    // One line per request, never headers, query strings or bodies (tokens, passwords).
    res.once('close', () => {
      const status = res.statusCode;
      const line = {
        reqId,
        method: req.method,
        route: url ? url.pathname.slice(0, 200) : null,
        status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (status >= 500) requestLog.warn(line, 'request');
      else requestLog.info(line, 'request');
      // Closing: a keep-alive connection goes once its last answer is out,
      // rather than when the client drops it.
      if (closing) server.closeIdleConnections();
    });
    if (!url) return sendJson(res, 400, { error: 'Bad request' });

    const origin = req.headers.origin;
    if (origin === config.webOrigin) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-expose-headers', 'retry-after, x-request-id');
    }
    res.setHeader('vary', 'origin');

    if (req.method === 'OPTIONS') {
      // CORS preflight: only the web origin gets the grant.
      if (origin !== config.webOrigin) return sendJson(res, 403, { error: 'Origin not allowed' });
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader(
        'access-control-allow-headers',
        'content-type, authorization, trpc-accept, x-trpc-source, x-device-token',
      );
      res.setHeader('access-control-max-age', '600');
      res.statusCode = 204;
      return void res.end();
    }

    if (url.pathname === '/health') {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return sendJson(res, 405, { error: 'Method not allowed' });
      const up = isReady() && (await databaseUp(auth.database));
      return sendJson(res, up ? 200 : 503, up ? { ok: true, db: 'up' } : { ok: false, db: 'down' });
    }

    if (url.pathname === '/trpc' || url.pathname.startsWith('/trpc/')) {
      if (!isReady()) {
        return sendJson(res, 503, {
          error: {
            code: -32603,
            message: unavailableMessage,
            data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503 },
          },
        });
      }
      res.setHeader('cache-control', 'no-store');
      // The procedure path: what follows /trpc/, without the slashes around it.
      return trpcHandler(req, res, url, url.pathname.slice('/trpc'.length).replace(/^\/|\/$/g, ''));
    }

    sendJson(res, 404, { error: 'Not found' });
  }

  const server = http.createServer((req, res) => {
    // Every answer is JSON (or empty): never let a browser sniff it into HTML or script.
    res.setHeader('x-content-type-options', 'nosniff');
    handle(req, res).catch((error: unknown) => {
      logger.error({ reqId: requestIds.get(req), err: error }, 'unexpected error');
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: 'Internal server error' });
    });
  });
  // Bounded waits for slow clients.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  // What Node refuses before a request exists (malformed HTTP, a URL or headers
  // over the size limit, headers too slow): answered in JSON too, like the rest.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : 400;
    logger.info({ status, code: error.code }, 'refused before parsing');
    socket.end(rawJsonResponse(status, clientErrorBody(status)));
  });

  return {
    server,
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const address = server.address();
          const port = typeof address === 'object' && address ? address.port : config.port;
          const host = config.host.includes(':') ? `[${config.host}]` : config.host;
          resolve({ url: `http://${host}:${port}` });
        });
      });
    },
    close() {
      // Stop accepting; idle keep-alive connections go now, busy ones when
      // their request is answered, and after the grace period regardless.
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        closing = true;
        const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(body));
}

/** A tRPC-shaped error for a request that never reached tRPC. */
function clientErrorBody(status: number) {
  const timeout = status === 408;
  return {
    error: {
      code: timeout ? -32008 : -32600,
      message: http.STATUS_CODES[status] ?? 'Bad Request',
      data: { code: timeout ? 'TIMEOUT' : 'BAD_REQUEST', httpStatus: status },
    },
  };
}

/** A complete HTTP/1.1 response, for a socket without a request to answer through. */
function rawJsonResponse(status: number, body: unknown): string {
  const text = JSON.stringify(body);
  return [
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}`,
    'content-type: application/json',
    'x-content-type-options: nosniff',
    'cache-control: no-store',
    `content-length: ${Buffer.byteLength(text)}`,
    'connection: close',
    '',
    text,
  ].join('\r\n');
}

/** The caller's request id when it looks like one (proxies set it), else a new one. */
function requestId(req: http.IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
}

function causeMessage(error: Error): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
