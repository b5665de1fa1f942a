// The development identity provider (`turbo dev`, script/dev) and the e2e
// stack's (apps/web/e2e/support/stack.ts): the test OpenID provider (oidc-provider,
// any name signs in) and, with GITHUB_FAKE_PORT, the GitHub fake. Never in
// production (it refuses to start there), and in development only when no
// provider is configured (OIDC_ISSUER, GOOGLE_CLIENT_ID, GITHUB_CLIENT_ID).
//
//   IDP_PORT          port of the OpenID provider (default 3900, as DEV_OIDC)
//   GITHUB_FAKE_PORT  also serve the GitHub fake there
//   SITE_URLS         comma-separated site origins whose callbacks may be used
//                     (default http://localhost:5173,http://127.0.0.1:5173)
import { DEV_OIDC } from '../config.ts';
import { startGithubFake, type GithubFake } from './github-fake.ts';
import { startTestOidcServer } from './oidc-server.ts';

if (process.env.NODE_ENV === 'production') {
  console.error('identity provider: the development provider never runs in production');
  process.exit(1);
}
const configured = ['OIDC_ISSUER', 'GOOGLE_CLIENT_ID', 'GITHUB_CLIENT_ID'].some((name) => process.env[name]?.trim());
if (configured && !process.env.IDP_PORT) {
  console.log('identity provider: a provider is configured; the development provider is not started');
  process.exit(0);
}

const sites = (process.env.SITE_URLS ?? 'http://localhost:5173,http://127.0.0.1:5173')
  .split(',')
  .map((site) => site.trim().replace(/\/+$/, ''))
  .filter(Boolean);
const redirectUris = sites.flatMap((site) => ['dev', 'oidc'].map((id) => `${site}/login/provider/${id}/callback`));
const port = Number(process.env.IDP_PORT ?? new URL(DEV_OIDC.issuer).port);

const idp = await startTestOidcServer({
  port,
  clients: [{ clientId: DEV_OIDC.clientId, clientSecret: DEV_OIDC.clientSecret, redirectUris }],
});
console.log(`identity provider: ${idp.issuer} (development; sign in with any name)`);
let github: GithubFake | null = null;
if (process.env.GITHUB_FAKE_PORT) {
  github = await startGithubFake({
    clientId: DEV_OIDC.clientId,
    clientSecret: DEV_OIDC.clientSecret,
    port: Number(process.env.GITHUB_FAKE_PORT),
  });
  console.log(`GitHub fake: ${github.url}`);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all([idp.close(), github?.close()]);
    process.exit(0);
  });
}
