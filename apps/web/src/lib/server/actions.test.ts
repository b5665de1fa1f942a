import { AuthError } from '@authkit/auth';
import { isHttpError } from '@sveltejs/kit';
import { describe, expect, it } from 'vitest';
import { changePasswordSchema, loginSchema } from '#lib/schemas.ts';
import {
  authRefusal,
  checkForm,
  emptyForm,
  readFormFields,
  refuse,
  refusalFor,
} from './actions.ts';

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
    // Said once, under its field: no form-level message repeats it.
    expect(form?.message).toEqual({});
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

/** A stand-in for the action's event: the headers it sets. */
function headers() {
  const set: Record<string, string> = {};
  return { set, event: { setHeaders: (more: Record<string, string>) => Object.assign(set, more) } };
}

describe('refusals: each message shown once', () => {
  it('puts a field message under its field, with no form-level message beside it', async () => {
    const form = await emptyForm(changePasswordSchema, 'password');
    const caught = new AuthError('VALIDATION', 'Please correct the highlighted fields.', {
      fieldErrors: { currentPassword: ['Your current password is not correct.'] },
    });
    const { status, data } = authRefusal(caught, form, headers().event);
    expect(status).toBe(400);
    expect(data.form.errors).toEqual({
      currentPassword: ['Your current password is not correct.'],
    });
    expect(data.form.message).toEqual({});
  });

  it('says a message for a field the form does not have as the form’s message', async () => {
    const form = await emptyForm(loginSchema);
    const caught = new AuthError('VALIDATION', 'Please correct the highlighted fields.', {
      fieldErrors: { login: ['Use at most 320 characters.'] },
    });
    const { data } = authRefusal(caught, form, headers().event);
    expect(data.form.errors).toEqual({});
    expect(data.form.message).toEqual({ message: 'Use at most 320 characters.' });
  });

  it('keeps a form-level message (bad credentials) as the form’s, and empties the password', async () => {
    const form = await emptyForm(loginSchema);
    form.data.password = 'typed-secret';
    const caught = new AuthError('INVALID_CREDENTIALS', 'Invalid username or password.');
    const { status, data } = authRefusal(caught, form, headers().event);
    expect(status).toBe(400);
    expect(data.form.message).toEqual({ message: 'Invalid username or password.' });
    expect(data.form.data.password).toBe('');
  });

  it('answers a plain form with the same shape: in its field when it has one, else as the message', () => {
    const message = 'Enter the 6-digit code from your app.';
    const inField = refuse(400, 'totpConfirm', { errors: { code: [message] }, message }, ['code']);
    expect(inField.data).toEqual({ action: 'totpConfirm', errors: { code: [message] } });
    const noField = refuse(400, 'passkeyRename', { errors: { name: ['Too long.'] }, message: 'x' });
    expect(noField.data).toEqual({ action: 'passkeyRename', errors: {}, message: 'Too long.' });
  });
});

describe('refusalFor', () => {
  it('takes the wait and its reason from the auth package (429, Retry-After)', () => {
    const { set, event } = headers();
    const caught = new AuthError('THROTTLED', 'Too many links. Try again in 30 seconds.', {
      retryAfterSeconds: 90,
      scope: 'account',
      waitReason: 'Several links were sent for this account in the last hour.',
    });
    expect(refusalFor(caught, event)).toEqual({
      status: 429,
      refusal: {
        retryAfterSeconds: 90,
        waitReason: 'Several links were sent for this account in the last hour.',
        message:
          'Several links were sent for this account in the last hour. Try again in 2 minutes.',
      },
    });
    expect(set).toEqual({ 'retry-after': '90' });
  });

  it('throws anything but an auth refusal again (an unavailable database included)', () => {
    const { event } = headers();
    expect(() => refusalFor(new Error('boom'), event)).toThrow('boom');
    expect(() => refusalFor(new AuthError('UNAVAILABLE', 'down'), event)).toThrow('down');
  });
});
