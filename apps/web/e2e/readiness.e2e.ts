// The site takes no writes before its indexes exist: without the unique
// indexes, two registrations could take the same username. Until then a form
// post answers 503; once the indexes can be created, the next post is served.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDatabase, type Database } from '@authkit/db';
import { freePort, startEmbeddedServer } from '@authkit/db/embedded';
import { expect, test } from '@playwright/test';
import { newUser } from './support/fixtures.ts';
import { startWebServer, TEST_PROXY_HEADERS } from './support/stack.ts';

test.describe.configure({ timeout: 90_000 });

/** A registration as a browser without JavaScript posts it. */
async function registerPost(webUrl: string, username = newUser('ready').username) {
  const password = 'quiet-harbor-readiness-lantern';
  const response = await fetch(`${webUrl}/register`, {
    method: 'POST',
    headers: {
      ...TEST_PROXY_HEADERS,
      origin: webUrl,
      accept: 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      username,
      email: `${username}@example.test`,
      password,
      confirm: password,
    }),
    redirect: 'manual',
  });
  return {
    status: response.status,
    location: response.headers.get('location'),
    body: await response.text(),
  };
}

async function hasUniqueUsernameIndex(database: Database): Promise<boolean> {
  const indexes = await database.users.indexes().catch(() => []);
  return indexes.some((index) => index.unique === true && 'username_key' in index.key);
}

test('a registration is refused with 503 while the indexes cannot be created, then served', async () => {
  const mongodbUrl = new URL(process.env.E2E_MONGODB_URL ?? '');
  mongodbUrl.pathname = `/ready_${Date.now().toString(36)}`;
  const database = connectDatabase(mongodbUrl.toString());
  // Two users with one username: the unique index cannot be built until one goes
  // (as if the indexes were still being created).
  await database.db.collection('users').insertMany([
    { _id: 'clash-1', username_key: 'clash' },
    { _id: 'clash-2', username_key: 'clash' },
  ] as never[]);
  const web = await startWebServer({
    port: await freePort(),
    mongodbUrl: mongodbUrl.toString(),
  });
  try {
    // Reads that need no database still work.
    expect((await fetch(`${web.url}/register`, { headers: TEST_PROXY_HEADERS })).status).toBe(200);

    const refused = await registerPost(web.url);
    expect(refused.status).toBe(503);
    expect(refused.body).toContain('temporarily unavailable');
    expect(await database.users.countDocuments()).toBe(2);
    expect(await hasUniqueUsernameIndex(database)).toBe(false);

    // The clash is gone: the next post creates the indexes first, then registers.
    await database.users.deleteOne({ _id: 'clash-2' });
    const served = await registerPost(web.url);
    expect(served.status, served.body.slice(0, 300)).toBe(303);
    expect(served.location).toBe('/dashboard');
    expect(await hasUniqueUsernameIndex(database)).toBe(true);
  } finally {
    await web.stop();
    await database.db.dropDatabase().catch(() => {});
    await database.close();
  }
});

test('a site started before its database refuses writes, and serves them once it is up', async () => {
  const databasePort = await freePort();
  const mongodbUrl = `mongodb://127.0.0.1:${databasePort}/late`;
  const web = await startWebServer({
    port: await freePort(),
    mongodbUrl,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'authkit-late-db-'));
  let server: Awaited<ReturnType<typeof startEmbeddedServer>> | undefined;
  const database = connectDatabase(mongodbUrl);
  try {
    expect((await registerPost(web.url)).status).toBe(503);

    server = await startEmbeddedServer({ dataDir, port: databasePort });
    // Registrations after the database is up: refused (503) while the site
    // reconnects, then served, and served only once the unique indexes exist.
    let served = await registerPost(web.url);
    for (let tries = 1; served.status === 503 && tries < 60; tries++) {
      await new Promise((done) => setTimeout(done, 250));
      served = await registerPost(web.url);
    }
    expect(served.status, served.body.slice(0, 300)).toBe(303);
    expect(await hasUniqueUsernameIndex(database)).toBe(true);
    // The index holds: the same username again is refused, not a second account.
    const username = newUser('late').username;
    expect((await registerPost(web.url, username)).status).toBe(303);
    expect((await registerPost(web.url, username)).status).toBe(400);
    expect(await database.users.countDocuments({ username_key: username })).toBe(1);
  } finally {
    await web.stop();
    await database.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
