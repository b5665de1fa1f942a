import { isHttpError } from '@sveltejs/kit';
import { describe, expect, it } from 'vitest';
import { loginSchema } from '#lib/forms.ts';
import { readFormFields } from './actions.ts';
import { checkForm } from './forms.ts';

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

describe('checkForm', () => {
  it('gives the data, or a 400 with field messages and the typed values but no password', async () => {
    const good = await checkForm(
      {
        request: post(
          'username=ada&password=pw&next=%2Faccount',
          'application/x-www-form-urlencoded',
        ),
      },
      loginSchema,
    );
    expect(good.refusal).toBeUndefined();
    expect(good.form.data).toMatchObject({ username: 'ada', password: 'pw', next: '/account' });

    const bad = await checkForm(
      {
        request: post(
          'username[$ne]=x&password=secret-pw&next=%2Fa',
          'application/x-www-form-urlencoded',
        ),
      },
      loginSchema,
      { message: 'Please fill in both fields.' },
    );
    expect(bad.refusal?.status).toBe(400);
    const form = bad.refusal?.data.form;
    expect(form?.errors).toEqual({ username: ['Enter your username or email.'] });
    expect(form?.message).toEqual({ text: 'Please fill in both fields.' });
    expect(form?.data).toMatchObject({ password: '', next: '/a' });
    expect(JSON.stringify(bad.refusal?.data)).not.toContain('secret-pw');
  });

  it("reads the first of repeated fields, leaves files out and ignores superforms' JSON", async () => {
    const data = new FormData();
    data.append('username', 'first');
    data.append('username', 'second');
    data.append('password', new File(['pw'], 'password.txt'));
    data.append('__superform_json', '[{"username":1,"password":2},"json","json-pw"]');
    data.append('__superform_id', 'other');
    const result = await checkForm(
      { request: new Request('http://localhost/login', { method: 'POST', body: data }) },
      loginSchema,
    );
    expect(result.refusal?.status).toBe(400);
    const form = result.refusal?.data.form;
    expect(form?.data.username).toBe('first');
    expect(form?.errors).toEqual({ password: ['Enter your password.'] });
    expect(form?.id).not.toBe('other');
  });

  it('is a 400 for a body that is not a form, never a 500', async () => {
    expect(await statusOf(checkForm({ request: post('a=b', 'text/plain') }, loginSchema))).toBe(
      400,
    );
  });
});
