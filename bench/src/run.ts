// `pnpm bench`: starts the production API (session cache on and off) and web
// site against the embedded database (or MONGODB_URL), with better-auth on the
// same database for comparison, seeds users and sessions, drives load from this
// process with autocannon, and prints one table. Every figure is the median of
// several rounds, and the rounds of compared targets are interleaved so that a
// noisy machine slows both sides alike. Figures are printed, never asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { connectDatabase } from '@authkit/db';
import { freePort, stopChild } from '@authkit/db/embedded';
import { hashPassword, verifyPassword } from '@authkit/auth';
import { startTestServer } from '@authkit/db/testing-server';
import { GET_SESSION_PATH, seedBetterAuth } from './peers/better-auth.ts';
import { startCommand } from 'api/api-process';
import { PASSWORD, seed } from './seed.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SMALL_SESSIONS = 1_000;
const LARGE_SESSIONS = Number(process.env.BENCH_LARGE_SESSIONS ?? 100_000);
/** BENCH_ONLY=sign-in: only the API (session cache on) and the sign-in rows (no site build needed). */
const SIGN_IN_ONLY = process.env.BENCH_ONLY === 'sign-in';
/**
 * BENCH_ONLY=hot-path: only the floor (a minimal tRPC server), ping, auth.me
 * (cache on, cookie and bearer), the sign-in rounds and the memory rows of the
 * API and the floor (no site build needed).
 */
const HOT_PATH_ONLY = process.env.BENCH_ONLY === 'hot-path';

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
  const betterAuthUrl = `${serverUri}/bench_better_auth_${suffix}`;

  const apiOnly = SIGN_IN_ONLY || HOT_PATH_ONLY;
  log(`seeding ${SMALL_SESSIONS} and ${apiOnly ? 0 : LARGE_SESSIONS} sessions`);
  const small = await seed(smallUrl, SMALL_SESSIONS);
  const large = apiOnly ? small : await seed(largeUrl, LARGE_SESSIONS);
  log('seeding better-auth');
  const betterAuthCookie = apiOnly ? '' : await seedBetterAuth(betterAuthUrl, false);
  const betterAuthCacheCookie = apiOnly ? '' : await seedBetterAuth(betterAuthUrl, true);

  const [
    apiPort,
    apiNoCachePort,
    apiLargePort,
    webPort,
    helloPort,
    betterAuthPort,
    betterAuthCachePort,
    floorPort,
  ] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  // As `pnpm --filter api start` runs it: the same node flags and environment.
  const production = startCommand(join(ROOT, 'apps/api'));
  const apiMain = production.args.map((arg) =>
    arg.startsWith('--') ? arg : join('apps/api', arg),
  );
  log(
    `API: ${[...Object.entries(production.env).map(([k, v]) => `${k}=${v}`), 'node', ...apiMain].join(' ')}`,
  );
  const apiProcess = await startProcess('api (session cache on)', apiMain, apiPort, '/health', {
    ...production.env,
    MONGODB_URL: smallUrl,
    SESSION_CACHE_MS: '1000',
  });
  if (SIGN_IN_ONLY) {
    await signInRows(`http://127.0.0.1:${apiPort}`, smallUrl, small, apiProcess.pid);
    return;
  }
  const floorProcess = await startProcess(
    'minimal tRPC server (the floor)',
    ['bench/src/floor.ts'],
    floorPort,
    '/trpc/ping',
    {},
  );
  if (HOT_PATH_ONLY) {
    await hotPathRows(
      `http://127.0.0.1:${apiPort}`,
      `http://127.0.0.1:${floorPort}`,
      smallUrl,
      small,
      {
        api: apiProcess.pid,
        floor: floorProcess.pid,
      },
    );
    return;
  }
  const apiNoCacheProcess = await startProcess(
    'api (session cache off)',
    apiMain,
    apiNoCachePort,
    '/health',
    {
      ...production.env,
      MONGODB_URL: smallUrl,
      SESSION_CACHE_MS: '0',
    },
  );
  // Cache off: the figure is the database's lookup by _id among many sessions, not a cache hit.
  await startProcess(
    `api (${LARGE_SESSIONS} sessions, cache off)`,
    apiMain,
    apiLargePort,
    '/health',
    {
      ...production.env,
      MONGODB_URL: largeUrl,
      SESSION_CACHE_MS: '0',
    },
  );
  // As `pnpm --filter web start` runs it, flags and environment included.
  const site = startCommand(join(ROOT, 'apps/web'));
  const webMain = site.args.map((arg) => (arg.startsWith('--') ? arg : join('apps/web', arg)));
  const webProcess = await startProcess('web', webMain, webPort, '/', {
    ...site.env,
    MONGODB_URL: smallUrl,
  });
  await startProcess('bare node:http', ['bench/src/hello.ts'], helloPort, '/', {});
  const betterAuthMain = ['bench/src/peers/better-auth.ts'];
  await startProcess('better-auth', betterAuthMain, betterAuthPort, GET_SESSION_PATH, {
    MONGODB_URL: betterAuthUrl,
    BETTER_AUTH_COOKIE_CACHE: '0',
  });
  await startProcess(
    'better-auth (cookie cache)',
    betterAuthMain,
    betterAuthCachePort,
    GET_SESSION_PATH,
    {
      MONGODB_URL: betterAuthUrl,
      BETTER_AUTH_COOKIE_CACHE: '1',
    },
  );

  const api = `http://127.0.0.1:${apiPort}`;
  const apiNoCache = `http://127.0.0.1:${apiNoCachePort}`;
  const web = `http://127.0.0.1:${webPort}`;
  const cookie = `${small.cookieName}=${small.token}`;
  const bearer = `Bearer ${small.token}`;

  // Each round runs the targets in this order: the sides of a ratio run close
  // together (a round takes over a minute, and the machine drifts).
  const targets = {
    floor: { url: `http://127.0.0.1:${floorPort}/trpc/ping` },
    ping: { url: `${api}/trpc/ping` },
    meCookie: { url: `${api}/trpc/auth.me`, headers: { cookie } },
    meBearer: { url: `${api}/trpc/auth.me`, headers: { authorization: bearer } },
    betterAuthCache: {
      url: `http://127.0.0.1:${betterAuthCachePort}${GET_SESSION_PATH}`,
      headers: { cookie: betterAuthCacheCookie },
    },
    betterAuth: {
      url: `http://127.0.0.1:${betterAuthPort}${GET_SESSION_PATH}`,
      headers: { cookie: betterAuthCookie },
    },
    meCookieNoCache: { url: `${apiNoCache}/trpc/auth.me`, headers: { cookie } },
    meBearerNoCache: { url: `${apiNoCache}/trpc/auth.me`, headers: { authorization: bearer } },
    meLarge: {
      url: `http://127.0.0.1:${apiLargePort}/trpc/auth.me`,
      headers: { authorization: `Bearer ${large.token}` },
    },
    health: { url: `${api}/trpc/health` },
    bare: { url: `http://127.0.0.1:${helloPort}/` },
    // Plain http, as a TLS proxy in front would say (the build has no fixed origin).
    dashboard: { url: `${web}/dashboard`, headers: { cookie, 'x-forwarded-proto': 'http' } },
    loginPage: { url: `${web}/login`, headers: { 'x-forwarded-proto': 'http' } },
  } satisfies Record<string, autocannon.Options>;
  const login: autocannon.Options = {
    url: `${api}/trpc/auth.login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: small.username, password: PASSWORD }),
    connections: 2,
  };

  const servers = {
    'API (session cache on)': apiProcess.pid,
    'API (session cache off)': apiNoCacheProcess.pid,
    web: webProcess.pid,
    'minimal tRPC server': floorProcess.pid,
  };
  const memory = new MemoryTable(servers);
  await memory.measure('idle');

  log('warming up');
  for (const target of Object.values(targets)) await load({ ...target, duration: 1 });

  const results = new Map<string, Figure[]>();
  const record = (name: string, figure: Figure) =>
    results.set(name, [...(results.get(name) ?? []), figure]);

  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round}/${ROUNDS}`);
    for (const [name, target] of Object.entries(targets)) record(name, await load(target));
  }
  await memory.measure('after the request rounds');
  for (let round = 1; round <= ROUNDS; round++) {
    log(`sign-in round ${round}/${ROUNDS}`);
    record('login', await load(login));
    const [meDuringLogin, loginDuringMe] = await Promise.all([load(targets.meBearer), load(login)]);
    record('meDuringLogin', meDuringLogin);
    record('loginDuringMe', loginDuringMe);
  }
  const { oneAddress, manyAddresses, floor, meDuringBurst } = await bursts(
    api,
    smallUrl,
    targets.meBearer,
  );
  await memory.measure('after the sign-in rounds and bursts');

  const m = (name: string) => median(results.get(name) ?? []);
  const rows: string[][] = [
    ['auth.me, cookie (session cache on)', ...cells(m('meCookie'))],
    ['auth.me, bearer (session cache on)', ...cells(m('meBearer'))],
    ['auth.me, cookie (session cache off)', ...cells(m('meCookieNoCache'))],
    ['auth.me, bearer (session cache off)', ...cells(m('meBearerNoCache'))],
    ['minimal tRPC server, one constant query (the floor)', ...cells(m('floor'))],
    ['ping (public procedure, no database)', ...cells(m('ping'))],
    ['health (public procedure, database ping)', ...cells(m('health'))],
    ['bare node:http', ...cells(m('bare'))],
    ['better-auth get-session (database)', ...cells(m('betterAuth'))],
    ['better-auth get-session (cookie cache)', ...cells(m('betterAuthCache'))],
    ['web /dashboard (signed in)', ...cells(m('dashboard'))],
    ['web /login (anonymous)', ...cells(m('loginPage'))],
    ['auth.login (Argon2id), one account, 2 connections', ...cells(m('login'))],
    [`auth.login burst, ${BURST} distinct accounts, one address`, ...cells(oneAddress)],
    [
      `auth.login burst, ${BURST} distinct accounts, ${BURST} addresses (X-Forwarded-For)`,
      ...cells(manyAddresses),
    ],
    [`Argon2id verify only, ${BURST} at once (the floor)`, ...cells(floor)],
    ['auth.me during the one-address burst', ...cells(meDuringBurst)],
    ['auth.me during sign-ins', ...cells(m('meDuringLogin'))],
    ['auth.login during auth.me', ...cells(m('loginDuringMe'))],
    [
      `auth.me, bearer, cache off, ${LARGE_SESSIONS.toLocaleString('en')} sessions stored`,
      ...cells(m('meLarge')),
    ],
  ];
  const ratios: string[][] = [
    ['ping / minimal tRPC server', ratio(m('ping').rps, m('floor').rps), '>= 0.9'],
    [
      'auth.me, cookie (cache on) / minimal tRPC server',
      ratio(m('meCookie').rps, m('floor').rps),
      '>= 0.8',
    ],
    [
      'auth.me, bearer (cache on) / minimal tRPC server',
      ratio(m('meBearer').rps, m('floor').rps),
      '>= 0.8',
    ],
    ['auth.me (cache on) / ping', ratio(m('meCookie').rps, m('ping').rps), '>= 0.8'],
    [
      'auth.me (cache on) / better-auth (cookie cache)',
      ratio(m('meCookie').rps, m('betterAuthCache').rps),
      '>= 2',
    ],
    [
      'auth.me (cache off) / better-auth (database)',
      ratio(m('meCookieNoCache').rps, m('betterAuth').rps),
      '-',
    ],
    ['auth.me cache on / cache off', ratio(m('meCookie').rps, m('meCookieNoCache').rps), '-'],
    ['auth.me (cache on) / bare node:http', ratio(m('meCookie').rps, m('bare').rps), '-'],
    ['web /dashboard / web /login', ratio(m('dashboard').rps, m('loginPage').rps), '>= 0.8'],
    ['burst sign-ins/s, one address / Argon2id only', ratio(oneAddress.rps, floor.rps), '>= 0.6'],
    [
      'burst sign-ins/s, many addresses / Argon2id only',
      ratio(manyAddresses.rps, floor.rps),
      '>= 0.6',
    ],
    [
      'auth.me p99 during the one-address burst / alone',
      ratio(meDuringBurst.p99, m('meBearer').p99),
      '<= 3',
    ],
    [
      'auth.me p99 during sign-ins / alone',
      ratio(m('meDuringLogin').p99, m('meBearer').p99),
      '<= 2',
    ],
    [
      `${LARGE_SESSIONS / 1000}k / ${SMALL_SESSIONS / 1000}k sessions throughput (cache off)`,
      ratio(m('meLarge').rps, m('meBearerNoCache').rps),
      '>= 0.9',
    ],
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
    memory.table(),
    '',
    MEMORY_GOALS,
    '',
  ];
  const text = lines.join('\n');
  console.log(text);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/latest.md'), text);
}

/** A server process, ready once `readyPath` answers 2xx. `env` adds to the production defaults. */
async function startProcess(
  name: string,
  args: string[],
  port: number,
  readyPath: string,
  env: Record<string, string>,
) {
  // BENCH_PROFILE=1: CPU profiles of every server, written when it stops (open in Chrome DevTools).
  // BENCH_LOG_DIR=<dir>: each server's log lines (stdout) in <dir>/<name>.log; by default they are dropped.
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench/results/profiles')}`]
    : [];
  const child = spawn(process.execPath, [...profile, ...args], {
    cwd: ROOT,
    stdio: ['ignore', logFile(name), 'inherit'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      // Device cookies are signed with it (required in production); a new one per run.
      AUTH_SECRET_KEY: process.env.AUTH_SECRET_KEY ?? randomBytes(32).toString('base64'),
      PORT: String(port),
      HOST: '127.0.0.1',
      ORIGIN: `http://127.0.0.1:${port}`,
      // As in production: one log line per request (to /dev/null here), so its cost is measured.
      LOG_LEVEL: 'info',
      SECURE_COOKIES: 'false',
      // The site: the scheme from this header (the benchmark sends http).
      PROTOCOL_HEADER: 'x-forwarded-proto',
      // The sign-in target signs the one bench user in again and again: no cap
      // may end the session the other targets use.
      MAX_SESSIONS_PER_USER: '1000000',
      // The burst from 200 addresses names them in X-Forwarded-For.
      TRUST_PROXY: '127.0.0.1',
      ...env,
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

const BURST = 200;

/**
 * Bursts of distinct accounts (issue 20): from one address, from BURST
 * addresses (X-Forwarded-For), the Argon2id floor, and auth.me (`me`) under
 * load while the one-address burst signs the same accounts in again.
 */
async function bursts(api: string, url: string, me: autocannon.Options) {
  log(`seeding ${2 * BURST} accounts for the sign-in bursts`);
  const burstOne = await seedAccounts(url, BURST);
  const burstMany = await seedAccounts(url, BURST);
  const oneAddress = await burst(api, burstOne, () => ({}));
  const manyAddresses = await burst(api, burstMany, (i) => ({
    'x-forwarded-for': `198.18.${i >> 8}.${i & 255}`,
  }));
  const floor = await argon2Floor(BURST);
  const meDuringBurst = await loadDuring(
    me,
    burst(api, burstOne, () => ({})),
  );
  return { oneAddress, manyAddresses, floor, meDuringBurst };
}

/** BENCH_ONLY=sign-in: auth.me alone, the one-account sign-in and the bursts, against one API process. */
async function signInRows(
  api: string,
  url: string,
  small: { token: string; username: string },
  apiPid: number,
): Promise<void> {
  const me: autocannon.Options = {
    url: `${api}/trpc/auth.me`,
    headers: { authorization: `Bearer ${small.token}` },
  };
  const login: autocannon.Options = {
    url: `${api}/trpc/auth.login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: (small as { username?: string }).username,
      password: PASSWORD,
    }),
    connections: 2,
  };
  log('warming up');
  await load({ ...me, duration: 1 });
  const alone: Figure[] = [];
  const logins: Figure[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round}/${ROUNDS}`);
    alone.push(await load(me));
    logins.push(await load(login));
  }
  const meAlone = median(alone);
  const { oneAddress, manyAddresses, floor, meDuringBurst } = await bursts(api, url, me);
  const rows = [
    ['auth.me, bearer (session cache on)', ...cells(meAlone)],
    ['auth.login (Argon2id), one account, 2 connections', ...cells(median(logins))],
    [`auth.login burst, ${BURST} distinct accounts, one address`, ...cells(oneAddress)],
    [
      `auth.login burst, ${BURST} distinct accounts, ${BURST} addresses (X-Forwarded-For)`,
      ...cells(manyAddresses),
    ],
    [`Argon2id verify only, ${BURST} at once (the floor)`, ...cells(floor)],
    ['auth.me during the one-address burst', ...cells(meDuringBurst)],
  ];
  const ratios = [
    ['burst sign-ins/s, one address / Argon2id only', ratio(oneAddress.rps, floor.rps), '>= 0.6'],
    [
      'burst sign-ins/s, many addresses / Argon2id only',
      ratio(manyAddresses.rps, floor.rps),
      '>= 0.6',
    ],
    [
      'auth.me p99 during the one-address burst / alone',
      ratio(meDuringBurst.p99, meAlone.p99),
      '<= 3',
    ],
  ];
  console.log(
    [
      `# Benchmark results (BENCH_ONLY=sign-in)`,
      '',
      `${new Date().toISOString()} — Node ${process.versions.node}, ${ROUNDS} rounds of ${SECONDS} s, ` +
        `${CONNECTIONS} connections (sign-ins: 2; bursts: ${BURST} at once, one run each).`,
      '',
      table(['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'], rows),
      '',
      table(['ratio', 'value', 'goal'], ratios),
      '',
      `API resident memory after the run: ${residentMemoryMiB(apiPid)} MiB`,
      '',
    ].join('\n'),
  );
}

/**
 * BENCH_ONLY=hot-path: the floor, ping and auth.me (cache on, cookie and
 * bearer) interleaved, then the sign-in rounds (one account, and one burst of
 * distinct accounts), and the resident memory of both servers along the way.
 */
async function hotPathRows(
  api: string,
  floorUrl: string,
  url: string,
  small: { token: string; username: string; cookieName: string },
  pids: { api: number; floor: number },
): Promise<void> {
  const targets = {
    floor: { url: `${floorUrl}/trpc/ping` },
    ping: { url: `${api}/trpc/ping` },
    meCookie: {
      url: `${api}/trpc/auth.me`,
      headers: { cookie: `${small.cookieName}=${small.token}` },
    },
    meBearer: { url: `${api}/trpc/auth.me`, headers: { authorization: `Bearer ${small.token}` } },
  } satisfies Record<string, autocannon.Options>;
  const memory = new MemoryTable({
    'API (session cache on)': pids.api,
    'minimal tRPC server': pids.floor,
  });
  await memory.measure('idle');
  log('warming up');
  for (const target of Object.values(targets)) await load({ ...target, duration: 1 });
  const results = new Map<string, Figure[]>();
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round}/${ROUNDS}`);
    for (const [name, target] of Object.entries(targets)) {
      results.set(name, [...(results.get(name) ?? []), await load(target)]);
    }
  }
  await memory.measure('after the request rounds');
  const login: autocannon.Options = {
    url: `${api}/trpc/auth.login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: small.username, password: PASSWORD }),
    connections: 2,
  };
  const logins: Figure[] = [];
  for (let round = 1; round <= ROUNDS; round++) logins.push(await load(login));
  log(`seeding ${BURST} accounts for a sign-in burst`);
  const oneAddress = await burst(api, await seedAccounts(url, BURST), () => ({}));
  await memory.measure('after the sign-in rounds and burst');

  const m = (name: string) => median(results.get(name) ?? []);
  const rows = [
    ['minimal tRPC server, one constant query (the floor)', ...cells(m('floor'))],
    ['ping (public procedure, no database)', ...cells(m('ping'))],
    ['auth.me, cookie (session cache on)', ...cells(m('meCookie'))],
    ['auth.me, bearer (session cache on)', ...cells(m('meBearer'))],
    ['auth.login (Argon2id), one account, 2 connections', ...cells(median(logins))],
    [`auth.login burst, ${BURST} distinct accounts, one address`, ...cells(oneAddress)],
  ];
  const ratios = [
    ['ping / minimal tRPC server', ratio(m('ping').rps, m('floor').rps), '>= 0.9'],
    [
      'auth.me, cookie (cache on) / minimal tRPC server',
      ratio(m('meCookie').rps, m('floor').rps),
      '>= 0.8',
    ],
    [
      'auth.me, bearer (cache on) / minimal tRPC server',
      ratio(m('meBearer').rps, m('floor').rps),
      '>= 0.8',
    ],
  ];
  console.log(
    [
      `# Benchmark results (BENCH_ONLY=hot-path)`,
      '',
      `${new Date().toISOString()} — Node ${process.versions.node}, ${ROUNDS} rounds of ${SECONDS} s, ` +
        `${CONNECTIONS} connections (sign-ins: 2). Medians of the rounds.`,
      '',
      table(['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'], rows),
      '',
      table(['ratio', 'value', 'goal'], ratios),
      '',
      memory.table(),
      '',
      MEMORY_GOALS,
      '',
    ].join('\n'),
  );
}

const MEMORY_GOALS =
  'Goals for the resident memory: the API <= 150 MiB idle and <= 250 MiB after the whole run; the site <= 150 MiB.';

/** Resident memory (VmRSS) of each server at named moments, one row per server. */
class MemoryTable {
  private readonly columns: string[] = [];
  private readonly values = new Map<string, string[]>();
  private readonly servers: Record<string, number>;
  constructor(servers: Record<string, number>) {
    this.servers = servers;
  }

  async measure(moment: string): Promise<void> {
    // A moment to settle: the figure is what the process keeps, not a request in flight.
    await new Promise((done) => setTimeout(done, 1_000));
    this.columns.push(moment);
    for (const [name, pid] of Object.entries(this.servers)) {
      this.values.set(name, [...(this.values.get(name) ?? []), residentMemoryMiB(pid)]);
    }
  }

  table(): string {
    return table(
      ['resident memory (MiB)', ...this.columns],
      Object.keys(this.servers).map((name) => [name, ...(this.values.get(name) ?? [])]),
    );
  }
}

/** Where a server's stdout goes: BENCH_LOG_DIR/<name>.log, or nowhere. */
function logFile(name: string): 'ignore' | number {
  const dir = process.env.BENCH_LOG_DIR;
  return dir ? openSync(join(dir, `${name.replace(/\W+/g, '-')}.log`), 'w') : 'ignore';
}

/** auth.me-like load (autocannon) for as long as `work` runs. */
async function loadDuring(options: autocannon.Options, work: Promise<unknown>): Promise<Figure> {
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<autocannon.Result>((done, fail) => {
    instance = autocannon(
      { connections: CONNECTIONS, ...options, duration: 600 },
      (error, result) => (error ? fail(error) : done(result)),
    );
  });
  await work;
  instance?.stop();
  const result = await finished;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** `count` accounts with the bench password, written directly (the hash made once). */
async function seedAccounts(url: string, count: number): Promise<string[]> {
  const database = connectDatabase(url);
  const hash = await hashPassword(PASSWORD);
  const now = new Date();
  const names = Array.from({ length: count }, () => `burst_${randomBytes(5).toString('hex')}`);
  await database.users.insertMany(
    names.map((name) => ({
      _id: randomBytes(10).toString('hex'),
      username: name,
      username_key: name,
      email: `${name}@example.com`,
      email_key: `${name}@example.com`,
      password_hash: hash,
      role: 'user' as const,
      active: true,
      created_at: now,
      updated_at: now,
    })),
  );
  await database.close();
  return names;
}

/** All the accounts sign in at the same moment over HTTP: sign-ins/s over the burst, p99, non-2xx. */
async function burst(
  api: string,
  names: string[],
  headers: (i: number) => Record<string, string>,
): Promise<Figure> {
  const started = performance.now();
  const refusals = new Set<string>();
  const outcomes = await Promise.all(
    names.map(async (username, i) => {
      const at = performance.now();
      const response = await fetch(`${api}/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers(i) },
        body: JSON.stringify({ username, password: PASSWORD }),
      }).catch(() => null);
      const text = response ? await response.text() : '';
      if (response && !response.ok) refusals.add(`${response.status} ${text.slice(0, 160)}`);
      return {
        ms: performance.now() - at,
        ok: response?.ok ?? false,
        error: response === null,
        status: response?.status ?? 0,
      };
    }),
  );
  // Which refusals: 429 (the throttle: failures, or "in progress" after the queue wait) or 503 (the database).
  const statuses = new Map<number, number>();
  for (const { status } of outcomes) statuses.set(status, (statuses.get(status) ?? 0) + 1);
  log(
    `burst of ${names.length}: ${[...statuses].map(([status, n]) => `${n} x ${status}`).join(', ')}`,
  );
  for (const refusal of refusals) log(`  refused: ${refusal}`);
  return figureOf(outcomes, performance.now() - started);
}

/** The same number of Argon2id verifies at once, in this process (Node, the same parameters): the floor. */
async function argon2Floor(count: number): Promise<Figure> {
  const hash = await hashPassword(PASSWORD);
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: count }, async () => {
      const at = performance.now();
      const ok = await verifyPassword(hash, PASSWORD);
      return { ms: performance.now() - at, ok, error: false };
    }),
  );
  return figureOf(outcomes, performance.now() - started);
}

function figureOf(
  outcomes: { ms: number; ok: boolean; error: boolean }[],
  totalMs: number,
): Figure {
  const sorted = outcomes.map((outcome) => outcome.ms).sort((a, b) => a - b);
  return {
    rps: outcomes.length / (totalMs / 1000),
    p50: sorted[Math.floor(sorted.length / 2)] ?? 0,
    p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0,
    non2xx: outcomes.filter((outcome) => !outcome.ok && !outcome.error).length,
    errors: outcomes.filter((outcome) => outcome.error).length,
  };
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
  return {
    rps: pick('rps'),
    p50: pick('p50'),
    p99: pick('p99'),
    non2xx: pick('non2xx'),
    errors: pick('errors'),
  };
}

function cells(figure: Figure): string[] {
  return [
    figure.rps.toFixed(0),
    figure.p50.toFixed(1),
    figure.p99.toFixed(1),
    String(figure.non2xx),
    String(figure.errors),
  ];
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
