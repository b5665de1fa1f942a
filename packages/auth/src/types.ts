// The public shapes of @authkit/auth. apps/api and apps/web are written against
// these; change a name here only together with its users.
import type { AuthEventType, AuthMethod, Database, Role, SessionEndReason } from '@authkit/db';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { IdentityProviderConfig } from './identity-providers/config.ts';

export type { IdentityProviderConfig };

export type { AuthMethod };

export type SessionProtection = 'off' | 'basic' | 'strong';

export interface AuthSettings {
  /** Cookie holding the session token (`__Host-<name>` when Secure). Shared by the web site and the API. */
  cookieName: string;
  /** Secure cookies (always true in production behind https). */
  secureCookies: boolean;
  /** A password entered within this window makes a session fresh. Default 10 min. */
  freshWindowMs: number;
  /** Idle expiry of a browser-session ("not remembered") session. Default 2 h. */
  sessionIdleMs: number;
  /** Sliding expiry of a remembered session (persistent cookie). Default 30 days. */
  rememberIdleMs: number;
  /** Hard cap for every session from its creation. Default 90 days. */
  absoluteLifetimeMs: number;
  /** Flask-Login's session protection. Default 'basic'. */
  protection: SessionProtection;
  /** Include the client's address prefix (/24 IPv4, /48 IPv6) in the fingerprint. */
  protectionIncludesAddress: boolean;
  /** Sessions kept per user; a sign-in past it ends the least recently used. Default 50. */
  maxSessionsPerUser: number;
  /** The site's public address: links in mails point there (`/reset/<token>`, `/verify-email/<token>`). */
  siteUrl: string;
  /** The site's name in mails, and the relying party's name for passkeys and the issuer in authenticator apps. */
  siteName: string;
  /** Where mail is delivered (nodemailer URL, e.g. smtp://127.0.0.1:1025); null: kept in the outbox, unsent. */
  smtpUrl: string | null;
  /** The From header of every mail. */
  mailFrom: string;
  /** Signed-in pages and procedures need a verified email address. Default false. */
  requireVerifiedEmail: boolean;
  /** Admin procedures need a second factor (TOTP) on the admin's account (REQUIRE_MFA_FOR_ADMINS). Default true. */
  requireMfaForAdmins: boolean;
  /** How long a password reset link works. Default 30 minutes. */
  passwordResetTokenMs: number;
  /** How long an email verification (or email change) link works. Default 24 hours. */
  emailTokenMs: number;
  /**
   * Session cache bound (SESSION_CACHE_MS, default 1000; 0 = off, every request
   * reads the database). A cached session is used only while this process read
   * the invalidation feed within this many ms: a revocation anywhere is refused
   * everywhere within it, and a database outage fails closed after it.
   */
  sessionCacheMs: number;
  /** Most sessions the cache holds (least recently used go first). Default 100 000. */
  sessionCacheMaxEntries: number;
  throttle: {
    /** Failures per account (from clients without its device cookie) before backoff starts. Default 5. */
    accountFreeFailures: number;
    /** Failures per client address before backoff starts. Default 20. */
    addressFreeFailures: number;
    /** Failures per trusted device (device cookie) before backoff starts. Default 10. */
    deviceFreeFailures: number;
    /** Failures in a row after which an account's untrusted sign-ins stop for capLockMs. Default 100. */
    accountHardCap: number;
    /** First lock length; doubles with each further failure. Default 30 s. */
    baseLockMs: number;
    /** Longest backoff lock. Default 15 min. */
    maxLockMs: number;
    /** The lock at the hard cap. Default 24 h. */
    capLockMs: number;
    /** A quiet period after which failures are forgotten. Default 1 h. */
    forgetAfterMs: number;
    /** Registrations per client address per hour. Default 10. */
    registrationsPerHour: number;
    /**
     * Longest wait of a sign-in for an in-flight slot on a busy key (many
     * sign-ins at once from one address) before it is refused as busy. Default 10 s.
     */
    queueWaitMs: number;
    /** Most trusted devices per account; a new one pushes out the least recently used. Default 10. */
    maxDevicesPerAccount: number;
    /**
     * Passkey challenges (ceremony options) per client address for a usernameless
     * sign-in, and per account when signed in, within a challenge's lifetime
     * (3 min): also the most that are outstanding at once. Default 30.
     */
    passkeyChallengesPerWindow: number;
  };
  /** How long a device cookie (earned by a sign-in) is valid. Default 180 days. */
  deviceLifetimeMs: number;
  /** Audit events older than this are deleted. Default 90 days. */
  eventsRetentionMs: number;
  /**
   * Key for signing device cookies and (through a derived key) encrypting
   * TOTP secrets (32+ bytes, AUTH_SECRET_KEY). Null: keys generated once per
   * database and kept in it (dev and tests).
   */
  secretKey: Uint8Array | null;
  /**
   * The identity providers offered ("Continue with ..."): OIDC by issuer,
   * Google, GitHub (identity-providers/config.ts reads them from the
   * environment). Default none.
   */
  identityProviders: IdentityProviderConfig[];
}

export interface AuthOptions extends Partial<Omit<AuthSettings, 'throttle'>> {
  database: Database;
  throttle?: Partial<AuthSettings['throttle']>;
  /** The clock; tests pass a controllable one instead of sleeping. Default: the system clock. */
  now?: () => Date;
}

/** What the caller knows about the client; used for audit, devices and protection. */
export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
  /** The request came over https: cookies get `Secure` even when secureCookies is off. */
  https?: boolean;
  /** The device cookie (or X-Device-Token header) the client sent, unverified. */
  deviceToken?: string | null;
}

/** A user as it may leave the package: never the password hash. */
export interface PublicUser {
  id: string;
  username: string;
  email: string;
  /** The owner followed a verification link sent to `email`. */
  emailVerified: boolean;
  role: Role;
  active: boolean;
  createdAt: Date;
  /** A confirmed TOTP: a password alone does not sign this user in (see Auth.startSecondFactor). */
  mfaEnabled: boolean;
  /** The account has a password (one made by an identity provider has none until it sets one). */
  hasPassword: boolean;
}

/** Flask-Login's current_user when signed in. */
export interface AuthenticatedUser extends PublicUser {
  isAuthenticated: true;
  isActive: boolean;
  isAnonymous: false;
}

/** Flask-Login's AnonymousUserMixin. */
export interface AnonymousUser {
  id: null;
  isAuthenticated: false;
  isActive: false;
  isAnonymous: true;
}

export type CurrentUser = AuthenticatedUser | AnonymousUser;

/** A session as it may leave the package (its id is the token's hash, never the token). */
/** A change of email address waiting for the link mailed to the new address. */
export interface PendingEmailChange {
  email: string;
  requestedAt: Date;
  /** When its link stops working. */
  expiresAt: Date;
}

export interface SessionInfo {
  id: string;
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  authenticatedAt: Date;
  /**
   * The stored flag: false for `loginUser(..., { fresh: false })` or after basic
   * session protection saw another client. Ask `auth.isFresh(session)`, which
   * also checks the fresh window.
   */
  fresh: boolean;
  /** How the session (last) authenticated: e.g. ['password'], ['password', 'totp'], ['passkey']. */
  amr: AuthMethod[];
  /**
   * What a re-authentication of this session's account asks for: its strongest
   * factor. 'second_factor' (an account with TOTP): a code or a passkey, not the password alone.
   */
  stepUp: 'password' | 'second_factor';
  remember: boolean;
  userAgent: string;
  ip: string;
}

export interface SessionListItem extends SessionInfo {
  current: boolean;
}

/** A cookie to set; `serialize()` gives the Set-Cookie header value. */
export interface SessionCookie {
  name: string;
  value: string;
  attributes: {
    httpOnly: true;
    sameSite: 'lax';
    secure: boolean;
    path: '/';
    /** Absent for a browser-session cookie. */
    expires?: Date;
    maxAge?: number;
  };
  serialize(): string;
}

export interface LoginResult {
  /** The secret the client holds (cookie value or bearer token). */
  token: string;
  session: SessionInfo;
  cookie: SessionCookie;
}

/** A device cookie earned by a sign-in. Bearer clients keep `token` and send it as X-Device-Token. */
/**
 * A complete sign-in (auth.signIn, completeSecondFactor, signInWithPasskey):
 * the session, the device token this client earned, how it authenticated,
 * and the owner's failed sign-ins since their last visit (for the dashboard).
 */
export interface CompletedSignIn {
  status: 'signed_in';
  user: PublicUser;
  login: LoginResult;
  device: DeviceCookie;
  amr: AuthMethod[];
  failedSignInsSinceLastVisit: number;
}

/** auth.signIn: a session, or (an account with TOTP) the pending second step, which grants nothing. */
export type SignInOutcome =
  CompletedSignIn | { status: 'second_factor'; user: PublicUser; challenge: string; expiresAt: Date };

export interface DeviceCookie {
  token: string;
  cookie: SessionCookie;
}

export type LoadResult =
  | {
      user: AuthenticatedUser;
      session: SessionInfo;
      /** Set when the sliding expiry moved: send this cookie again. */
      cookie: SessionCookie | null;
    }
  | {
      user: AnonymousUser;
      session: null;
      /** Set when the client sent a token that is no longer valid: clear it. */
      cookie: SessionCookie | null;
      /**
       * Why the session of the token sent ended, when it ended for a reason
       * lately (kept a day): the site tells the device. Null otherwise.
       */
      endedReason?: SessionEndReason | null;
    };

export interface AuthEvent {
  type: AuthEventType;
  userId: string | null;
  at: Date;
  ip: string | null;
  userAgent: string | null;
  details?: Record<string, string | number | boolean | null>;
}

/** A user in the admin list: who has which second factor too. */
export interface AdminUserListItem extends PublicUser {
  secondFactors: { totp: boolean; passkeys: number };
  /** How the user can sign in: a password, passkeys, TOTP as a second step, connected providers (ids). */
  signInMethods: SignInMethods;
}

/** Which users an admin lists: a page, optionally narrowed by a search and filters (all must hold). */
export interface UserListQuery {
  page: number;
  pageSize: number;
  /** A piece of the username or email, any case, taken literally; at most USER_SEARCH_MAX_LENGTH characters. */
  search?: string | undefined;
  filters?:
    | {
        /** Administrators only. */
        admins?: boolean | undefined;
        /** Deactivated accounts only. */
        deactivated?: boolean | undefined;
        /** Accounts without two-step verification (no authenticator app). */
        withoutTwoStep?: boolean | undefined;
      }
    | undefined;
}

export interface UserPage {
  users: AdminUserListItem[];
  total: number;
  page: number;
  pageSize: number;
}

export type AuthEventListener = (event: AuthEvent) => void;

/** A passkey of the account, as the password-reset page lists it (whoever holds the link sees it). */
export interface ResetPasskey {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Added within RECENT_PASSKEY_MS: the reset page offers to remove it, ticked by default. */
  recent: boolean;
}

/**
 * What `createAuth(options)` returns: one per app process. Every method that
 * touches the database throws AuthError('UNAVAILABLE') when it is unreachable.
 */
export interface Auth {
  readonly settings: AuthSettings;
  readonly database: Database;
  /** The clock this instance uses (AuthOptions.now, or the system clock). */
  now(): Date;

  /** Creates indexes (TTL where the server accepts it). Call once at start. */
  ensureReady(): Promise<void>;
  /**
   * Stops this instance's background work and writes what it holds back, for
   * a clean shutdown. The database client stays open: its owner closes it.
   */
  close(): Promise<void>;

  // Accounts
  /** zod-validated; duplicate username/email is a VALIDATION field error. */
  registerUser(
    input: { username: string; email: string; password: string },
    request: RequestInfo,
    /** Trusted callers only (admin scripts, tests): never fill this from a form. */
    options?: {
      role?: Role;
      active?: boolean;
      emailVerified?: boolean;
      /** Made by an operator, not by its owner: recorded on the `register` event (`details.operator`). */
      operator?: 'command_line';
    },
  ): Promise<PublicUser>;
  /**
   * Sign-up from a form (registerUser's rules and limits). With
   * requireVerifiedEmail the caller signs nobody in and answers "check your
   * inbox" (`verificationRequired`); `user` is null when the address already
   * had an account, whose owner was sent a notice instead.
   */
  signUp(
    input: { username: string; email: string; password: string },
    request: RequestInfo,
  ): Promise<
    { user: PublicUser; verificationRequired: boolean } | { user: null; verificationRequired: true }
  >;
  /** Username or email + password. INVALID_CREDENTIALS (same for unknown user), THROTTLED, INACTIVE. */
  /**
   * Sign-in in one place: the password (throttled, as `authenticate`), then
   * the pending second step for an account with TOTP, else the session, its
   * `amr`, the device token and the failed attempts to show. The apps map the
   * outcome to cookies, JSON or redirects.
   */
  signIn(
    input: { login: string; password: string; remember?: boolean },
    request: RequestInfo,
  ): Promise<SignInOutcome>;
  authenticate(login: string, password: string, request: RequestInfo): Promise<PublicUser>;

  // Flask-Login surface
  loginUser(
    user: PublicUser,
    options: {
      remember?: boolean;
      fresh?: boolean;
      force?: boolean;
      amr?: AuthMethod[];
      provider?: string;
    },
    request: RequestInfo,
  ): Promise<LoginResult>;
  logoutUser(token: string | null, request: RequestInfo): Promise<{ cookie: SessionCookie }>;
  /** The user loader. Never throws for a bad token: answers anonymous. */
  loadUser(token: string | null, request: RequestInfo): Promise<LoadResult>;
  /**
   * Request loader: the token from a Cookie header value or an `Authorization: Bearer` value.
   * With secure cookies (configured, or `request.https`) only the `__Host-` cookie is read.
   */
  tokenFromHeaders(
    headers: { cookie?: string | null; authorization?: string | null },
    request?: Pick<RequestInfo, 'https'>,
  ): {
    token: string | null;
    via: 'cookie' | 'bearer' | null;
  };
  /**
   * `session.fresh` (the stored flag), an authentication within freshWindowMs,
   * and, where `session.stepUp` is 'second_factor', one that included a second
   * factor (step-up asks for the account's strongest factor, not the password alone).
   */
  isFresh(session: SessionInfo): boolean;
  /**
   * After a successful sign-in: a new signed device cookie for this user on
   * this client (OWASP device cookies). Its sign-ins are then throttled per
   * device, not by the locks that strangers earned on the account or address.
   */
  trustDevice(user: PublicUser, request: RequestInfo): Promise<DeviceCookie>;
  /** The device token from a Cookie header value or an `X-Device-Token` header value (unverified). */
  deviceTokenFromHeaders(headers: {
    cookie?: string | null;
    deviceToken?: string | null;
  }): string | null;
  /**
   * Failed sign-ins (wrong password) on the user's account since their last
   * sign-in before `before` (call it before the new session's `login` event, or pass its time).
   */
  failedSignInsSinceLastVisit(userId: string, before?: Date): Promise<number>;
  /**
   * Re-authentication: checks the password, renews freshness. A wrong password is
   * VALIDATION with fieldErrors.password (not a 401: the user stays signed in).
   * An account with TOTP steps up with its strongest factor: the password and
   * `proof` (a code or a recovery code); without it, VALIDATION with fieldErrors.code.
   */
  confirmLogin(
    session: SessionInfo,
    password: string,
    request: RequestInfo,
    proof?: SecondFactorProof | null,
  ): Promise<LoginResult>;
  anonymousUser(): AnonymousUser;
  /** Clears the session cookie; with the request, `Secure` follows it (https) as for every other cookie. */
  blankCookie(request?: RequestInfo): SessionCookie;

  // Sessions of the signed-in user
  /**
   * The current password is the confirmation: a stale session needs no re-authentication
   * first, and is fresh afterwards. Ends every other session of the user.
   * A wrong current password or a weak new one is VALIDATION (fieldErrors.currentPassword / newPassword).
   */
  changePassword(
    session: SessionInfo,
    input: { currentPassword: string; newPassword: string },
    request: RequestInfo,
  ): Promise<LoginResult>;
  listSessions(session: SessionInfo): Promise<SessionListItem[]>;
  /** Only the user's own sessions; NOT_FOUND otherwise. */
  revokeSession(session: SessionInfo, sessionId: string, request: RequestInfo): Promise<void>;
  /** Returns how many were ended. */
  revokeOtherSessions(session: SessionInfo, request: RequestInfo): Promise<number>;
  listEvents(userId: string, limit?: number): Promise<AuthEvent[]>;

  // Recovery and email addresses (links by mail; tokens single use, stored hashed)
  /**
   * "Forgot password": mails a reset link when `login` (username or email) names
   * an active account; answers the same, in about the same time, otherwise.
   * THROTTLED per name and per address.
   */
  requestPasswordReset(login: string, request: RequestInfo): Promise<void>;
  /**
   * Whose reset link this is and the account's passkeys (oldest first), while it works (null
   * otherwise); uses nothing up.
   */
  checkPasswordResetToken(
    token: string,
  ): Promise<{ username: string; passkeys: ResetPasskey[] } | null>;
  /**
   * Sets a new password through a reset link and signs the user out everywhere; with
   * `removePasskeys` (ids), also removes those of the account's own passkeys (others' ids are
   * ignored). Passkeys not named stay. VALIDATION: fieldErrors.token (bad, expired, used or
   * superseded link), .newPassword or .removePasskeys.
   */
  resetPassword(
    token: string,
    newPassword: string,
    request: RequestInfo,
    options?: { removePasskeys?: string[] },
  ): Promise<PublicUser>;
  /** Operators without mail: a one-time reset link for a username or email. */
  createPasswordResetLink(login: string): Promise<string>;
  /**
   * Uses an email verification or email change link. VALIDATION (fieldErrors.token) when it does not work.
   * An email change renews the security stamp: every session ends but `keepSessionId`
   * (the confirming browser's own session of this account, if any).
   */
  verifyEmail(
    token: string,
    request: RequestInfo,
    options?: { keepSessionId?: string | null },
  ): Promise<{ user: PublicUser; changed: boolean }>;
  /** Mails a new verification link (THROTTLED); nothing when the address is already verified. */
  resendVerification(
    session: SessionInfo,
    request: RequestInfo,
  ): Promise<{ alreadyVerified: boolean }>;
  /**
   * Needs a fresh session. Mails a link to the new address (the change happens
   * when it is used) and a notice to the current one.
   */
  requestEmailChange(session: SessionInfo, newEmail: string, request: RequestInfo): Promise<void>;
  /**
   * The change of address waiting for its link (the newest request), while its
   * link works; null otherwise (none, confirmed, cancelled, expired, or voided
   * by a password change or another stamp change). Listed alike whether or not
   * the new address has an account.
   */
  pendingEmailChange(session: SessionInfo): Promise<PendingEmailChange | null>;
  /**
   * Mails a new link for the pending change (the earlier link stops working),
   * to the pending address only. THROTTLED with the first send's quota;
   * NOT_FOUND when no change is pending.
   */
  resendEmailChange(session: SessionInfo, request: RequestInfo): Promise<{ email: string }>;
  /** Voids the pending change's link. `cancelled`: whether one was pending. */
  cancelEmailChange(session: SessionInfo, request: RequestInfo): Promise<{ cancelled: boolean }>;
  /**
   * The address a verification or email-change link would confirm, while the
   * link works (null otherwise); uses nothing up. For the confirm page.
   */
  checkEmailLink(token: string): Promise<{ email: string; change: boolean } | null>;

  // Admin (the caller checks the actor is an admin; these check it again)
  /** A page of users, oldest first; VALIDATION (fieldErrors.search) for a search that is too long or not text. */
  listUsers(actor: PublicUser, query: UserListQuery): Promise<UserPage>;
  /** One user, for an admin about to change them (NOT_FOUND for an unknown id). */
  getUserForAdmin(actor: PublicUser, userId: string): Promise<PublicUser>;
  /** Deactivation ends all the user's sessions at once. */
  setActive(
    actor: PublicUser,
    userId: string,
    active: boolean,
    request: RequestInfo,
  ): Promise<PublicUser>;
  setRole(actor: PublicUser, userId: string, role: Role, request: RequestInfo): Promise<PublicUser>;
  /** Mails the user a password reset link (an admin never sets a password). */
  sendPasswordResetLink(actor: PublicUser, userId: string, request: RequestInfo): Promise<void>;
  /** Signs the user out of every session; resolves to how many ended. */
  endUserSessions(actor: PublicUser, userId: string, request: RequestInfo): Promise<number>;
  /**
   * The admin rule for a signed-in request (adapters call it; admin methods
   * also check the stored account): FORBIDDEN unless an active admin; with
   * REQUIRE_MFA_FOR_ADMINS, MFA_REQUIRED without a second factor on the
   * account and NEEDS_REFRESH unless this session passed it; for a
   * `mutation`, NEEDS_REFRESH unless fresh by the account's strongest factor.
   */
  checkAdminSession(
    user: Pick<PublicUser, 'role' | 'active' | 'mfaEnabled'>,
    session: SessionInfo,
    options: { mutation: boolean },
  ): void;
  /** Removes every second factor of the user (TOTP, recovery codes, passkeys); audited, the user is mailed. */
  resetSecondFactor(actor: PublicUser, userId: string, request: RequestInfo): Promise<void>;

  // Second factors (see DESIGN.md): TOTP with recovery codes as a step of sign-in; passkeys
  /** Whether a password sign-in of this user needs the second step (TOTP confirmed). */
  secondFactorRequired(user: Pick<PublicUser, 'id'>): Promise<boolean>;
  /**
   * After a correct password (`authenticate`) for a user with a second factor,
   * instead of loginUser: a challenge (5 minutes) that grants nothing.
   */
  startSecondFactor(
    user: PublicUser,
    options: { remember?: boolean },
    /** The request that gave the password: named in the owner's notice if the step fails or is abandoned. */
    request?: RequestInfo,
  ): Promise<SecondFactorChallenge>;
  /**
   * The second step: a fresh session for a valid code or recovery code. UNAUTHORIZED for an
   * unknown, used or expired challenge; VALIDATION (fieldErrors.code / .recoveryCode); THROTTLED.
   */
  completeSecondFactor(
    challenge: string,
    proof: SecondFactorProof,
    request: RequestInfo,
  ): Promise<CompletedSignIn & { method: 'totp' | 'recovery_code' }>;
  /** Fresh session: a new TOTP secret, pending (encrypted) until confirmTotpEnrolment. */
  beginTotpEnrolment(session: SessionInfo, request: RequestInfo): Promise<TotpEnrolment>;
  /** A first valid code turns TOTP on at once; resolves to 10 recovery codes, shown once (verify + finish in one, for API clients). */
  confirmTotpEnrolment(session: SessionInfo, code: string, request: RequestInfo): Promise<string[]>;
  /**
   * A first valid code proves the app; resolves to 10 recovery codes, shown
   * once. TOTP stays off until finishTotpEnrolment (the user saved the codes).
   */
  verifyTotpEnrolment(session: SessionInfo, code: string, request: RequestInfo): Promise<string[]>;
  /** "I have saved my recovery codes": turns TOTP on after verifyTotpEnrolment (CONFLICT once that set-up is void). */
  finishTotpEnrolment(session: SessionInfo, request: RequestInfo): Promise<void>;
  /** Where the session's user stands with two-step verification, and the unused recovery codes. */
  twoStepStatus(session: SessionInfo): Promise<TwoStepStatus>;
  /** Fresh session and a valid code or recovery code. */
  disableTotp(session: SessionInfo, proof: SecondFactorProof, request: RequestInfo): Promise<void>;
  /** Fresh session: 10 new recovery codes; the old ones stop working. */
  regenerateRecoveryCodes(session: SessionInfo, request: RequestInfo): Promise<string[]>;
  /** Fresh session: options for navigator.credentials.create(). */
  passkeyRegistrationOptions(
    session: SessionInfo,
    request: RequestInfo,
  ): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /** Fresh session: verifies the authenticator's response and stores the passkey. */
  registerPasskey(
    session: SessionInfo,
    response: RegistrationResponseJSON,
    name: string,
    request: RequestInfo,
  ): Promise<PasskeyInfo>;
  /** Options for navigator.credentials.get(): usernameless without a session, the user's passkeys with one. */
  passkeyAuthenticationOptions(
    session?: SessionInfo | null,
    request?: RequestInfo,
  ): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /** A complete sign-in with a passkey (a fresh session). VALIDATION (fieldErrors.response) when refused. */
  signInWithPasskey(
    response: AuthenticationResponseJSON,
    options: { remember?: boolean },
    request: RequestInfo,
  ): Promise<CompletedSignIn>;
  /** Like confirmLogin, with one of the signed-in user's passkeys. */
  reauthenticateWithPasskey(
    session: SessionInfo,
    response: AuthenticationResponseJSON,
    request: RequestInfo,
  ): Promise<LoginResult>;
  listPasskeys(session: SessionInfo): Promise<PasskeyInfo[]>;
  /** Fresh session; NOT_FOUND for another user's passkey. */
  renamePasskey(
    session: SessionInfo,
    passkeyId: string,
    name: string,
    request: RequestInfo,
  ): Promise<PasskeyInfo>;
  /** Fresh session; NOT_FOUND for another user's passkey. */
  removePasskey(session: SessionInfo, passkeyId: string, request: RequestInfo): Promise<void>;

  // Identity providers (identity-providers/): sign-in, connect, re-authenticate
  /** The configured providers, for "Continue with ..." buttons. */
  identityProviders(): ProviderInfo[];
  /**
   * Starts a provider flow: a server-side record (state hash, PKCE verifier,
   * nonce, intent, `next`) for 10 minutes; answers the provider's URL and the
   * token to bind it to this browser (an HttpOnly cookie). `connect` needs a
   * fresh session; `reauthenticate` a session whose account has this (OIDC)
   * provider connected. NOT_FOUND for an unconfigured provider.
   */
  startProviderFlow(
    providerId: string,
    input: {
      intent: ProviderIntent;
      next?: unknown;
      remember?: boolean;
      session?: SessionInfo | null;
    },
    request: RequestInfo,
  ): Promise<{ url: string; flowToken: string; expiresAt: Date }>;
  /**
   * The provider's callback (its query parameters, the binding cookie's
   * token, the browser's session): a session, the second step, a connection,
   * a renewed session, or a refusal with its message. THROTTLED for an
   * address with too many refused callbacks.
   */
  completeProviderFlow(
    providerId: string,
    input: {
      params: URLSearchParams;
      flowToken: string | null | undefined;
      session?: SessionInfo | null;
    },
    request: RequestInfo,
  ): Promise<ProviderOutcome>;
  /** The signed-in user's connected providers. */
  listConnectedAccounts(session: SessionInfo): Promise<ConnectedAccount[]>;
  /** Fresh session; CONFLICT when it is the account's last way to sign in; NOT_FOUND for another's. */
  disconnectProvider(
    session: SessionInfo,
    connectionId: string,
    request: RequestInfo,
  ): Promise<void>;
  /** How an account can sign in (password or not, passkeys, TOTP, providers). */
  signInMethods(userId: string): Promise<SignInMethods>;
  /** Fresh session: a first password for an account without one (made by a provider). CONFLICT if it has one. */
  setPassword(session: SessionInfo, newPassword: string, request: RequestInfo): Promise<void>;

  /**
   * The key an app signs its own small cookies with (HMAC; the web site's
   * flash and pending-form cookies): derived from AUTH_SECRET_KEY for this
   * purpose only, or without one made once per database (keys.ts).
   */
  siteCookieKey(): Promise<Uint8Array>;

  // Maintenance and events
  /**
   * The periodic sweep: deletes expired sessions (resolves to how many) and every
   * other expired record (throttle entries, passkey challenges, pending second
   * steps, link tokens, old audit events), for servers without TTL indexes.
   */
  deleteExpiredSessions(): Promise<number>;
  /**
   * After a write to sessions or users made outside this package (a script, a
   * test): drops cached copies of the session, or of every session of the
   * user, in this process at once and in every other within SESSION_CACHE_MS.
   */
  invalidateSessions(target: { sessionId?: string; userId?: string }): Promise<void>;
  /** The session cache's state, for metrics and tests (entries 0 when it is off). */
  sessionCacheStats(): { entries: number; maxEntries: number; trusted: boolean };
  /** Subscribe to one type or '*'; returns the unsubscribe function. */
  on(type: AuthEventType | '*', listener: AuthEventListener): () => void;
  /** Records an event (stored in auth_events and delivered to subscribers). */
  recordEvent(event: Omit<AuthEvent, 'at'>): Promise<void>;
  /** A `needs_refresh` event for a call refused on this stale session, at most once a minute per session. */
  recordNeedsRefresh(session: SessionInfo, request: RequestInfo, action: string): Promise<void>;
}

// Second factors (second-factors/*).

export interface PasskeyInfo {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  backedUp: boolean;
  deviceType: 'singleDevice' | 'multiDevice';
  transports: string[];
}

export interface SecondFactorChallenge {
  /** Sent back with the code; a secret of this sign-in attempt. */
  challenge: string;
  expiresAt: Date;
}

/** What proves the second factor: a code from the app, or one of the recovery codes. */
export type SecondFactorProof = { code: string } | { recoveryCode: string };

/**
 * 'off'; 'unsaved': the app is verified and recovery codes were shown, but the
 * user has not said they are saved, so two-step verification is still off
 * (until `finishBy`, then 'off' again); 'on'.
 */
export interface TwoStepStatus {
  state: 'off' | 'unsaved' | 'on';
  /** Unused recovery codes ('on' and 'unsaved'; 0 otherwise). */
  recoveryCodesLeft: number;
  /** With 'unsaved': until when "I have saved them" turns it on. */
  finishBy: Date | null;
}

export interface TotpEnrolment {
  /** base32, for typing into an app by hand. */
  secret: string;
  /** otpauth://totp/... for the QR code. */
  uri: string;
  /** The URI as a QR code (SVG markup). */
  qrSvg: string;
  expiresAt: Date;
}

// Identity providers (identity-providers/flows.ts).

export type ProviderIntent = 'sign_in' | 'connect' | 'reauthenticate';

/** Why a callback ended without what it was for; each has its message (REFUSAL_MESSAGES). */
export type ProviderRefusal =
  | 'invalid_flow'
  | 'access_denied'
  | 'provider_error'
  | 'email_missing'
  | 'email_unverified'
  | 'account_exists'
  | 'inactive'
  | 'identity_in_use'
  | 'not_connected'
  | 'signed_out';

/** A connected provider, as the account page and the API list it. */
export interface ConnectedAccount {
  id: string;
  provider: string;
  /** The provider's display name ("GitHub"); the id when it is no longer configured. */
  providerName: string;
  email: string | null;
  displayName: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** A configured provider, for buttons. */
export interface ProviderInfo {
  id: string;
  name: string;
  /** It can be asked to authenticate the user again (an account's re-authentication). */
  reauthentication: boolean;
  /**
   * Where the browser is sent (the issuer's origin, GitHub's web origin): a site
   * with CSP `form-action` lists it, since a form post redirects there.
   */
  origin: string;
}

export type ProviderOutcome =
  | (CompletedSignIn & { next: string; created: boolean })
  | { status: 'second_factor'; user: PublicUser; challenge: string; expiresAt: Date; next: string }
  | { status: 'connected'; provider: string; next: string }
  | { status: 'reauthenticated'; login: LoginResult; next: string }
  | {
      status: 'refused';
      reason: ProviderRefusal;
      message: string;
      intent: ProviderIntent | null;
      next: string;
    };

/** The ways an account can sign in; the last one cannot be removed. */
export interface SignInMethods {
  password: boolean;
  passkeys: number;
  totp: boolean;
  providers: string[];
}
