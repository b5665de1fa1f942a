// The session cookie over https is `__Host-authkit_session` (Secure, Path=/,
// no Domain: a sibling subdomain or an http page cannot plant or shadow it),
// and on https a plain-named cookie is not read at all. Over plain http
// (development) the cookie keeps its plain name.
import { describe, expect, it } from 'vitest';
import {
  cookiePair,
  mutate,
  query,
  signUp,
  useTestApi,
  WEB_ORIGIN,
  type TestApi,
} from './test-helpers/index.ts';

/** Signs in as a browser does (no `bearer`), with `headers`; the Set-Cookie header. */
async function browserLogin(api: TestApi, headers: Record<string, string>) {
  const user = await signUp(api);
  const login = await mutate(
    api,
    'auth.login',
    { username: user.username, password: user.password },
    headers,
  );
  expect(login.status).toBe(200);
  const [setCookie] = login.headers.getSetCookie();
  if (!setCookie) throw new Error('no Set-Cookie');
  return { setCookie, pair: cookiePair(login.headers) };
}

function expectHostPrefixed(setCookie: string): void {
  expect(setCookie).toMatch(/^__Host-authkit_session=[a-z2-7]{40}; /);
  expect(setCookie).toMatch(/; Secure(;|$)/);
  expect(setCookie).toMatch(/; Path=\/(;|$)/);
  expect(setCookie).not.toMatch(/Domain=/i);
}

describe('with SECURE_COOKIES', () => {
  const api = useTestApi({ secureCookies: true });

  it('sets __Host-authkit_session and reads only that name', async () => {
    const { setCookie, pair } = await browserLogin(api, {});
    expectHostPrefixed(setCookie);
    const token = pair.split('=')[1]!;

    expect((await query(api, 'auth.me', undefined, { cookie: pair })).status).toBe(200);
    // The same token under the plain name (as a sibling subdomain could set it): anonymous.
    const plain = await query(api, 'auth.me', undefined, { cookie: `authkit_session=${token}` });
    expect(plain.status).toBe(401);
  });

  it('clears the prefixed cookie on sign-out', async () => {
    const { pair } = await browserLogin(api, {});
    const logout = await mutate(api, 'auth.logout', undefined, {
      cookie: pair,
      origin: WEB_ORIGIN,
    });
    expect(logout.status).toBe(200);
    expect(logout.headers.getSetCookie()[0]).toMatch(/^__Host-authkit_session=; .*Max-Age=0/);
  });
});

describe('behind a trusted TLS proxy (X-Forwarded-Proto: https)', () => {
  const api = useTestApi({ secureCookies: false }, { trustProxy: true });
  const https = { 'x-forwarded-proto': 'https' };

  it('uses the __Host- name on https requests and the plain name on http ones', async () => {
    const secure = await browserLogin(api, https);
    expectHostPrefixed(secure.setCookie);
    const token = secure.pair.split('=')[1]!;
    expect((await query(api, 'auth.me', undefined, { ...https, cookie: secure.pair })).status).toBe(
      200,
    );
    const shadow = await query(api, 'auth.me', undefined, {
      ...https,
      cookie: `authkit_session=${token}`,
    });
    expect(shadow.status).toBe(401);

    // Plain http (development): the plain name, without Secure.
    const plain = await browserLogin(api, {});
    expect(plain.setCookie).toMatch(/^authkit_session=[a-z2-7]{40}; /);
    expect(plain.setCookie).not.toMatch(/Secure/);
    expect((await query(api, 'auth.me', undefined, { cookie: plain.pair })).status).toBe(200);
  });
});
