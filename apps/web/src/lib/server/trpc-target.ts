// Where the site's /trpc forwarder sends a request on the API. A procedure
// path is only names (`auth.passkeys.reauthenticate`, a batch joined by
// commas): anything else (a slash or backslash, an encoded `?` or `#`, `..`)
// could reach another path of the API, or another service behind an API_URL
// with a path prefix.

/** One procedure, or a batch of them: letters, digits, `_`, `.` and `,`. */
const PROCEDURE_PATH = /^[A-Za-z0-9_.,]+$/;

/**
 * The URL on the API for `procedurePath` (SvelteKit's decoded rest parameter)
 * with the request's query string; null when the path is not a procedure path
 * or would resolve outside the API's `/trpc/` (the caller answers 404).
 */
export function trpcTarget(apiUrl: string, procedurePath: string, search: string): URL | null {
  if (!PROCEDURE_PATH.test(procedurePath)) return null;
  // The API's /trpc/ under any path prefix of API_URL (`https://host/api` → `/api/trpc/`).
  const base = new URL(`${apiUrl.replace(/\/+$/, '')}/trpc/`);
  const target = new URL(procedurePath, base);
  // `..` and `.` are names to the pattern, but path segments to a URL.
  if (target.origin !== base.origin || !target.pathname.startsWith(base.pathname)) return null;
  if (target.pathname === base.pathname) return null;
  target.search = search;
  return target;
}
