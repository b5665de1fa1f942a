// A peer for comparison: better-auth on the same embedded database (its own
// database name), with its MongoDB adapter. Run as a process, it serves
// better-auth's handler on node:http (like hello.ts): PORT, MONGODB_URL and
// BETTER_AUTH_COOKIE_CACHE=1 for its cookie cache (the session read from a
// signed cookie instead of the database). `seedBetterAuth` signs a user up and
// in through the same configuration and returns the cookies to send.
import { createServer } from 'node:http';
import { betterAuth } from 'better-auth';
import { mongodbAdapter } from 'better-auth/adapters/mongodb';
import { toNodeHandler } from 'better-auth/node';
import { MongoClient } from 'mongodb';

// The benchmark's own throwaway secret (signs the cookie cache).
const SECRET = 'bench-only-secret-not-for-production-0123456789';
export const GET_SESSION_PATH = '/api/auth/get-session';

function createBetterAuth(client: MongoClient, cookieCache: boolean) {
  return betterAuth({
    // FerretDB has no transactions.
    database: mongodbAdapter(client.db(), { client, transaction: false }),
    secret: SECRET,
    baseURL: 'http://127.0.0.1',
    emailAndPassword: { enabled: true },
    session: { cookieCache: { enabled: cookieCache, maxAge: 300 } },
    // Its default limiter (on in production) would refuse most of the load;
    // authkit limits sign-ins only.
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
  });
}

/** One user signed up and signed in; the Cookie header that carries the session. */
export async function seedBetterAuth(mongodbUrl: string, cookieCache: boolean): Promise<string> {
  const client = new MongoClient(mongodbUrl);
  try {
    const auth = createBetterAuth(client, cookieCache);
    const email = `bench_${Date.now().toString(36)}_${cookieCache ? 'cache' : 'db'}@example.com`;
    const password = 'correct horse battery staple 42';
    await auth.api.signUpEmail({ body: { email, password, name: 'bench' } });
    const { headers } = await auth.api.signInEmail({ body: { email, password }, returnHeaders: true });
    // session_token, and with the cookie cache session_data too.
    const cookies = headers.getSetCookie().map((cookie) => cookie.split(';')[0]);
    if (cookies.length === 0) throw new Error('better-auth set no cookie on sign-in');
    return cookies.join('; ');
  } finally {
    await client.close();
  }
}

if (import.meta.main) {
  const mongodbUrl = process.env.MONGODB_URL;
  if (!mongodbUrl) throw new Error('MONGODB_URL is required');
  const client = new MongoClient(mongodbUrl);
  const handler = toNodeHandler(createBetterAuth(client, process.env.BETTER_AUTH_COOKIE_CACHE === '1'));
  const server = createServer((request, response) => void handler(request, response));
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  process.once('SIGTERM', () => server.close(() => void client.close()));
}
