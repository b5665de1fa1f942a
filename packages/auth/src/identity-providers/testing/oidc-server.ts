// A real OpenID provider for tests and development: panva's oidc-provider 9
// (certified), on 127.0.0.1. A devDependency: production never loads this.
// Sign-in at its (development) login form with any name: the name is the
// subject. Fixture accounts have set claims (`unverified` says
// email_verified: false); any other name gets <name>@example.test, verified.
// Tests change an account's claims in-process (setAccount) or, for a server in
// another process, by POST /__control/accounts (JSON claims).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

export interface TestAccountClaims {
  email?: string | null;
  email_verified?: boolean;
  preferred_username?: string;
  name?: string;
}

export interface TestOidcClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface TestOidcServer {
  issuer: string;
  /** Sets (merges) a subject's claims. */
  setAccount(sub: string, claims: TestAccountClaims): void;
  close(): Promise<void>;
}

/** The fixtures every server starts with. */
export const FIXTURE_ACCOUNTS: Record<string, TestAccountClaims> = {
  unverified: {
    email: 'unverified@example.test',
    email_verified: false,
    preferred_username: 'unverified',
  },
};

export async function startTestOidcServer(options: {
  clients: TestOidcClient[];
  port?: number;
  host?: string;
}): Promise<TestOidcServer> {
  const accounts = new Map<string, TestAccountClaims>(
    Object.entries(FIXTURE_ACCOUNTS).map(([sub, claims]) => [sub, { ...claims }]),
  );
  const claimsOf = (sub: string): TestAccountClaims =>
    accounts.get(sub) ?? {
      email: `${sub}@example.test`,
      email_verified: true,
      preferred_username: sub,
      name: sub,
    };

  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/__control/accounts') && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        try {
          const { sub, ...claims } = JSON.parse(body) as TestAccountClaims & { sub: string };
          accounts.set(sub, { ...claimsOf(sub), ...claims });
          res.writeHead(204).end();
        } catch {
          res.writeHead(400).end();
        }
      });
      return;
    }
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: options.clients.map((entry) => ({
      client_id: entry.clientId,
      client_secret: entry.clientSecret,
      redirect_uris: entry.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // openid-client sends the secret in the body (client_secret_post); oidc-provider's default is basic.
      token_endpoint_auth_method: 'client_secret_post',
    })),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    // PKCE for every client, not only public ones.
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // A first-party client: no consent screen, the requested scopes are granted.
    async loadExistingGrant(ctx) {
      const grantId =
        ctx.oidc.result?.consent?.grantId ||
        ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client!.clientId,
        accountId: ctx.oidc.session!.accountId!,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          const claims = claimsOf(sub);
          return {
            sub,
            ...(claims.email
              ? { email: claims.email, email_verified: claims.email_verified === true }
              : {}),
            ...(claims.preferred_username ? { preferred_username: claims.preferred_username } : {}),
            ...(claims.name ? { name: claims.name } : {}),
          };
        },
      };
    },
  });
  // Quiet: the dev-interactions warnings are expected here.
  provider.on('server_error', (_ctx, error) => console.error('test identity provider:', error));
  handler = provider.callback();

  return {
    issuer,
    setAccount: (sub, claims) => accounts.set(sub, { ...claimsOf(sub), ...claims }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
