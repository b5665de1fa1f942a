import type { RequestEvent } from '@sveltejs/kit';
import { describe, expect, it } from 'vitest';
import { isCrossSiteFormPost, refuseCrossSiteForms } from './form-origin.ts';

const site = 'http://localhost:5173';

function post(init: { method?: string; origin?: string | null; type?: string | null }): Request {
  const headers = new Headers();
  if (init.origin !== null) headers.set('origin', init.origin ?? site);
  if (init.type !== null)
    headers.set('content-type', init.type ?? 'application/x-www-form-urlencoded');
  return new Request(`${site}/account?/email`, {
    method: init.method ?? 'POST',
    headers,
    body: 'a=1',
  });
}

describe('isCrossSiteFormPost', () => {
  it('lets the site’s own form posts through', () => {
    expect(isCrossSiteFormPost(post({}), site)).toBe(false);
    expect(isCrossSiteFormPost(post({ type: 'multipart/form-data; boundary=x' }), site)).toBe(
      false,
    );
  });

  it.each([
    ['another origin', { origin: 'https://evil.test' }],
    ['no Origin', { origin: null }],
    ['Origin null', { origin: 'null' }],
    ['another port', { origin: 'http://localhost:5174' }],
    ['multipart', { origin: 'https://evil.test', type: 'multipart/form-data; boundary=x' }],
    ['text/plain', { origin: 'https://evil.test', type: 'text/plain' }],
    ['upper case type', { origin: 'https://evil.test', type: 'Application/X-WWW-Form-Urlencoded' }],
    ['no content type', { origin: 'https://evil.test', type: null }],
    ['PUT', { origin: 'https://evil.test', method: 'PUT' }],
    ['PATCH', { origin: 'https://evil.test', method: 'PATCH' }],
    ['DELETE', { origin: 'https://evil.test', method: 'DELETE' }],
  ])('refuses a form post with %s', (_, init) => {
    expect(isCrossSiteFormPost(post(init), site)).toBe(true);
  });

  it('leaves JSON (the /trpc forwarder: the API checks its Origin) and reads alone', () => {
    expect(
      isCrossSiteFormPost(post({ origin: 'https://evil.test', type: 'application/json' }), site),
    ).toBe(false);
    const read = new Request(`${site}/account`, { headers: { origin: 'https://evil.test' } });
    expect(isCrossSiteFormPost(read, site)).toBe(false);
  });
});

describe('refuseCrossSiteForms', () => {
  function run(request: Request) {
    let resolved = false;
    const event = { request, url: new URL(request.url) } as RequestEvent;
    const response = refuseCrossSiteForms({
      event,
      resolve: () => {
        resolved = true;
        return Promise.resolve(new Response('ok'));
      },
    });
    return { response: Promise.resolve(response), resolved: () => resolved };
  }

  it('answers 403 as SvelteKit does, without resolving the route', async () => {
    const { response: answer, resolved } = run(post({ origin: 'https://evil.test' }));
    const response = await answer;
    expect(response.status).toBe(403);
    expect(await response.text()).toBe('Cross-site POST form submissions are forbidden');
    expect(resolved()).toBe(false);
  });

  it('answers JSON to a client that asks for it', async () => {
    const request = post({ origin: 'https://evil.test' });
    request.headers.set('accept', 'application/json');
    const response = await run(request).response;
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      message: 'Cross-site POST form submissions are forbidden',
    });
  });

  it('resolves a same-origin post', async () => {
    const { response, resolved } = run(post({}));
    expect(await (await response).text()).toBe('ok');
    expect(resolved()).toBe(true);
  });
});
