// Property-based fuzzing (fast-check) of every form action of the site, with
// native form posts (urlencoded and multipart) sent by hand: malformed,
// oversized, wrong-typed, operator-injected and Unicode-edge inputs, anonymous,
// signed in and as an admin. Whatever arrives, the site answers with a
// deliberate status (never a 5xx), keeps running, and a refused request leaves
// the users (count, password hashes, roles, active flags, addresses), the
// sessions, the single-use link tokens and the mail outbox as they were.
//
// FUZZ_SCALE=10 multiplies the runs (a longer local session); FUZZ_SEED=<n>
// replays the seed a failure printed.
import { createHash } from 'node:crypto';
import { createSignedInUser, testRequest, type SignedInUser } from '@authkit/auth/testing';
import { expect, test } from '@playwright/test';
import fc from 'fast-check';
import { closeTestAuth, enrolTotp, newUser, testAuth, webUrl } from './support/fixtures.ts';
import {
  actionPath,
  brokenForm,
  describeCase,
  fieldValue,
  FormClient,
  formCase,
  formEscape,
  guardedRoutes,
  isSameSitePath,
  loopbackAddress,
  malformedBody,
  oddNext,
  pathSpelling,
  redirectOf,
  text,
  type Answer,
  type FormCase,
} from './support/fuzz-support.ts';
import {
  check,
  databaseState,
  expectAnswer,
  expectRedirect,
  refusedWithoutTrace,
  scale,
  tally,
} from './support/fuzz-checks.ts';

// Each test takes 1-20 s at scale 1; the budget leaves room for a slow machine.
test.describe.configure({ timeout: 120_000 * scale });

// ---- the cast -----------------------------------------------------------------

function sessionId(user: SignedInUser): string {
  return createHash('sha256').update(user.token).digest('hex');
}

/** Signed in through the auth package (same user agent as the fuzz client, so sessions stay fresh). */
function signedIn(prefix: string, role: 'user' | 'admin' = 'user'): Promise<SignedInUser> {
  return createSignedInUser(testAuth(), { username: newUser(prefix).username, role });
}

let member: SignedInUser; // revokes sessions (and has a second device)
let memberOtherDevice: string; // the id of member's second session
let reauthUser: SignedInUser;
let passwordUser: SignedInUser;
let loneUser: SignedInUser; // one session only: "sign out other devices" changes nothing
let admin: SignedInUser;
let targetUser: SignedInUser; // what the admin actions point at
let emailUser: SignedInUser; // changes their address (fresh session)
let verifiedUser: SignedInUser; // asks for a verification link they do not need
let resetToken: string; // a working reset link's token (of targetUser)
let totpUser: SignedInUser; // has TOTP: the second-factor forms are fuzzed on it
let client: FormClient;

test.beforeAll(async () => {
  [member, reauthUser, passwordUser, loneUser, admin, targetUser] = await Promise.all([
    signedIn('fuzz_member'),
    signedIn('fuzz_reauth'),
    signedIn('fuzz_password'),
    signedIn('fuzz_lone'),
    signedIn('fuzz_admin', 'admin'),
    signedIn('fuzz_target'),
  ]);
  [emailUser, verifiedUser] = await Promise.all([
    signedIn('fuzz_email'),
    signedIn('fuzz_verified'),
  ]);
  await testAuth().database.users.updateMany(
    { _id: { $in: [verifiedUser.user.id, loneUser.user.id] } },
    { $set: { email_verified: true } },
  );
  // "Sign out other devices" renews the lone user's security stamp, which voids
  // every link mailed before it: the lone user has none pending, so that its
  // accepted sign-outs leave no trace.
  await testAuth().database.singleUseTokens.deleteMany({ user_id: loneUser.user.id });
  const link = await testAuth().createPasswordResetLink(targetUser.user.username);
  resetToken = link.slice(link.indexOf('/reset/') + '/reset/'.length);
  // REQUIRE_MFA_FOR_ADMINS: the admin has TOTP; so has totpUser (its forms are fuzzed).
  totpUser = await signedIn('fuzz_totp');
  await Promise.all([enrolTotp(admin), enrolTotp(totpUser)]);
  const other = await testAuth().loginUser(member.user, {}, testRequest);
  memberOtherDevice = other.session.id;
});

test.beforeEach(() => {
  // A loopback address of its own per test: failed sign-ins are throttled per address.
  client = new FormClient(webUrl(), loopbackAddress());
});

test.afterEach(() => client.close());

test.afterAll(async () => {
  const counts = [...tally].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
  const total = [...tally.values()].reduce((sum, n) => sum + n, 0);
  console.log(`[fuzz] ${total} answers checked: ${counts.join(' ')}`);
  await closeTestAuth();
});

const loginFields = ['username', 'password', 'remember', 'next'];
const registerFields = ['username', 'email', 'password', 'confirm', 'next'];
const passwordFields = ['currentPassword', 'newPassword', 'confirmPassword', 'username'];

// ---- anonymous forms ------------------------------------------------------------

test('sign-in and registration refuse every malformed form', async () => {
  await refusedWithoutTrace(client, async () => {
    // A real account's credentials, broken in one field: never a session.
    await check(
      brokenForm(
        {
          username: member.user.username,
          password: member.password,
          remember: 'on',
          next: '/account',
        },
        ['username', 'password'],
      ),
      40,
      async (form) => {
        const answer = await client.postForm('/login', form);
        expectAnswer(answer, [400, 429], form);
        expect(answer.body, describeCase(form)).not.toContain(member.password);
      },
    );
    await check(formCase(loginFields), 400, async (form) => {
      // 429: the fuzz's own address is throttled after 20 failed sign-ins (a refusal too).
      expectAnswer(await client.postForm('/login', form), [400, 413, 429], form);
    });

    // A valid registration, broken in one field: never an account.
    const newcomer = newUser('fuzz_new');
    await check(
      brokenForm({ ...newcomer, confirm: newcomer.password, next: '/dashboard' }, [
        'username',
        'email',
        'password',
        'confirm',
      ]),
      80,
      async (form) => expectAnswer(await client.postForm('/register', form), [400], form),
    );
    await check(formCase(registerFields), 400, async (form) => {
      expectAnswer(await client.postForm('/register', form), [400, 413], form);
    });
  });
});

test('sign-out answers any body with a redirect and ends only the session it was sent with', async () => {
  const cookieValue = fc.oneof(
    fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
    fc.stringMatching(/^[a-z2-7]{40}$/), // well-formed, but no such session
    fc.constant(sessionId(member)), // a session id from a database dump is not a token
    fc.constant(`${member.token}x`),
    fc.constant(member.token.toUpperCase()),
  );
  await refusedWithoutTrace(client, async () => {
    await check(
      fc.tuple(formCase(['next']), fc.option(cookieValue)),
      150,
      async ([form, cookie]) => {
        const headers: Record<string, string> =
          cookie === null ? {} : { cookie: `authkit_session=${cookie}` };
        expectRedirect(await client.postForm('/logout', form, { headers }), '/login', {
          form,
          cookie,
        });
      },
    );
  });

  // Signed in: any body signs this session out, and nothing else changes.
  const before = await databaseState();
  await check(formCase(['next', 'sessionId', 'all']), 25, async (form) => {
    const session = await testAuth().loginUser(loneUser.user, {}, testRequest);
    const answer = await client.postForm('/logout', form, { token: session.token });
    expectRedirect(answer, '/login', form);
    expect(await testAuth().database.sessions.countDocuments({ _id: session.session.id })).toBe(0);
  });
  expect(await databaseState()).toEqual(before);
});

// ---- signed-in forms ----------------------------------------------------------

test('re-authentication, password change and session revocation refuse every malformed form', async () => {
  await refusedWithoutTrace(client, async () => {
    await check(
      brokenForm({ password: reauthUser.password, next: '/account' }, ['password']),
      40,
      async (form) => {
        const answer = await client.postForm('/account/reauth', form, { token: reauthUser.token });
        expectAnswer(answer, [400, 429], form);
        expect(answer.body, describeCase(form)).not.toContain(reauthUser.password);
      },
    );
    await check(formCase(['password', 'next', 'username']), 200, async (form) => {
      const answer = await client.postForm('/account/reauth', form, { token: reauthUser.token });
      expectAnswer(answer, [400, 413, 429], form);
    });

    const newPassword = `${passwordUser.password}-renewed`;
    await check(
      brokenForm(
        { currentPassword: passwordUser.password, newPassword, confirmPassword: newPassword },
        ['currentPassword', 'newPassword', 'confirmPassword'],
      ),
      40,
      async (form) => {
        const answer = await client.postForm('/account?/password', form, {
          token: passwordUser.token,
        });
        expectAnswer(answer, [400, 429], form);
        expect(answer.body, describeCase(form)).not.toContain(passwordUser.password);
        expect(answer.body, describeCase(form)).not.toContain(newPassword);
      },
    );
    await check(formCase(passwordFields), 200, async (form) => {
      const answer = await client.postForm('/account?/password', form, {
        token: passwordUser.token,
      });
      expectAnswer(answer, [400, 413, 429], form);
    });

    // Another device of the same user, broken: it stays signed in.
    await check(brokenForm({ sessionId: memberOtherDevice }, ['sessionId']), 40, async (form) => {
      const answer = await client.postForm('/account?/revoke', form, { token: member.token });
      expectAnswer(answer, [400, 404], form);
    });
    // Other users' sessions are not found; nor is anything else.
    const foreignSession = fc.constantFrom(
      sessionId(admin),
      sessionId(targetUser),
      sessionId(loneUser),
    );
    await check(
      fc.tuple(formCase(['sessionId']), fc.option(fc.oneof(foreignSession, fieldValue))),
      200,
      async ([form, value]) => {
        const sent =
          value === null
            ? form
            : { ...form, entries: [{ name: 'sessionId', value }, ...form.entries] };
        const answer = await client.postForm('/account?/revoke', sent, { token: member.token });
        expectAnswer(answer, [400, 404, 413], sent);
      },
    );

    // "Sign out other devices" reads no input: with no other device it changes nothing.
    await check(formCase(['sessionId', 'all']), 60, async (form) => {
      const answer = await client.postForm('/account?/revokeOthers', form, {
        token: loneUser.token,
      });
      expectRedirect(answer, '/account#sessions', form);
    });
  });
});

// ---- admin forms ----------------------------------------------------------------

test('admin actions refuse malformed forms, themselves, non-admins and anonymous visitors', async () => {
  const pageQuery = fc.option(fc.oneof(text, fc.constantFrom('2', '0', '-1', '1e9', '99999999')), {
    freq: 2,
  });
  const withPage = (path: string, page: string | null) =>
    page === null ? path : `${path}&page=${formEscape(page)}`;
  // Other test files may have left admins behind: make this one the only one.
  const otherAdmins = await testAuth()
    .database.users.find({ _id: { $ne: admin.user.id }, role: 'admin' }, { projection: { _id: 1 } })
    .toArray();
  for (const other of otherAdmins)
    await testAuth().setRole(admin.user, other._id, 'user', testRequest);

  await refusedWithoutTrace(client, async () => {
    for (const [action, valid, required] of [
      ['setActive', { userId: targetUser.user.id, active: 'false' }, ['userId', 'active']],
      ['setRole', { userId: targetUser.user.id, role: 'admin' }, ['userId', 'role']],
    ] as const) {
      // Confirmed or not, a broken form is refused (unconfirmed, before the question is asked).
      for (const confirmed of [{}, { confirm: 'yes' }] as Record<string, string>[]) {
        await check(
          fc.tuple(brokenForm({ ...valid, ...confirmed }, required), pageQuery),
          40,
          async ([form, page]) => {
            const answer = await client.postForm(withPage(`/admin?/${action}`, page), form, {
              token: admin.token,
            });
            expectAnswer(answer, [400, 404], { form, page });
          },
        );
      }
      // A valid form that is not confirmed (no `confirm`, or anything but "yes") only asks: a 200, nothing changed.
      await check(
        fc.tuple(brokenForm({ ...valid, confirm: 'yes' }, ['confirm']), pageQuery),
        20,
        async ([form, page]) => {
          const answer = await client.postForm(withPage(`/admin?/${action}`, page), form, {
            token: admin.token,
          });
          expectAnswer(answer, [200], { form, page });
        },
      );
      // Anything at all: refused, or only the question (a 200); never a change.
      await check(
        fc.tuple(formCase(['userId', 'active', 'role', 'confirm']), pageQuery),
        150,
        async ([form, page]) => {
          const answer = await client.postForm(withPage(`/admin?/${action}`, page), form, {
            token: admin.token,
          });
          expectAnswer(answer, [200, 400, 404, 413], { form, page });
        },
      );
    }

    // The only admin can neither deactivate nor demote themselves: 409.
    for (const [action, field, value] of [
      ['setActive', 'active', 'false'],
      ['setRole', 'role', 'user'],
    ] as const) {
      const form: FormCase = {
        entries: [
          { name: 'userId', value: admin.user.id },
          { name: field, value },
          { name: 'confirm', value: 'yes' },
        ],
        encoding: 'urlencoded',
        accept: 'html',
      };
      const answer = await client.postForm(`/admin?/${action}`, form, { token: admin.token });
      expectAnswer(answer, [409], form);
    }

    // Members get 403, anonymous visitors the sign-in page, whatever they send.
    const admins = fc.tuple(
      fc.constantFrom('setActive', 'setRole'),
      formCase(['userId', 'active', 'role']),
    );
    await check(admins, 80, async ([action, form]) => {
      const answer = await client.postForm(`/admin?/${action}`, form, { token: member.token });
      expectAnswer(answer, [403], form);
    });
    await check(admins, 60, async ([action, form]) => {
      const answer = await client.postForm(`/admin?/${action}`, form);
      expectRedirect(answer, '/login?next=', form);
    });
  });
});

// ---- recovery and email forms ----------------------------------------------------

/** Path tokens: random, hostile, well-formed but unknown, and the real one changed. */
const linkToken = fc.oneof(
  fc.stringMatching(/^[a-z2-7]{40}$/),
  fc.constantFrom(
    '',
    'x',
    '%00',
    '%2e%2e',
    '..%2f',
    'a'.repeat(3_000),
    '%F0%9F%98%80',
    '%ED%A0%80',
  ),
  text.map((value) => formEscape(value)),
);

test('recovery and email forms refuse malformed input: no password, address, link or mail changes', async () => {
  await refusedWithoutTrace(client, async () => {
    // Anonymous "forgot password": refused input writes no link and no mail; a
    // name nobody has gets the known-name answer (200), also without either.
    await check(formCase(['login']), 150, async (form) => {
      const answer = await client.postForm('/forgot', form);
      expectAnswer(answer, [200, 400, 413, 429], form);
    });

    // The real reset link with a broken form: the password stays, the link works on.
    const newPassword = `${targetUser.password}-reset`;
    await check(
      brokenForm({ newPassword, confirmPassword: newPassword }, ['newPassword', 'confirmPassword']),
      40,
      async (form) => {
        const answer = await client.postForm(`/reset/${resetToken}`, form);
        expectAnswer(answer, [400], form);
        expect(answer.body, describeCase(form)).not.toContain(newPassword);
      },
    );
    // Any token in the path, any form: no such link (or not this route: `..` is `/`, a 405; an empty one a 308).
    await check(
      fc.tuple(linkToken, formCase(['newPassword', 'confirmPassword'])),
      120,
      async ([token, form]) => {
        const answer = await client.postForm(`/reset/${token}`, form, { token: member.token });
        expectAnswer(answer, [308, 400, 404, 405, 413], { token, form });
      },
    );
    await check(fc.tuple(linkToken, formCase(['token'])), 120, async ([token, form]) => {
      const answer = await client.postForm(`/verify-email/${token}`, form);
      expectAnswer(answer, [308, 400, 404, 405, 413], { token, form });
    });

    // A new address, broken: the address stays and no link is sent.
    await check(
      brokenForm({ email: `new_${emailUser.user.email}` }, ['email']),
      40,
      async (form) => {
        const answer = await client.postForm('/account?/email', form, { token: emailUser.token });
        expectAnswer(answer, [400], form);
      },
    );
    await check(formCase(['email']), 150, async (form) => {
      const answer = await client.postForm('/account?/email', form, { token: emailUser.token });
      expectAnswer(answer, [400, 413, 429], form);
    });

    // A verified user asking for a link gets none, whatever the body.
    await check(formCase(['next']), 60, async (form) => {
      const answer = await client.postForm('/verify-email?/resend', form, {
        token: verifiedUser.token,
      });
      expectAnswer(answer, [200, 303, 413], form);
      if (answer.status !== 413) {
        expect(isSameSitePath(redirectOf(answer) ?? '', webUrl()), describeCase(form)).toBe(true);
      }
    });

    // Admin: a reset link or a sign-out for nobody, confirmed or not.
    for (const action of ['sendResetLink', 'endSessions']) {
      for (const confirmed of [{}, { confirm: 'yes' }] as Record<string, string>[]) {
        await check(
          brokenForm({ userId: targetUser.user.id, ...confirmed }, ['userId']),
          30,
          async (form) => {
            const answer = await client.postForm(`/admin?/${action}`, form, {
              token: admin.token,
            });
            expectAnswer(answer, [400, 404], { action, form });
          },
        );
      }
      await check(formCase(['userId']), 60, async (form) => {
        const answer = await client.postForm(`/admin?/${action}`, form, { token: member.token });
        expectAnswer(answer, [403, 413], { action, form });
      });
    }
  });
});

// ---- every action: names, bodies, origins, sizes ----------------------------------

interface Target {
  path: string;
  /** Session token to send (null: anonymous). */
  token: () => string | null;
  /** What a body the action never reads (or any well-formed one) gets: a redirect there. */
  redirect: string | null;
  /** With a redirect: it still reads the body (an oversized one is a 413). */
  readsBody?: boolean;
  /** May answer 429 (a password is checked). */
  throttled: boolean;
}

const targets: Target[] = [
  { path: '/login', token: () => null, redirect: null, throttled: true },
  { path: '/register', token: () => null, redirect: null, throttled: false },
  { path: '/logout', token: () => null, redirect: '/login', throttled: false },
  { path: '/account/reauth', token: () => reauthUser.token, redirect: null, throttled: true },
  { path: '/account?/password', token: () => passwordUser.token, redirect: null, throttled: true },
  { path: '/account?/revoke', token: () => member.token, redirect: null, throttled: false },
  {
    path: '/account?/revokeOthers',
    token: () => loneUser.token,
    redirect: '/account#sessions',
    throttled: false,
  },
  { path: '/admin?/setActive', token: () => admin.token, redirect: null, throttled: false },
  { path: '/admin?/setRole', token: () => admin.token, redirect: null, throttled: false },
  { path: '/forgot', token: () => null, redirect: null, throttled: true },
  { path: '/reset/not-a-token', token: () => null, redirect: null, throttled: false },
  { path: '/verify-email/not-a-token', token: () => null, redirect: null, throttled: false },
  {
    path: '/verify-email?/resend',
    token: () => verifiedUser.token,
    redirect: '/verify-email',
    readsBody: true,
    throttled: false,
  },
  { path: '/account?/email', token: () => emailUser.token, redirect: null, throttled: true },
  { path: '/admin?/sendResetLink', token: () => admin.token, redirect: null, throttled: false },
  { path: '/admin?/endSessions', token: () => admin.token, redirect: null, throttled: false },
];

test('unknown, reserved and prototype action names are not found', async () => {
  const pages = [
    { path: '/login', token: () => null, actions: [] as string[] },
    { path: '/register', token: () => null, actions: [] },
    { path: '/account/reauth', token: () => reauthUser.token, actions: [] },
    {
      path: '/account',
      token: () => member.token,
      actions: ['revoke', 'revokeOthers', 'password', 'email', 'resendEmail', 'cancelEmail'],
    },
    {
      path: '/admin',
      token: () => admin.token,
      actions: ['setActive', 'setRole', 'sendResetLink', 'endSessions'],
    },
    { path: '/forgot', token: () => null, actions: [] },
    { path: '/verify-email', token: () => verifiedUser.token, actions: ['resend'] },
  ];
  const name = fc.oneof(
    fc.constantFrom(
      'default',
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'valueOf',
      '',
      '/',
      'revoke/',
      'Revoke',
      'password ',
      'setActive\u0000',
      '..',
      '$where',
    ),
    text,
  );
  await refusedWithoutTrace(client, async () => {
    await check(
      fc.tuple(fc.constantFrom(...pages), name, formCase(['username', 'password', 'userId'])),
      250,
      async ([page, action, form]) => {
        fc.pre(!page.actions.includes(action));
        const answer = await client.postForm(actionPath(page.path, action), form, {
          token: page.token(),
        });
        expectAnswer(answer, [404, 413], { path: page.path, action, form });
      },
    );
    // Pages without actions do not take posts.
    for (const [path, token] of [
      ['/', null],
      ['/dashboard', member.token],
    ] as const) {
      const form: FormCase = {
        entries: [{ name: 'a', value: 'b' }],
        encoding: 'urlencoded',
        accept: 'html',
      };
      expectAnswer(await client.postForm(path, form, { token }), [405], { path, form });
    }
  });
});

test('bodies that are not well-formed forms get 400, 413 or 415', async () => {
  await refusedWithoutTrace(client, async () => {
    await check(
      fc.tuple(fc.constantFrom(...targets), malformedBody),
      300,
      async ([target, body]) => {
        const answer = await client.post({ path: target.path, ...body, token: target.token() });
        const input = {
          path: target.path,
          contentType: body.contentType,
          body: body.body.toString('latin1'),
        };
        if (target.redirect && answer.status === 303) {
          expectRedirect(answer, target.redirect, input);
        } else {
          expectAnswer(answer, [400, 413, 415, ...(target.throttled ? [429] : [])], input);
        }
      },
    );
  });
});

test('cross-site posts are refused with 403, whatever the form', async () => {
  const base = new URL(webUrl());
  const foreignOrigin = fc.oneof(
    fc.constantFrom(
      'null',
      '',
      'https://evil.example',
      `https://${base.host}`,
      `${base.origin}/`,
      base.origin.toUpperCase(),
      `http://localhost:${base.port}`,
      `http://${base.hostname}`,
      `http://${base.hostname}:${Number(base.port) + 1}`,
      `${base.origin}.evil.example`,
    ),
    fc.webUrl().map((url) => new URL(url).origin),
  );
  await refusedWithoutTrace(client, async () => {
    await check(
      fc.tuple(
        fc.constantFrom(...targets),
        foreignOrigin,
        formCase(['username', 'password', 'userId']),
      ),
      200,
      async ([target, origin, form]) => {
        fc.pre(origin !== base.origin);
        const answer = await client.postForm(target.path, form, { token: target.token(), origin });
        expectAnswer(answer, [403], { path: target.path, origin, form });
      },
    );
    // No Origin header at all.
    const form: FormCase = {
      entries: [{ name: 'username', value: 'x' }],
      encoding: 'urlencoded',
      accept: 'html',
    };
    expectAnswer(await client.postForm('/login', form, { origin: null }), [403], form);
  });
});

test('oversized bodies are refused with 413', async () => {
  await refusedWithoutTrace(client, async () => {
    await check(
      fc.record({
        target: fc.constantFrom(...targets),
        size: fc.integer({ min: 530_000, max: 1_500_000 }),
        encoding: fc.constantFrom<FormCase['encoding']>('urlencoded', 'multipart'),
        chunked: fc.boolean(),
      }),
      12,
      async ({ target, size, encoding, chunked }) => {
        const form: FormCase = {
          entries: [
            { name: 'username', value: 'x' },
            { name: 'password', value: 'A'.repeat(size) },
          ],
          encoding,
          accept: 'html',
        };
        const answer = await client.postForm(target.path, form, { token: target.token(), chunked });
        const input = { path: target.path, size, encoding, chunked };
        if (target.redirect && !target.readsBody) expectRedirect(answer, target.redirect, input);
        else expectAnswer(answer, [413], input);
      },
    );
  });
});

// ---- guarded routes under every spelling of their path -------------------------------

/**
 * A `__data.json` answer (200) that gives nothing away: the JSON redirect to
 * the login page, or, for a path that is no route, only the root layout's
 * data, as SvelteKit answers for any unknown path.
 */
function expectNoPageData(answer: Answer, input: unknown): void {
  const body = JSON.parse(answer.body) as { type: string };
  if (body.type === 'redirect') {
    expect(redirectOf(answer), describeCase(input)).toMatch(/^\/login\?next=/);
  } else {
    expect(body, describeCase({ input, body: answer.body })).toMatchObject({
      type: 'data',
      nodes: [expect.anything()],
    });
  }
}

test('guarded routes hold under any spelling of their path: never served unguarded, never a 5xx', async () => {
  const spelled = (routes: readonly string[]) =>
    fc.constantFrom(...routes).chain((route) => fc.tuple(fc.constant(route), pathSpelling(route)));
  await refusedWithoutTrace(client, async () => {
    // Anonymous: to the login page (a 303, or the JSON redirect of a
    // `__data.json` request), or not this route at all (308 to the canonical
    // path, 404, 400). Never the page or its data.
    await check(spelled(guardedRoutes), 300, async ([route, path]) => {
      const answer = await client.getVerbatim(path);
      const input = { route, path };
      expectAnswer(answer, [200, 303, 308, 400, 404], input);
      if (answer.status === 303) {
        expect(answer.location, describeCase(input)).toMatch(/^\/login\?next=/);
      }
      if (answer.status === 200) expectNoPageData(answer, input);
    });
    // A signed-in member: admin routes are a 403 (or not this route at all).
    await check(spelled(['/admin']), 150, async ([route, path]) => {
      const answer = await client.getVerbatim(path, { token: member.token });
      const input = { route, path };
      expectAnswer(answer, [200, 308, 400, 403, 404], input);
      if (answer.status === 200) expectNoPageData(answer, input);
    });
  });
});

// ---- successful forms with odd `next` values ----------------------------------------

test('after a sign-in or a password confirmation, any next stays on the site', async () => {
  const user = await signedIn('fuzz_next');
  const before = await databaseState();
  await check(oddNext, 20, async (next) => {
    const form: FormCase = {
      entries: [
        { name: 'username', value: user.user.username },
        { name: 'password', value: user.password },
        { name: 'next', value: next },
      ],
      encoding: 'urlencoded',
      accept: 'html',
    };
    const answer = await client.postForm('/login', form);
    expectAnswer(answer, [303], { next });
    expect(
      isSameSitePath(answer.location ?? '', webUrl()),
      `next ${describeCase(next)} → ${answer.location}`,
    ).toBe(true);
    // Sign out again, so the session count is as before.
    const token = /authkit_session=([a-z2-7]{40})/.exec(String(answer.headers['set-cookie']))?.[1];
    expect(token).toBeDefined();
    expectRedirect(
      await client.postForm('/logout', { ...form, entries: [] }, { token }),
      '/login',
      next,
    );
  });
  await check(
    fc.tuple(oddNext, fc.constantFrom<FormCase['encoding']>('urlencoded', 'multipart')),
    20,
    async ([next, encoding]) => {
      const form: FormCase = {
        entries: [
          { name: 'password', value: user.password },
          { name: 'next', value: next },
        ],
        encoding,
        accept: 'html',
      };
      const answer = await client.postForm('/account/reauth', form, { token: user.token });
      expectAnswer(answer, [303], { next });
      expect(
        isSameSitePath(answer.location ?? '', webUrl()),
        `next ${describeCase(next)} → ${answer.location}`,
      ).toBe(true);
      // A confirmed password gives the session a new token (ASVS 7.2.4): go on with it.
      const renewed = /authkit_session=([a-z2-7]{40})/.exec(
        String(answer.headers['set-cookie']),
      )?.[1];
      expect(renewed, 'a new session token').toBeDefined();
      user.token = renewed!;
    },
  );
  // The same sessions, under new ids (the re-authentications renewed the token).
  const after = await databaseState();
  expect({ ...after, sessions: after.sessions.length }).toEqual({
    ...before,
    sessions: before.sessions.length,
  });
});

// ---- identity providers ---------------------------------------------------------

const providerIds = ['github', 'oidc'];

/** Provider ids the site does not offer: near misses, encodings, prototype names. */
const unknownProviderId = fc.oneof(
  fc.constantFrom(
    'GITHUB',
    'github ',
    'github%00',
    'git%68ub',
    '__proto__',
    'constructor',
    'toString',
    '..%2Fgithub',
    '%2e%2e',
    'x'.repeat(300),
  ),
  fc.stringMatching(/^[a-z0-9_-]{1,24}$/).filter((id) => !providerIds.includes(id)),
);

/** Every UTF-8 byte percent-encoded (lone surrogates arrive as U+FFFD, as a browser sends them). */
function percentEncoded(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) => `%${byte.toString(16).padStart(2, '0')}`)
    .join('');
}

const callbackParam = fc.tuple(
  fc.constantFrom(
    'state',
    'code',
    'iss',
    'error',
    'error_description',
    'next',
    'session_state',
    '__proto__',
  ),
  fc.oneof(
    fieldValue.filter((value) => value.length < 2_000),
    oddNext,
  ),
);

test('provider sign-in: starts, callbacks and the connected-accounts forms refuse malformed input', async () => {
  // A provider-made account (no password) with one connection, and another account's connection.
  const providerUser = await signedIn('fuzz_provider');
  await testAuth().database.users.updateOne(
    { _id: providerUser.user.id },
    { $set: { password_hash: '' } },
  );
  const connection = (userId: string, subject: string) => ({
    _id: `conn-${subject}`,
    user_id: userId,
    provider: 'github',
    issuer: `${process.env.E2E_GITHUB_URL}`,
    subject,
    email: `${subject}@example.test`,
    display_name: subject,
    created_at: new Date(),
    last_used_at: null,
  });
  await testAuth().database.oauthAccounts.insertMany([
    connection(providerUser.user.id, `fuzz-own-${providerUser.user.id}`),
    connection(targetUser.user.id, `fuzz-foreign-${targetUser.user.id}`),
  ]);
  const foreignConnection = `conn-fuzz-foreign-${targetUser.user.id}`;
  const ownConnection = `conn-fuzz-own-${providerUser.user.id}`;
  const flows = () => testAuth().database.oauthFlows.countDocuments();

  await refusedWithoutTrace(client, async () => {
    // Unknown providers: 404 (or the body's own refusal), and no flow is stored.
    const flowsBefore = await flows();
    await check(
      fc.tuple(unknownProviderId, formCase(['intent', 'next', 'remember'])),
      40,
      async ([id, form]) => {
        const answer = await client.postForm(`/login/provider/${encodeURIComponent(id)}`, form);
        expectAnswer(answer, [400, 404, 413, 415], { id, form });
      },
    );
    expect(await flows()).toBe(flowsBefore);

    // Known providers, any form: to the provider (a flow record, its designed write, which
    // expires by itself) or back to a page of this site; never a session, never elsewhere.
    let started = 0;
    await check(
      fc.tuple(fc.constantFrom(...providerIds), formCase(['intent', 'next', 'remember'])),
      30,
      async ([id, form]) => {
        const answer = await client.postForm(`/login/provider/${id}`, form);
        expectAnswer(answer, [303, 400, 413, 415], { id, form });
        if (answer.status !== 303) return;
        const location = answer.location ?? '';
        const toProvider =
          location.startsWith(`${process.env.E2E_GITHUB_URL}/`) ||
          location.startsWith(`${process.env.E2E_IDP_URL}/`);
        if (toProvider) started++;
        else expect(isSameSitePath(location, webUrl()), `${id} → ${location}`).toBe(true);
        expect(String(answer.headers['set-cookie'] ?? ''), describeCase(form)).not.toContain(
          'authkit_session=',
        );
      },
    );
    expect(await flows()).toBeLessThanOrEqual(flowsBefore + started);

    // Forged callbacks: any query, with no flow cookie or a junk one, anonymous or signed in.
    await check(
      fc.tuple(
        fc.constantFrom(...providerIds, 'nope'),
        fc.array(callbackParam, { maxLength: 6 }),
        fc.option(fc.stringMatching(/^[\x21-\x3a\x3c-\x7e]{0,80}$/)),
        fc.boolean(),
      ),
      60,
      async ([id, params, flowCookie, asMember]) => {
        const query = params
          .map(([name, value]) => `${percentEncoded(name)}=${percentEncoded(value)}`)
          .join('&');
        const answer = await client.getVerbatim(`/login/provider/${id}/callback?${query}`, {
          token: asMember ? member.token : null,
          cookies: flowCookie === null ? [] : [`authkit_oauth=${flowCookie}`],
        });
        const input = { id, params, flowCookie, asMember };
        expectAnswer(answer, [400, 403, 404, 414, 429, 431], input);
        expect(String(answer.headers['set-cookie'] ?? ''), describeCase(input)).not.toMatch(
          /authkit_session=[a-z2-7]/,
        );
      },
    );

    // Connect (signed in) with broken forms: to the provider or back to /account, nothing connected.
    await check(formCase(['intent', 'next']), 20, async (form) => {
      const sent = { ...form, entries: [{ name: 'intent', value: 'connect' }, ...form.entries] };
      const answer = await client.postForm('/login/provider/github', sent, {
        token: providerUser.token,
      });
      expectAnswer(answer, [303, 400, 413, 415], sent);
    });

    // Disconnect: another account's connection, operators and junk are not found;
    // the account's own (its only way in) is refused.
    await check(
      fc.tuple(
        formCase(['connectionId']),
        fc.option(fc.oneof(fc.constantFrom(foreignConnection, ownConnection), fieldValue)),
      ),
      60,
      async ([form, value]) => {
        const sent =
          value === null
            ? form
            : { ...form, entries: [{ name: 'connectionId', value }, ...form.entries] };
        const answer = await client.postForm('/account?/disconnect', sent, {
          token: providerUser.token,
        });
        expectAnswer(answer, [400, 404, 409, 413, 415], sent);
      },
    );
    // As another user, the real id of someone else's connection: not found.
    const foreign = await client.postForm(
      '/account?/disconnect',
      {
        entries: [{ name: 'connectionId', value: ownConnection }],
        encoding: 'urlencoded',
        accept: 'html',
      },
      { token: member.token },
    );
    expectAnswer(foreign, [404], ownConnection);

    // A first password: broken forms set none (the account keeps having no password).
    const strong = 'Plum-Otter-Grape-42-violin';
    await check(
      brokenForm({ newPassword: strong, confirmPassword: strong }, [
        'newPassword',
        'confirmPassword',
      ]),
      40,
      async (form) => {
        const answer = await client.postForm('/account?/setPassword', form, {
          token: providerUser.token,
        });
        expectAnswer(answer, [400, 413, 415], form);
        expect(answer.body, describeCase(form)).not.toContain(strong);
      },
    );
    // An account with a password: refused whatever the form.
    await check(formCase(['newPassword', 'confirmPassword']), 30, async (form) => {
      const answer = await client.postForm('/account?/setPassword', form, {
        token: passwordUser.token,
      });
      expectAnswer(answer, [400, 409, 413, 415], form);
    });
  });
});
