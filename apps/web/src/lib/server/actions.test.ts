import { isHttpError } from '@sveltejs/kit';
import { describe, expect, it } from 'vitest';
import { loginSchema } from '#lib/forms.ts';
import { parseForm, readFormFields } from './actions.ts';

function post(body: BodyInit, contentType: string): Request {
  return new Request('http://localhost/login', {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
    duplex: 'half',
  } as RequestInit);
}

/** The status of the HTTP error `promise` rejects with. */
async function statusOf(promise: Promise<unknown>): Promise<number> {
  const caught: unknown = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  if (!isHttpError(caught)) throw new Error(`expected an HTTP error, got ${String(caught)}`);
  return caught.status;
}

describe('readFormFields', () => {
  it('reads urlencoded and multipart forms: text fields only, the first of repeated keys', async () => {
    expect(
      await readFormFields(
        post('username=ada&username=eve&__proto__=x', 'application/x-www-form-urlencoded'),
      ),
    ).toEqual({ username: 'ada' });

    const data = new FormData();
    data.append('username', 'ada');
    data.append('password', new Blob(['secret']), 'password.txt');
    expect(
      await readFormFields(new Request('http://localhost/', { method: 'POST', body: data })),
    ).toEqual({
      username: 'ada',
    });
  });

  it('answers 400 for a body that is not a readable form', async () => {
    expect(await statusOf(readFormFields(post('a=b', 'text/plain')))).toBe(400);
    expect(await statusOf(readFormFields(post('a=b', 'multipart/form-data')))).toBe(400);
    expect(await statusOf(readFormFields(post('garbage', 'multipart/form-data; boundary=x')))).toBe(
      400,
    );
  });

  it('answers 413 when the body is over the size limit', async () => {
    // adapter-node fails the body stream with SvelteKit's 413 error.
    const tooLarge = new ReadableStream({
      start(controller) {
        controller.error(Object.assign(new Error('Payload Too Large'), { status: 413 }));
      },
    });
    const request = post(tooLarge, 'application/x-www-form-urlencoded');
    expect(await statusOf(readFormFields(request))).toBe(413);
  });
});

describe('parseForm', () => {
  it('gives the data, or a 400 with field messages and the kept values', async () => {
    const good = await parseForm(
      post('username=ada&password=pw&next=%2Faccount', 'application/x-www-form-urlencoded'),
      loginSchema,
      ['username', 'next'],
      'Please fill in both fields.',
    );
    expect(good.failure).toBeUndefined();
    expect(good).toMatchObject({
      data: { username: 'ada', password: 'pw', next: '/account' },
      values: { username: 'ada', next: '/account' },
    });

    const bad = await parseForm(
      post('username[$ne]=x&password=pw', 'application/x-www-form-urlencoded'),
      loginSchema,
      ['username', 'next'],
      'Please fill in both fields.',
    );
    expect(bad.failure?.status).toBe(400);
    expect(bad.failure?.data).toEqual({
      values: { username: '', next: '' },
      errors: { username: ['Enter your username or email.'] },
      message: 'Please fill in both fields.',
    });
  });
});
