// The sliding expiry of a remembered session reaches the browser: loadUser's
// refreshed cookie goes out on the response of whatever procedure was called.
import { createTestClock } from '@authkit/auth/testing';
import { expect, it } from 'vitest';
import { mutate, query, signUp, useTestApi } from './test-helpers/index.ts';

const clock = createTestClock();
const api = useTestApi({ now: clock.now });

function expiresOf(setCookie: string | undefined): number {
  const match = /Expires=([^;]+)/i.exec(setCookie ?? '');
  return match ? Date.parse(match[1]!) : NaN;
}

it('refreshes the cookie of a remembered session after a while', async () => {
  const user = await signUp(api, { remember: true });
  const login = await mutate(api, 'auth.login', {
    username: user.username,
    password: user.password,
    remember: true,
  });
  const firstExpiry = expiresOf(login.headers.getSetCookie()[0]);
  expect(firstExpiry).toBeGreaterThan(Date.now());

  // Right away: nothing to refresh.
  const cookie = login.headers.getSetCookie()[0]!.split(';', 1)[0]!;
  expect((await query(api, 'auth.me', undefined, { cookie })).headers.getSetCookie()).toEqual([]);

  clock.advance(2 * 24 * 3600_000);
  const later = await query(api, 'auth.sessions.list', undefined, { cookie });
  expect(later.status).toBe(200);
  const refreshed = later.headers.getSetCookie()[0];
  expect(refreshed?.startsWith(cookie)).toBe(true);
  expect(expiresOf(refreshed)).toBeGreaterThan(firstExpiry);

  // Bearer clients keep no cookie: none is sent to them.
  clock.advance(2 * 24 * 3600_000);
  const bearer = await query(api, 'auth.me', undefined, user.bearer);
  expect(bearer.status).toBe(200);
  expect(bearer.headers.getSetCookie()).toEqual([]);
});
