// Sign-in in one place (DESIGN.md, "One account lifecycle"): the whole
// sequence for every caller (the API's routes, the SvelteKit adapter, the
// site's pages): first factor (password, passkey or an identity provider), then either the pending
// second step or the session, how it authenticated (`amr`), the device token
// the sign-in earns, and the failed attempts to show the owner. The apps only
// map the outcome to cookies, JSON or redirects.
import type { Credentials } from './credentials.ts';
import type { Devices } from './devices.ts';
import type { AuthCore } from './core.ts';
import type { Passkeys } from './second-factors/passkeys.ts';
import type { SecondFactorSignIn } from './second-factors/sign-in.ts';
import type { Sessions } from './sessions.ts';
import type {
  AuthMethod,
  CompletedSignIn,
  PublicUser,
  RequestInfo,
  SecondFactorProof,
  SignInOutcome,
} from './types.ts';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';

export function createSignIn(
  core: AuthCore,
  credentials: Pick<Credentials, 'authenticate'>,
  sessions: Pick<Sessions, 'loginUser'>,
  secondStep: Pick<
    SecondFactorSignIn,
    'secondFactorRequired' | 'startSecondFactor' | 'completeSecondFactor'
  >,
  passkeys: Pick<Passkeys, 'verifyPasskeySignIn'>,
  devices: Pick<Devices, 'trustDevice'>,
) {
  const { events } = core;

  /**
   * The end of every sign-in: the session, the device token this client earns
   * (rotated each time), and the failed attempts since the owner's last visit,
   * counted before this sign-in becomes the last one.
   */
  async function finish(
    user: PublicUser,
    options: { remember: boolean; amr: AuthMethod[]; provider?: string | null },
    request: RequestInfo,
  ): Promise<CompletedSignIn> {
    const failedSignInsSinceLastVisit = await events.failedSignInsSinceLastVisit(user.id);
    const login = await sessions.loginUser(
      user,
      {
        remember: options.remember,
        fresh: true,
        amr: options.amr,
        ...(options.provider ? { provider: options.provider } : {}),
      },
      request,
    );
    const device = await devices.trustDevice(user, request);
    return {
      status: 'signed_in',
      user,
      login,
      device,
      amr: options.amr,
      failedSignInsSinceLastVisit,
    };
  }

  /** Username or email and password: a session, or (account with TOTP) the pending second step. */
  async function signIn(
    input: { login: string; password: string; remember?: boolean },
    request: RequestInfo,
  ): Promise<SignInOutcome> {
    const remember = input.remember === true;
    const user = await credentials.authenticate(input.login, input.password, request);
    if (await secondStep.secondFactorRequired(user)) {
      const { challenge, expiresAt } = await secondStep.startSecondFactor(
        user,
        { remember },
        request,
      );
      return { status: 'second_factor', user, challenge, expiresAt };
    }
    return finish(user, { remember, amr: ['password'] }, request);
  }

  /** The second step: the challenge and a code or recovery code. */
  async function completeSecondFactor(
    challenge: string,
    proof: SecondFactorProof,
    request: RequestInfo,
  ): Promise<CompletedSignIn & { method: 'totp' | 'recovery_code' }> {
    const { user, remember, method, firstFactor, provider } = await secondStep.completeSecondFactor(
      challenge,
      proof,
      request,
    );
    return {
      ...(await finish(user, { remember, amr: [firstFactor, method], provider }, request)),
      method,
    };
  }

  /** A passkey: a complete sign-in by itself. */
  async function signInWithPasskey(
    response: AuthenticationResponseJSON,
    options: { remember?: boolean },
    request: RequestInfo,
  ): Promise<CompletedSignIn> {
    const user = await passkeys.verifyPasskeySignIn(response, request);
    return finish(user, { remember: options.remember === true, amr: ['passkey'] }, request);
  }

  /**
   * A sign-in at an identity provider (identity-providers/flows.ts resolved
   * it to this account): a first factor like the password. An account with
   * TOTP gets the second step; otherwise the session, amr ['oauth'].
   */
  async function signInWithProvider(
    user: PublicUser,
    options: { remember: boolean; provider: string },
    request: RequestInfo,
  ): Promise<SignInOutcome> {
    if (await secondStep.secondFactorRequired(user)) {
      const { challenge, expiresAt } = await secondStep.startSecondFactor(
        user,
        { remember: options.remember, firstFactor: 'oauth', provider: options.provider },
        request,
      );
      return { status: 'second_factor', user, challenge, expiresAt };
    }
    return finish(
      user,
      { remember: options.remember, amr: ['oauth'], provider: options.provider },
      request,
    );
  }

  return { signIn, completeSecondFactor, signInWithPasskey, signInWithProvider };
}
