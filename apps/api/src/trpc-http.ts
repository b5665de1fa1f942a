// tRPC over node:http, for the API's server. tRPC's standalone adapter turns
// every request into a Fetch `Request` (undici's: a copy of the headers, an
// AbortController and a FinalizationRegistry entry, which only a full garbage
// collection releases, so it piles up in the old generation under load) and
// pipes every answer through a WritableStream. For the hot path, GET queries
// without a body, that adaptation was a large share of each call's CPU time
// and most of the garbage the process kept after load. Here tRPC's own
// `resolveResponse` (routing, batching, method override, input parsing,
// errors, the context) reads a small Request-shaped view of the
// IncomingMessage instead, and the answer's body is written chunk by chunk.
// A request with a body (POST) is still turned into a Request by tRPC's
// `incomingMessageToRequest`, so body limits and content types stay tRPC's.
// The view covers what @trpc/server (pinned) reads of a bodiless request;
// trpc-http.test.ts checks the behaviours that rely on it.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import {
  incomingMessageToRequest,
  internal_exceptionHandler,
} from '@trpc/server/adapters/node-http';
import type {
  CreateHTTPContextOptions,
  CreateHTTPHandlerOptions,
} from '@trpc/server/adapters/standalone';
import { resolveResponse } from '@trpc/server/http';
import type { AppRouter } from './router.ts';
import type { Context } from './trpc.ts';

type HandlerOptions = Pick<
  CreateHTTPHandlerOptions<AppRouter>,
  'router' | 'responseMeta' | 'onError' | 'maxBodySize' | 'maxBatchSize' | 'allowMethodOverride'
> & {
  createContext: (options: CreateHTTPContextOptions) => Promise<Context>;
};

/**
 * Answers one tRPC request. `url` is the request's parsed URL, `path` the
 * procedure path (what follows the API's base path, without slashes).
 */
export function createTrpcHandler(options: HandlerOptions) {
  const { router, createContext, responseMeta, onError, maxBodySize, maxBatchSize } = options;
  const allowMethodOverride = options.allowMethodOverride ?? false;
  return async (req: IncomingMessage, res: ServerResponse, url: URL, path: string) => {
    try {
      const request =
        req.method === 'GET' || req.method === 'HEAD'
          ? bodilessRequest(req, res, url)
          : incomingMessageToRequest(req, res, { maxBodySize: maxBodySize ?? null });
      const response = await resolveResponse({
        router,
        req: request,
        path,
        error: null,
        createContext: ({ info }) => createContext({ req, res, info }),
        responseMeta,
        onError: onError && ((details) => onError({ ...details, req })),
        maxBatchSize,
        allowMethodOverride,
      });
      await writeResponse(response, res, request.signal);
    } catch (error) {
      // As tRPC's adapter does: a formatted 500, and onError is told.
      internal_exceptionHandler({ req, res, path, router, onError, createContext })(error);
    }
  };
}

/**
 * What resolveResponse reads of a request without a body: its URL, method,
 * headers (`get`, `has`) and a signal that aborts when the client goes away.
 * Reading a body throws: GET and HEAD have none, and tRPC reads it only for POST.
 */
function bodilessRequest(req: IncomingMessage, res: ServerResponse, url: URL): Request {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableEnded) controller.abort();
  });
  const noBody = () => Promise.reject(new TypeError(`A ${req.method} request has no body.`));
  const request: Pick<
    Request,
    'url' | 'method' | 'headers' | 'signal' | 'body' | 'text' | 'json' | 'formData' | 'arrayBuffer'
  > = {
    url: url.href,
    method: req.method ?? 'GET',
    headers: new IncomingHeaders(req.headers) as unknown as Headers,
    signal: controller.signal,
    body: null,
    text: noBody,
    json: noBody,
    formData: noBody,
    arrayBuffer: noBody,
  };
  return request as Request;
}

/** Fetch-style reads of Node's parsed headers, without copying them into a Headers object. */
class IncomingHeaders {
  readonly #headers: IncomingHttpHeaders;
  constructor(headers: IncomingHttpHeaders) {
    this.#headers = headers;
  }

  get(name: string): string | null {
    const value = this.#headers[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.#headers[name.toLowerCase()] !== undefined;
  }
}

/**
 * The Response's status and headers (beside those the server set), then its body as it comes: one chunk
 * for a JSON answer, several for a streamed batch (each waits for the socket
 * to drain). A client that goes away cancels the rest.
 */
async function writeResponse(
  response: Response,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    // tRPC's Vary (trpc-accept, accept) adds to the server's (origin).
    const before = name === 'vary' ? res.getHeader('vary') : undefined;
    res.setHeader(name, before ? `${String(before)}, ${value}` : value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (signal.aborted || res.destroyed) {
        await reader.cancel();
        break;
      }
      // A destroyed response never drains (its 'close' may be past): no wait then.
      if (!res.write(value) && !res.destroyed) await drained(res);
    }
  } finally {
    res.end();
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
