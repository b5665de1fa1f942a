// A small GitHub-shaped OAuth server for tests and development: the authorize
// page (a form: any login name; "Cancel" answers access_denied), the access
// token endpoint (errors as HTTP 200 with an `error` field, as GitHub does; the
// PKCE verifier checked), GET /user and GET /user/emails. Web and API on one
// origin: configure GITHUB_URL and GITHUB_API_URL both to it.
// Users: a login name maps to a stable numeric id; POST /__control/users
// {login, email?, verified?, name?} changes what the API says about one.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGithubUser {
  id: number;
  login: string;
  name: string | null;
  email: string | null;
  verified: boolean;
}

export interface GithubFake {
  url: string;
  setUser(login: string, changes: Partial<Omit<FakeGithubUser, 'id' | 'login'>>): void;
  /** How many times the token endpoint was called (tests: a forged callback must not reach it). */
  tokenRequests(): number;
  close(): Promise<void>;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += (chunk as Buffer).toString();
  return body;
}

export async function startGithubFake(options: {
  clientId: string;
  clientSecret: string;
  port?: number;
}): Promise<GithubFake> {
  const users = new Map<string, FakeGithubUser>();
  let nextId = 1000;
  const userFor = (login: string): FakeGithubUser => {
    let user = users.get(login);
    if (!user) {
      user = { id: nextId++, login, name: login, email: `${login}@example.test`, verified: true };
      if (login === 'unverified') user.verified = false;
      users.set(login, user);
    }
    return user;
  };
  const codes = new Map<string, { login: string; challenge: string; redirectUri: string }>();
  const tokens = new Map<string, string>();
  let tokenRequests = 0;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (url.pathname === '/login/oauth/authorize' && req.method === 'GET') {
        const params = url.searchParams;
        if (
          params.get('client_id') !== options.clientId ||
          params.get('code_challenge_method') !== 'S256'
        ) {
          res.writeHead(400).end('bad request');
          return;
        }
        const hidden = ['redirect_uri', 'state', 'code_challenge']
          .map(
            (name) =>
              `<input type="hidden" name="${name}" value="${escape(params.get(name) ?? '')}">`,
          )
          .join('');
        res.writeHead(200, { 'content-type': 'text/html' }).end(
          `<!doctype html><title>Fake GitHub</title><h1>Sign in to (fake) GitHub</h1>
<form method="post" action="/login/oauth/authorize">${hidden}
<label>Username <input name="login" autofocus></label>
<button name="decision" value="allow">Authorize</button>
<button name="decision" value="deny">Cancel</button></form>`,
        );
        return;
      }
      if (url.pathname === '/login/oauth/authorize' && req.method === 'POST') {
        const form = new URLSearchParams(await readBody(req));
        const redirect = new URL(form.get('redirect_uri') ?? '');
        redirect.searchParams.set('state', form.get('state') ?? '');
        if (form.get('decision') === 'deny') {
          redirect.searchParams.set('error', 'access_denied');
        } else {
          const code = randomBytes(16).toString('hex');
          codes.set(code, {
            login: form.get('login') || 'octocat',
            challenge: form.get('code_challenge') ?? '',
            redirectUri: form.get('redirect_uri') ?? '',
          });
          redirect.searchParams.set('code', code);
        }
        res.writeHead(302, { location: redirect.toString() }).end();
        return;
      }
      if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
        tokenRequests++;
        const form = new URLSearchParams(await readBody(req));
        if (
          form.get('client_id') !== options.clientId ||
          form.get('client_secret') !== options.clientSecret
        ) {
          json(res, 200, {
            error: 'incorrect_client_credentials',
            error_description: 'The client_id and/or client_secret passed are incorrect.',
          });
          return;
        }
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (
          !grant ||
          grant.challenge !== challenge ||
          grant.redirectUri !== form.get('redirect_uri')
        ) {
          // GitHub: HTTP 200 with an error field.
          json(res, 200, {
            error: 'bad_verification_code',
            error_description: 'The code passed is incorrect or expired.',
          });
          return;
        }
        const token = `gho_${randomBytes(16).toString('hex')}`;
        tokens.set(token, grant.login);
        json(res, 200, {
          access_token: token,
          token_type: 'bearer',
          scope: 'read:user,user:email',
        });
        return;
      }
      if (url.pathname === '/__control/users' && req.method === 'POST') {
        const { login, ...changes } = JSON.parse(await readBody(req)) as Partial<FakeGithubUser> & {
          login: string;
        };
        Object.assign(userFor(login), changes);
        res.writeHead(204).end();
        return;
      }
      const login = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (url.pathname === '/user' || url.pathname === '/user/emails') {
        if (!login) {
          json(res, 401, { message: 'Requires authentication' });
          return;
        }
        const user = userFor(login);
        if (url.pathname === '/user')
          json(res, 200, { id: user.id, login: user.login, name: user.name, email: null });
        else
          json(
            res,
            200,
            user.email
              ? [
                  {
                    email: user.email,
                    primary: true,
                    verified: user.verified,
                    visibility: 'private',
                  },
                ]
              : [],
          );
        return;
      }
      res.writeHead(404).end();
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    setUser: (login, changes) => Object.assign(userFor(login), changes),
    tokenRequests: () => tokenRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
