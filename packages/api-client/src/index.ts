// @authkit/api-client: a typed tRPC client for the API, for the site's
// browser code (the WebAuthn ceremonies) and for other apps. Types only come
// from apps/api (`import type`): nothing of the server is bundled.
import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from 'api/router';

export type { AppRouter };
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type ApiClient = TRPCClient<AppRouter>;

export interface ApiClientOptions {
  /** The API's tRPC endpoint, e.g. `https://api.example.com/trpc`. */
  url: string;
  /** Another fetch (a server's, or one that adds logging). Default: the global fetch. */
  fetch?: typeof fetch;
  /** Extra headers for every call, e.g. `{ authorization: 'Bearer <token>' }` for API clients. */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
}

/**
 * A client whose calls carry the browser's cookies (`credentials: 'include'`):
 * the API's session cookie signs them in, and the API's CORS allows the site's
 * origin. Mutations go as JSON, which the API's CSRF check requires.
 */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseFetch = options.fetch ?? globalThis.fetch;
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: options.url,
        headers: options.headers ?? {},
        fetch: (input, init) => baseFetch(input, { ...init, credentials: 'include' }),
      }),
    ],
  });
}
