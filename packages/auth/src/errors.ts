// Errors the package throws on purpose. Each carries a stable `code` that the
// adapters map to HTTP (see `httpStatus`); the message is safe to show a user.

export type AuthErrorCode =
  | 'VALIDATION' // 400, with fieldErrors
  | 'INVALID_CREDENTIALS' // 401 at sign-in: one message for unknown user and wrong password
  | 'UNAUTHORIZED' // 401: no valid session
  | 'NEEDS_REFRESH' // 403: the session is not fresh; re-enter the password
  | 'INACTIVE' // 403: the account is deactivated
  | 'EMAIL_UNVERIFIED' // 403: REQUIRE_VERIFIED_EMAIL is on and the address is not verified yet
  | 'FORBIDDEN' // 403: not allowed (e.g. not an admin)
  | 'MFA_REQUIRED' // 403: REQUIRE_MFA_FOR_ADMINS is on and this admin has no second factor yet
  | 'NOT_FOUND' // 404
  | 'CONFLICT' // 409: the change would break an invariant (e.g. leave no admin), or another is under way
  | 'THROTTLED' // 429, with retryAfterSeconds
  | 'UNAVAILABLE'; // 503: the database cannot be reached

export const httpStatus: Record<AuthErrorCode, number> = {
  VALIDATION: 400,
  INVALID_CREDENTIALS: 401,
  UNAUTHORIZED: 401,
  NEEDS_REFRESH: 403,
  INACTIVE: 403,
  EMAIL_UNVERIFIED: 403,
  FORBIDDEN: 403,
  MFA_REQUIRED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  THROTTLED: 429,
  UNAVAILABLE: 503,
};

export type FieldErrors = Record<string, string[]>;

export type ThrottleScope = 'account' | 'address' | 'device' | 'registration' | 'passkey';

export class AuthError extends Error {
  readonly code: AuthErrorCode;
  /** Per-field messages for VALIDATION. */
  readonly fieldErrors: FieldErrors;
  /** Seconds to wait, for THROTTLED. */
  readonly retryAfterSeconds: number | null;
  /** What is throttled, for THROTTLED: the account name, the client's network, this device, or sign-ups. */
  readonly scope: ThrottleScope | null;
  /**
   * For THROTTLED: why the caller waits, in words, without the wait itself
   * ("Too many failed sign-in attempts from your network."). The message is
   * this and "Try again in …"; a page that counts the wait down shows this
   * beside its own count, so it never restates the package's wording.
   */
  readonly waitReason: string | null;

  constructor(
    code: AuthErrorCode,
    message: string,
    extra: {
      fieldErrors?: FieldErrors;
      retryAfterSeconds?: number;
      scope?: ThrottleScope;
      waitReason?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: extra.cause });
    this.name = 'AuthError';
    this.code = code;
    this.fieldErrors = extra.fieldErrors ?? {};
    this.retryAfterSeconds = extra.retryAfterSeconds ?? null;
    this.scope = extra.scope ?? null;
    this.waitReason = extra.waitReason ?? null;
  }

  get status(): number {
    return httpStatus[this.code];
  }
}

export function isAuthError(error: unknown, code?: AuthErrorCode): error is AuthError {
  return error instanceof AuthError && (code === undefined || error.code === code);
}
