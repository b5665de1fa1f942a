// `pnpm bench`: starts the production API and web site against the embedded
// database (or MONGODB_URL), seeds users and sessions, drives load from this
// process with autocannon, and prints one table. Every figure is the median of
// several rounds, and the rounds of compared targets are interleaved so that a
// noisy machine slows both sides alike. Figures are printed, never asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { createAuth } from '@authkit/auth';
import { connectDatabase, ensureIndexes, type Database, type SessionDoc, type UserDoc } from '@authkit/db';
import { freePort, stopChild } from '@authkit/db/embedded';
import { startTestServer } from '@authkit/db/testing-server';

const ROOT = resolve(import.meta.dirname, '../..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SMALL_SESSIONS = 1_000;
const LARGE_SESSIONS = Number(process.env.BENCH_LARGE_SESSIONS ?? 100_000);
const PASSWORD = 'correct horse battery staple 42';

interface Figure {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));
// Ctrl-C or a kill still runs the 'exit' handler above.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

function log(message: string) {
  process.stderr.write(`bench: ${message}\n`);
}

async function main() {
  const server = await startTestServer();
  try {
    await run(server.uri);
  } finally {
    // SIGTERM, then SIGKILL after 5 s: no server outlives the benchmark.
    await Promise.all(children.map((child) => stopChild(child)));
    await server.stop();
  }
}

async function run(serverUri: string) {
  const suffix = randomBytes(3).toString('hex');
  const smallUrl = `${serverUri}/bench_small_${suffix}`;
  const largeUrl = `${serverUri}/bench_large_${suffix}`;

  log(`seeding ${SMALL_SESSIONS} and ${LARGE_SESSIONS} sessions`);
  const small = await seed(smallUrl, SMALL_SESSIONS);
  const large = await seed(largeUrl, LARGE_SESSIONS);

  const [apiSmallPort, apiLargePort, webPort, helloPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const apiSmall = await startProcess('api (1k sessions)', ['apps/api/src/main.ts'], apiSmallPort, smallUrl, `/health`);
  await startProcess('api (100k sessions)', ['apps/api/src/main.ts'], apiLargePort, largeUrl, `/health`);
  await startProcess('web', ['apps/web/build'], webPort, smallUrl, '/');
  await startProcess('bare node:http', ['bench/src/hello.ts'], helloPort, smallUrl, '/');

  const api = `http://127.0.0.1:${apiSmallPort}`;
  const apiLarge = `http://127.0.0.1:${apiLargePort}`;
  const web = `http://127.0.0.1:${webPort}`;
  const cookieName = small.cookieName;

  const targets = {
    meCookie: { url: `${api}/trpc/auth.me`, headers: { cookie: `${cookieName}=${small.token}` } },
    meBearer: { url: `${api}/trpc/auth.me`, headers: { authorization: `Bearer ${small.token}` } },
    health: { url: `${api}/trpc/health` },
    bare: { url: `http://127.0.0.1:${helloPort}/` },
    dashboard: { url: `${web}/dashboard`, headers: { cookie: `${cookieName}=${small.token}` } },
    home: { url: `${web}/` },
    meLarge: { url: `${apiLarge}/trpc/auth.me`, headers: { authorization: `Bearer ${large.token}` } },
    meSmall: { url: `${api}/trpc/auth.me`, headers: { authorization: `Bearer ${small.token}` } },
  } satisfies Record<string, autocannon.Options>;
  const login: autocannon.Options = {
    url: `${api}/trpc/auth.login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: small.username, password: PASSWORD }),
    connections: 2,
  };

  log('warming up');
  for (const target of Object.values(targets)) await load({ ...target, duration: 1 });

  const results = new Map<string, Figure[]>();
  const record = (name: string, figure: Figure) => results.set(name, [...(results.get(name) ?? []), figure]);

  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round}/${ROUNDS}`);
    for (const [name, target] of Object.entries(targets)) record(name, await load(target));
    record('login', await load(login));
    const [meDuringLogin, loginDuringMe] = await Promise.all([load(targets.meBearer), load(login)]);
    record('meDuringLogin', meDuringLogin);
    record('loginDuringMe', loginDuringMe);
  }

  const rss = residentMemoryMiB(apiSmall.pid);
  const m = (name: string) => median(results.get(name) ?? []);
  const rows: string[][] = [
    ['auth.me (cookie)', ...cells(m('meCookie'))],
    ['auth.me (bearer)', ...cells(m('meBearer'))],
    ['health (public procedure)', ...cells(m('health'))],
    ['bare node:http (ceiling)', ...cells(m('bare'))],
    ['web /dashboard (signed in)', ...cells(m('dashboard'))],
    ['web / (public home)', ...cells(m('home'))],
    ['auth.login (Argon2id)', ...cells(m('login'))],
    ['auth.me during sign-ins', ...cells(m('meDuringLogin'))],
    ['auth.login during auth.me', ...cells(m('loginDuringMe'))],
    [`auth.me, ${SMALL_SESSIONS.toLocaleString('en')} sessions stored`, ...cells(m('meSmall'))],
    [`auth.me, ${LARGE_SESSIONS.toLocaleString('en')} sessions stored`, ...cells(m('meLarge'))],
  ];
  const ratios: string[][] = [
    ['auth.me / public health', ratio(m('meCookie').rps, m('health').rps), '>= 0.8'],
    ['auth.me / bare node:http', ratio(m('meCookie').rps, m('bare').rps), '-'],
    ['web /dashboard / web /', ratio(m('dashboard').rps, m('home').rps), '-'],
    ['auth.me p99 during sign-ins / alone', ratio(m('meDuringLogin').p99, m('meBearer').p99), '<= 2'],
    [`${LARGE_SESSIONS / 1000}k / 1k sessions throughput`, ratio(m('meLarge').rps, m('meSmall').rps), '>= 0.9'],
  ];

  const serverKind = process.env.MONGODB_URL ? 'MONGODB_URL' : 'embedded';
  const lines = [
    `# Benchmark results`,
    '',
    `${new Date().toISOString()} — Node ${process.versions.node}, ${ROUNDS} rounds of ${SECONDS} s, ` +
      `${CONNECTIONS} connections (sign-ins: 2), database: ${serverKind}. Medians of the rounds.`,
    '',
    table(['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'], rows),
    '',
    table(['ratio', 'value', 'goal'], ratios),
    '',
    `API resident memory after the run: ${rss} MiB`,
    '',
  ];
  const text = lines.join('\n');
  console.log(text);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/latest.md'), text);
}

/** One database with a signed-in user and `sessionCount` sessions in all. */
async function seed(url: string, sessionCount: number) {
  const database = connectDatabase(url);
  await ensureIndexes(database);
  const auth = createAuth({ database });
  const username = `bench_${randomBytes(3).toString('hex')}`;
  const user = await auth.registerUser({ username, email: `${username}@example.com`, password: PASSWORD }, noRequest);
  const { token } = await auth.loginUser(user, { remember: true }, noRequest);
  await fillSessions(database, sessionCount - 1);
  await database.close();
  return { token, username, cookieName: auth.settings.cookieName };
}

const noRequest = { ip: '127.0.0.1', userAgent: 'bench' };

/** Other users' sessions, written directly: only their number matters here. */
async function fillSessions(database: Database, count: number) {
  const now = new Date();
  const later = new Date(now.getTime() + 30 * 24 * 3600_000);
  const batch = 5_000;
  for (let done = 0; done < count; done += batch) {
    const size = Math.min(batch, count - done);
    const users: UserDoc[] = [];
    const sessions: SessionDoc[] = [];
    for (let i = 0; i < size; i++) {
      const id = randomBytes(10).toString('hex');
      if (i % 10 === 0) {
        users.push({
          _id: id,
          username: id,
          username_key: id,
          email: `${id}@example.com`,
          email_key: `${id}@example.com`,
          password_hash: 'unused',
          role: 'user',
          active: true,
          created_at: now,
          updated_at: now,
        });
      }
      sessions.push({
        _id: randomBytes(32).toString('hex'),
        user_id: users[users.length - 1]!._id,
        expires_at: later,
        created_at: now,
        authenticated_at: now,
        fresh: true,
        remember: true,
        absolute_expires_at: later,
        last_seen_at: now,
        user_agent: 'seed',
        ip: '127.0.0.1',
        fingerprint: 'seed',
      });
    }
    await database.users.insertMany(users, { ordered: false });
    await database.sessions.insertMany(sessions, { ordered: false });
  }
}

async function startProcess(name: string, args: string[], port: number, mongodbUrl: string, readyPath: string) {
  // BENCH_PROFILE=1: CPU profiles of every server, written when it stops (open in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench/results/profiles')}`] : [];
  const child = spawn(process.execPath, [...profile, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      // Device cookies are signed with it (required in production); a new one per run.
      AUTH_SECRET_KEY: process.env.AUTH_SECRET_KEY ?? randomBytes(32).toString('base64'),
      PORT: String(port),
      HOST: '127.0.0.1',
      MONGODB_URL: mongodbUrl,
      ORIGIN: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'silent',
      SECURE_COOKIES: 'false',
    },
  });
  children.push(child);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}${readyPath}`);
      if (response.ok) {
        log(`${name} ready on port ${port}`);
        return { pid: child.pid! };
      }
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`${name} did not become ready`);
}

async function load(options: autocannon.Options): Promise<Figure> {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function median(figures: Figure[]): Figure {
  const pick = (key: keyof Figure) => {
    const values = figures.map((figure) => figure[key]).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)] ?? 0;
  };
  return { rps: pick('rps'), p50: pick('p50'), p99: pick('p99'), non2xx: pick('non2xx'), errors: pick('errors') };
}

function cells(figure: Figure): string[] {
  return [figure.rps.toFixed(0), figure.p50.toFixed(1), figure.p99.toFixed(1), String(figure.non2xx), String(figure.errors)];
}

function ratio(a: number, b: number): string {
  return b > 0 ? (a / b).toFixed(2) : 'n/a';
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

function residentMemoryMiB(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return (kib / 1024).toFixed(0);
}

await main();
