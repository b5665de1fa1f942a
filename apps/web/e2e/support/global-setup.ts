// Starts the database, the API and the built site once for the whole run; the
// returned function (Playwright's teardown) stops them all.
import type { FullConfig } from '@playwright/test';
import { startStack } from './stack.ts';

export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  const stack = await startStack();
  // Workers start after this and inherit the environment.
  process.env.E2E_WEB_URL = stack.webUrl;
  process.env.E2E_API_URL = stack.apiUrl;
  process.env.E2E_MONGODB_URL = stack.mongodbUrl;
  process.env.E2E_MAILPIT_URL = stack.mailpitUrl;
  process.env.E2E_SMTP_URL = stack.smtpUrl;
  process.env.E2E_IDP_URL = stack.idpUrl;
  process.env.E2E_GITHUB_URL = stack.githubUrl;
  console.log(
    `[e2e] web ${stack.webUrl} · api ${stack.apiUrl} · db ${stack.mongodbUrl} · mail ${stack.mailpitUrl}`,
  );
  return async () => {
    await stack.stop();
  };
}
