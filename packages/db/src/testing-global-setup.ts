// vitest globalSetup: one database server for the whole test run of a package,
// stopped at the end. Test files get their own database through useTestDatabase().
import type { TestProject } from 'vitest/node';
import { startTestServer } from './testing-server.ts';
// The type of `mongodbUrl` in vitest's ProvidedContext is declared in testing.ts.
import type {} from './testing.ts';

export default async function setup(project: TestProject) {
  const server = await startTestServer();
  project.provide('mongodbUrl', server.uri);
  return server.stop;
}
