// Drives a browser's visit to the test identity provider or the GitHub fake
// over plain HTTP (for tests without a browser): follows redirects with a
// cookie jar, fills the login form with `login`, and stops at the redirect
// back to the site. Resolves to the callback's query parameters.
export async function loginAtProvider(
  authorizationUrl: string,
  login: string,
  options: { siteUrl: string; deny?: boolean },
): Promise<URLSearchParams> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at).trim(), pair!.slice(at + 1).trim());
    }
  };
  let url = authorizationUrl;
  let init: RequestInit = {};
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(options.siteUrl)) return new URL(url).searchParams;
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers ?? {}), cookie: cookieHeader() },
    });
    keep(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url).toString();
      init = {};
      continue;
    }
    const html = await response.text();
    if (response.status !== 200)
      throw new Error(`provider answered ${response.status}: ${html.slice(0, 300)}`);
    if (html.includes('Fake GitHub')) {
      // The GitHub fake's authorize form.
      const hidden = Object.fromEntries(
        [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
          m[1]!,
          decodeEntities(m[2]!),
        ]),
      );
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          ...hidden,
          login,
          decision: options.deny ? 'deny' : 'allow',
        }).toString(),
      };
      url = new URL('/login/oauth/authorize', url).toString();
      continue;
    }
    // oidc-provider's development login form (any name; the password is ignored).
    if (options.deny) {
      url = `${url.replace(/\/$/, '')}/abort`;
      init = {};
      continue;
    }
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ prompt: 'login', login, password: 'any' }).toString(),
    };
  }
  throw new Error('too many redirects at the provider');
}

function decodeEntities(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}
