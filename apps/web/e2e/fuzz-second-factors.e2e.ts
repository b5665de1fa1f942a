// Property-based fuzzing (fast-check) of the second-factor form actions, as
// e2e/fuzz.e2e.ts does for the others: the sign-in's second step
// (/login/verify), the two-step and passkey actions of /account, and /admin's
// resetSecondFactor; malformed, wrong-typed, oversized and random inputs,
// anonymous, as a member and as an admin. Never a 5xx, and a refused request
// leaves the database snapshot (users, sessions, second factors, pending
// sign-ins, links, mails) as it was.
import { randomBytes } from 'node:crypto';
import { createSignedInUser, type SignedInUser } from '@authkit/auth/testing';
import { test } from '@playwright/test';
import fc from 'fast-check';
import { closeTestAuth, enrolTotp, newUser, testAuth, webUrl } from './support/fixtures.ts';
import {
  check,
  expectAnswer,
  expectRedirect,
  refusedWithoutTrace,
  scale,
  tally,
} from './support/fuzz-checks.ts';
import {
  brokenForm,
  fieldValue,
  FormClient,
  formCase,
  loopbackAddress,
  type FormCase,
} from './support/fuzz-support.ts';

test.describe.configure({ timeout: 120_000 * scale });

function signedIn(prefix: string, role: 'user' | 'admin' = 'user'): Promise<SignedInUser> {
  return createSignedInUser(testAuth(), { username: newUser(prefix).username, role });
}

let member: SignedInUser; // no second factor
let admin: SignedInUser; // has TOTP (REQUIRE_MFA_FOR_ADMINS)
let totpUser: SignedInUser; // has TOTP: turning it off is fuzzed
let verifyUser: SignedInUser; // has TOTP and a pending second step of sign-in
let enrolling: SignedInUser; // has an authenticator set-up under way
let passkeyUser: SignedInUser; // has a passkey
let passkeyId: string;
let foreignPasskeyId: string; // member's: never passkeyUser's to change
let pendingChallenge: string;
let client: FormClient;

/** A passkey stored as a registration would (the fuzz never signs with it). */
async function addPasskey(user: SignedInUser, name: string): Promise<string> {
  const id = randomBytes(16).toString('base64url');
  await testAuth().database.passkeys.insertOne({
    _id: id,
    user_id: user.user.id,
    public_key: randomBytes(77).toString('base64url'),
    counter: 0,
    transports: ['internal'],
    backed_up: false,
    device_type: 'singleDevice',
    name,
    created_at: new Date(),
    last_used_at: null,
  });
  return id;
}

test.beforeAll(async () => {
  [member, admin, totpUser, verifyUser, enrolling, passkeyUser] = await Promise.all([
    signedIn('fuzz2_member'),
    signedIn('fuzz2_admin', 'admin'),
    signedIn('fuzz2_totp'),
    signedIn('fuzz2_verify'),
    signedIn('fuzz2_enrol'),
    signedIn('fuzz2_passkey'),
  ]);
  await Promise.all([enrolTotp(admin), enrolTotp(totpUser), enrolTotp(verifyUser)]);
  await testAuth().beginTotpEnrolment(enrolling.session, { ip: '127.0.0.1', userAgent: 'fuzz' });
  passkeyId = await addPasskey(passkeyUser, 'Laptop');
  foreignPasskeyId = await addPasskey(member, 'Phone');
  ({ challenge: pendingChallenge } = await testAuth().startSecondFactor(verifyUser.user, {}));
});

test.beforeEach(() => {
  client = new FormClient(webUrl(), loopbackAddress());
});

test.afterEach(() => client.close());

test.afterAll(async () => {
  const counts = [...tally].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
  console.log(`[fuzz second factors] answers: ${counts.join(' ')}`);
  await closeTestAuth();
});

const verifyFields = ['method', 'code', 'recoveryCode', 'next'];
/** Wrong codes: six digits (almost never the current one), recovery-code look-alikes, junk. */
const wrongCode = fc.oneof(
  fc.stringMatching(/^\d{6}$/),
  fc.stringMatching(/^[a-z0-9]{5}-[a-z0-9]{5}$/),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '1234567',
    '12 34 56',
    '１２３４５６',
    '{"$ne":null}',
    'A'.repeat(5_000),
  ),
  fieldValue,
);

test('the second step of sign-in refuses malformed and wrong codes, with or without a pending sign-in', async () => {
  const pendingCookie = { cookie: `authkit_pending=${pendingChallenge}` };
  await refusedWithoutTrace(client, async () => {
    // The real pending sign-in, broken or wrong: no session, and it stays pending.
    for (const method of ['totp', 'recovery'] as const) {
      const field = method === 'totp' ? 'code' : 'recoveryCode';
      await check(
        brokenForm({ method, [field]: '123456', next: '/account' }, ['method', field]),
        30,
        async (form) => {
          const answer = await client.postForm('/login/verify', form, { headers: pendingCookie });
          expectAnswer(answer, [400, 413, 429], form);
        },
      );
      await check(wrongCode, 30, async (value) => {
        const form: FormCase = {
          entries: [
            { name: 'method', value: method },
            { name: field, value },
          ],
          encoding: 'urlencoded',
          accept: 'html',
        };
        expectAnswer(
          await client.postForm('/login/verify', form, { headers: pendingCookie }),
          [400, 413, 429],
          value,
        );
      });
    }
    await check(formCase(verifyFields), 120, async (form) => {
      const answer = await client.postForm('/login/verify', form, { headers: pendingCookie });
      expectAnswer(answer, [400, 413, 429], form);
    });
    // No pending sign-in, an unknown or mangled one, or a session instead: back to the password.
    const challenge = fc.oneof(
      fc.stringMatching(/^[a-z2-7]{40}$/),
      fc.constantFrom(
        '',
        `${pendingChallenge}x`,
        pendingChallenge.toUpperCase(),
        '%00',
        'a'.repeat(3_000),
      ),
    );
    await check(
      fc.tuple(fc.option(challenge), formCase(verifyFields), fc.boolean()),
      120,
      async ([cookie, form, withSession]) => {
        const headers: Record<string, string> = {};
        const cookies = [
          ...(cookie === null ? [] : [`authkit_pending=${cookie}`]),
          ...(withSession ? [`authkit_session=${member.token}`] : []),
        ];
        if (cookies.length > 0) headers.cookie = cookies.join('; ');
        const answer = await client.postForm('/login/verify', form, { headers });
        const input = { cookie, form, withSession };
        if (answer.status === 303 || redirectStatus(answer.status, answer.body)) {
          // Signed in already: to the site instead.
          expectRedirect(answer, withSession ? '/' : '/login', input);
        } else {
          expectAnswer(answer, [400, 413], input);
        }
      },
    );
  });
});

/** An enhanced (JSON) post's redirect comes as a 200 with type "redirect". */
function redirectStatus(status: number, body: string): boolean {
  return status === 200 && body.startsWith('{"type":"redirect"');
}

test('two-step set-up, confirmation, recovery codes and turning off refuse malformed input', async () => {
  await refusedWithoutTrace(client, async () => {
    // Set-up under way, wrong first codes: not enabled, still under way.
    await check(brokenForm({ code: '123456' }, ['code']), 40, async (form) => {
      const answer = await client.postForm('/account?/totpConfirm', form, {
        token: enrolling.token,
      });
      expectAnswer(answer, [400, 413, 429], form);
    });
    await check(
      fc.oneof(
        formCase(['code']),
        wrongCode.map((value) => codeForm('code', value)),
      ),
      120,
      async (form) => {
        const answer = await client.postForm('/account?/totpConfirm', form, {
          token: enrolling.token,
        });
        expectAnswer(answer, [400, 413, 429], form);
      },
    );
    // Nothing under way (member) or already on (totpUser): a conflict, whatever is sent.
    await check(
      fc.tuple(fc.constantFrom('member', 'totp'), fc.stringMatching(/^\d{6}$/)),
      30,
      async ([who, code]) => {
        const token = who === 'member' ? member.token : totpUser.token;
        const answer = await client.postForm('/account?/totpConfirm', codeForm('code', code), {
          token,
        });
        expectAnswer(answer, [409, 429], { who, code });
      },
    );
    // "I have saved them" with no set-up waiting for it: a conflict, and nothing turns on.
    await check(formCase(['code', 'confirm']), 30, async (form) => {
      const answer = await client.postForm('/account?/totpFinish', form, { token: member.token });
      expectAnswer(answer, [409], form);
    });
    // Already on: no second set-up; recovery codes only come with an app.
    await check(formCase(['code', 'secret']), 40, async (form) => {
      const answer = await client.postForm('/account?/totpBegin', form, { token: totpUser.token });
      expectAnswer(answer, [409], form);
    });
    await check(formCase(['code', 'proof']), 40, async (form) => {
      const answer = await client.postForm('/account?/recoveryCodes', form, {
        token: member.token,
      });
      expectAnswer(answer, [409], form);
    });
    // Turning off with a broken or wrong proof: still on, the recovery codes still there.
    await check(brokenForm({ proof: '123456' }, ['proof']), 40, async (form) => {
      const answer = await client.postForm('/account?/totpDisable', form, {
        token: totpUser.token,
      });
      expectAnswer(answer, [400, 413, 429], form);
    });
    await check(
      fc.oneof(
        formCase(['proof', 'code']),
        wrongCode.map((value) => codeForm('proof', value)),
      ),
      120,
      async (form) => {
        const answer = await client.postForm('/account?/totpDisable', form, {
          token: totpUser.token,
        });
        expectAnswer(answer, [400, 413, 429], form);
      },
    );
    // Without TOTP: nothing to turn off (a well-formed proof), or a refused form.
    await check(formCase(['proof']), 40, async (form) => {
      const answer = await client.postForm('/account?/totpDisable', form, { token: member.token });
      expectAnswer(answer, [400, 409, 413, 429], form);
    });
  });
});

function codeForm(name: string, value: string): FormCase {
  return { entries: [{ name, value }], encoding: 'urlencoded', accept: 'html' };
}

test('passkey rename and remove refuse malformed input and other users’ passkeys', async () => {
  await refusedWithoutTrace(client, async () => {
    await check(brokenForm({ passkeyId, name: 'Renamed' }, ['passkeyId']), 40, async (form) => {
      const answer = await client.postForm('/account?/passkeyRename', form, {
        token: passkeyUser.token,
      });
      expectAnswer(answer, [400, 404, 413], form);
    });
    // Its own passkey, a name that is no name: empty, too long, hostile.
    await check(
      fc.constantFrom('', ' ', '\u0000', 'A'.repeat(5_000), 'A'.repeat(65)),
      12,
      async (name) => {
        const form: FormCase = {
          entries: [
            { name: 'passkeyId', value: passkeyId },
            { name: 'name', value: name },
          ],
          encoding: 'urlencoded',
          accept: 'html',
        };
        const answer = await client.postForm('/account?/passkeyRename', form, {
          token: passkeyUser.token,
        });
        expectAnswer(answer, [400, 413], name);
      },
    );
    await check(brokenForm({ passkeyId }, ['passkeyId']), 40, async (form) => {
      const answer = await client.postForm('/account?/passkeyRemove', form, {
        token: passkeyUser.token,
      });
      expectAnswer(answer, [400, 404, 413], form);
    });
    const someId = fc.oneof(
      fc.constant(foreignPasskeyId),
      fc.base64String({ maxLength: 40 }),
      fieldValue,
    );
    await check(
      fc.tuple(
        fc.constantFrom('passkeyRename', 'passkeyRemove'),
        someId,
        formCase(['passkeyId', 'name']),
      ),
      150,
      async ([action, id, form]) => {
        const sent: FormCase = {
          ...form,
          entries: [{ name: 'passkeyId', value: id }, ...form.entries],
        };
        const answer = await client.postForm(`/account?/${action}`, sent, {
          token: passkeyUser.token,
        });
        expectAnswer(answer, [400, 404, 413], { action, sent });
      },
    );
  });
});

test('the admin reset refuses malformed forms, members and anonymous visitors', async () => {
  await refusedWithoutTrace(client, async () => {
    // Without confirm=yes it only asks (200); a broken user id is refused.
    await check(
      brokenForm({ userId: totpUser.user.id, username: totpUser.user.username, confirm: 'yes' }, [
        'userId',
        'confirm',
      ]),
      60,
      async (form) => {
        const answer = await client.postForm('/admin?/resetSecondFactor', form, {
          token: admin.token,
        });
        expectAnswer(answer, [200, 400, 404, 413], form);
      },
    );
    await check(formCase(['userId', 'username', 'confirm']), 150, async (form) => {
      const answer = await client.postForm('/admin?/resetSecondFactor', form, {
        token: admin.token,
      });
      expectAnswer(answer, [200, 400, 404, 413], form);
    });
    const withTarget = formCase(['userId', 'username', 'confirm']).map((form) => ({
      ...form,
      entries: [
        { name: 'userId', value: totpUser.user.id },
        { name: 'confirm', value: 'yes' },
        ...form.entries,
      ],
    }));
    await check(withTarget, 60, async (form) => {
      const answer = await client.postForm('/admin?/resetSecondFactor', form, {
        token: member.token,
      });
      expectAnswer(answer, [403, 413], form);
    });
    await check(withTarget, 40, async (form) => {
      const answer = await client.postForm('/admin?/resetSecondFactor', form);
      expectRedirect(answer, '/login?next=', form);
    });
  });
});

test('anonymous visitors are sent to sign in from every second-factor action of /account', async () => {
  const actions = [
    'totpBegin',
    'totpConfirm',
    'totpFinish',
    'recoveryCodes',
    'totpDisable',
    'passkeyRename',
    'passkeyRemove',
  ];
  await refusedWithoutTrace(client, async () => {
    await check(
      fc.tuple(fc.constantFrom(...actions), formCase(['code', 'proof', 'passkeyId', 'name'])),
      80,
      async ([action, form]) => {
        const answer = await client.postForm(`/account?/${action}`, form);
        expectRedirect(answer, '/login?next=', { action, form });
      },
    );
  });
});
