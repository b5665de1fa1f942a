// SvelteKit refuses cross-site form posts (CSRF) in a built site only: the
// dev server (`vite dev`) skips that check, so a test of it could pass in
// development and fail in production. This handle makes the same check in
// every mode, with SvelteKit's answer (403, text or JSON).
import type { Handle } from '@sveltejs/kit/hooks';

/** The methods a form (or a fetch posing as one) changes things with. */
const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Content types a cross-site page can send without a CORS preflight (a plain
 * form), plus SvelteKit's own binary form encoding. No content type counts too.
 */
const FORM_CONTENT_TYPES = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
  'application/x-sveltekit-formdata',
]);

/** True for a form post whose Origin is not this site's (missing and `null` included). */
export function isCrossSiteFormPost(request: Request, selfOrigin: string): boolean {
  if (!MUTATING_METHODS.has(request.method)) return false;
  const contentType = request.headers.get('content-type');
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (contentType && !FORM_CONTENT_TYPES.has(type)) return false;
  return request.headers.get('origin') !== selfOrigin;
}

/** Answers SvelteKit's 403 to a cross-site form post, before anything else runs. */
export const refuseCrossSiteForms: Handle = ({ event, resolve }) => {
  const { request, url } = event;
  if (!isCrossSiteFormPost(request, url.origin)) return resolve(event);
  const message = `Cross-site ${request.method} form submissions are forbidden`;
  if (request.headers.get('accept') === 'application/json') {
    return Response.json({ message }, { status: 403 });
  }
  return new Response(message, {
    status: 403,
    headers: { 'content-type': 'text/plain;charset=UTF-8' },
  });
};
