// The client against a real API server (fresh database): typed calls, the
// headers option (bearer clients), and browsers' cookies sent along.
import { describe, expect, it } from 'vitest';
import { signUp, useTestApi } from 'api/test-helpers';
import { createApiClient } from './index.ts';

const api = useTestApi();

describe('createApiClient', () => {
  it('calls the API with credentials included, typed by its router', async () => {
    const seen: RequestInit[] = [];
    const recording: typeof fetch = (input, init) => {
      seen.push(init ?? {});
      return fetch(input, init);
    };
    const client = createApiClient({ url: `${api.url}/trpc`, fetch: recording });
    expect(await client.health.query()).toEqual({ ok: true, db: 'up' });
    const options = await client.auth.passkeys.authenticationOptions.mutate();
    expect(options.challenge).toMatch(/^[\w-]{43}$/);
    expect(seen.map((init) => init.credentials)).toEqual(['include', 'include']);
  });

  it('sends the headers it is given (a bearer token)', async () => {
    const account = await signUp(api);
    const client = createApiClient({ url: `${api.url}/trpc`, headers: () => account.bearer });
    const me = await client.auth.me.query();
    expect(me.user.id).toBe(account.id);
    await expect(createApiClient({ url: `${api.url}/trpc` }).auth.me.query()).rejects.toMatchObject({
      data: { httpStatus: 401 },
    });
  });
});
