// What every complete sign-in answers (password, second step, passkey): the
// session as a cookie, or in the body for `bearer` clients, never both; and
// the device cookie (or token) the sign-in earned. The sequence itself runs in
// the auth package (auth.signIn and friends); this only maps its outcome.
import type { CompletedSignIn, LoginResult } from '@authkit/auth';
import { sessionDto, userDto, type UserDto } from '../dto.ts';
import type { Context } from '../trpc.ts';

interface SignedInAnswer {
  secondFactorRequired: false;
  user: UserDto;
  expiresAt: string;
  failedSignInsSinceLastVisit: number;
}

/** Cookie clients get no token; bearer clients get both tokens. Spelled out, so clients can tell them apart. */
export type SignInAnswer = SignedInAnswer | (SignedInAnswer & { token: string; deviceToken: string });

/** auth.login's answer for an account with a second factor: no session yet. */
export interface SecondFactorPending {
  secondFactorRequired: true;
  challenge: string;
  expiresAt: string;
}

export function signedInAnswer(ctx: Context, signedIn: CompletedSignIn, options: { bearer?: boolean | undefined }): SignInAnswer {
  const { user, login, device } = signedIn;
  const result: SignedInAnswer = {
    secondFactorRequired: false,
    user: userDto(user),
    expiresAt: login.session.expiresAt.toISOString(),
    failedSignInsSinceLastVisit: signedIn.failedSignInsSinceLastVisit,
  };
  if (options.bearer === true) {
    // Bearer clients keep the device token and send it as X-Device-Token.
    return { ...result, token: login.token, deviceToken: device.token };
  }
  ctx.response.cookie = login.cookie;
  ctx.response.deviceCookie = device.cookie;
  return result;
}

/**
 * After a re-authentication or a password change the session has a new token
 * (ASVS 7.2.4): a cookie client gets it as its cookie, a bearer client in the
 * body (`token`), as after sign-in. The old token no longer works.
 */
export function renewedSession(ctx: Context, renewed: LoginResult) {
  const session = sessionDto(renewed.session, ctx.auth.isFresh(renewed.session));
  if (ctx.via === 'bearer') return { session, token: renewed.token };
  ctx.response.cookie = renewed.cookie;
  return { session };
}
