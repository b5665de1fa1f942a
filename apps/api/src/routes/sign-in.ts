// What every complete sign-in answers (password, second step, passkey): the
// session as a cookie, or in the body for `bearer` clients, never both; and
// the device cookie (or token) the sign-in earned. The sequence itself runs in
// the auth package (auth.signIn and friends); this only maps its outcome.
import type { SignedIn } from '@authkit/auth';
import { userDto, type UserDto } from '../dto.ts';
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

export function signedInAnswer(ctx: Context, signedIn: SignedIn, options: { bearer?: boolean | undefined }): SignInAnswer {
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
