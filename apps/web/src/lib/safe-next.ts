// Where to send a user after signing in: the `next` they came with, but only a
// path on this site. Anything that could leave the site (a scheme, a
// protocol-relative `//host`, a backslash that browsers read as a slash,
// control characters) falls back to `fallback`.

export const DEFAULT_NEXT = '/dashboard';

export function safeNext(next: unknown, fallback: string = DEFAULT_NEXT): string {
  if (typeof next !== 'string') return fallback;
  const value = next.trim();
  if (value.length === 0 || value.length > 2048) return fallback;
  // Same-site absolute paths only: one leading slash, then not another slash or a backslash.
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback;
  // Backslashes and control characters (tab, newline... which browsers strip) anywhere.
  if (value.includes('\\') || hasControlCharacter(value)) return fallback;
  // Resolve against a placeholder origin: the result must stay on it.
  let url: URL;
  try {
    url = new URL(value, 'http://same-site.invalid');
  } catch {
    return fallback;
  }
  if (url.origin !== 'http://same-site.invalid') return fallback;
  // Dot segments can collapse into `//host` (`/..//evil.example`): check again.
  if (url.pathname.startsWith('//')) return fallback;
  // Signing out is never a place to return to.
  if (url.pathname === '/logout') return fallback;
  return url.pathname + url.search + url.hash;
}

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
