import type { ObjectId } from 'mongodb';

// The documents this project stores. Field names are snake_case, as the Lucia
// MongoDB adapter expects for sessions (`_id`, `user_id`, `expires_at`).

export type Role = 'user' | 'admin';

export interface UserDoc {
  /** Random string id; the Lucia adapter relies on string ids. */
  _id: string;
  /** As the user typed it. */
  username: string;
  /** NFKC + lower case; unique. */
  username_key: string;
  email: string;
  /** NFKC + lower case; unique. */
  email_key: string;
  /** Set when the owner followed a verification link sent to `email`; absent on accounts made before verification existed. */
  email_verified?: boolean;
  /**
   * Argon2id PHC string; '' for an account created by an identity provider
   * that has no password yet (nothing verifies against it: see credentials.ts).
   */
  password_hash: string;
  role: Role;
  active: boolean;
  created_at: Date;
  updated_at: Date;
  /** TOTP (RFC 6238): pending until a first code confirms it (packages/auth/src/second-factors/totp.ts). */
  totp?: TotpDoc | null;
  /** A confirmed TOTP: password sign-ins need a second step. Copied onto sessions. */
  mfa_enabled?: boolean;
  /**
   * The security stamp: a random value replaced by every password change or
   * reset, email change, sign-out everywhere, deactivation and second-factor
   * removal. Everything issued on the account's authority (sessions, mailed
   * links, pending second steps, pending forms, device tokens) carries the
   * stamp it was issued under and is void once it differs
   * (packages/auth/src/security-stamp.ts). Absent on accounts from before the
   * stamp: read as ''.
   */
  security_stamp?: string;
  /**
   * The account's trusted devices (device cookies), most recently used first,
   * at most the configured number (packages/auth/src/devices.ts): a device
   * token is honoured only while its id is listed here.
   */
  trusted_devices?: { id: string; at: Date }[];
}

export interface TotpDoc {
  /** The base32 secret, AES-256-GCM encrypted (`v1.<iv>.<ciphertext>.<tag>`, base64url); never plain. */
  secret: string;
  /** False while the enrolment waits for its first code. */
  confirmed: boolean;
  created_at: Date;
  /** The latest time step a code was accepted for: older and equal steps are refused (no replay). */
  last_step: number;
  /**
   * While not confirmed: when a first code proved the app and the recovery
   * codes were shown; two-step verification turns on when the user says the
   * codes are saved (within a time limit), not before.
   */
  verified_at?: Date | null;
  /** The session that gave that first code (it passes the new factor when it turns on). */
  verified_session?: string | null;
  /**
   * While not confirmed: the account's security stamp when the set-up began.
   * A stamp change (password reset, sign out everywhere...) voids the set-up,
   * so an app planted by an intruder's session cannot be turned on after it.
   */
  stamp?: string;
}

export interface SessionDoc {
  /** SHA-256 (hex) of the token held by the client; never the token itself. */
  _id: string;
  user_id: string;
  /** Sliding expiry; the TTL index (where supported) and the sweep delete past it. */
  expires_at: Date;
  created_at: Date;
  /** Last time the user typed their password in this session: drives freshness. */
  authenticated_at: Date;
  /** Set false by basic session protection when the client fingerprint changes. */
  fresh: boolean;
  remember: boolean;
  /** Hard cap, whatever the sliding expiry says. */
  absolute_expires_at: Date;
  last_seen_at: Date;
  user_agent: string;
  ip: string;
  /** Hash of the client's user agent (and address prefix in strict mode). */
  fingerprint: string;
  /** The account's security stamp when the session was made; the session is void once the account's differs. */
  stamp?: string;
  /**
   * How the session authenticated (RFC 8176 style): the factors of its sign-in,
   * or of its latest re-authentication, e.g. ['password'], ['password', 'totp'],
   * ['passkey']. Absent on sessions from before it was recorded: read as ['password'].
   */
  amr?: AuthMethod[];
  /** With 'oauth' in `amr`: the configured provider's id (e.g. `github`) the user signed in with. */
  provider?: string;
  /**
   * The user fields access needs, copied at sign-in and kept current by every
   * write to them (packages/auth syncUserCopies), so that loading a session is
   * one read. Absent on sessions from before the copy: those read the user.
   */
  user?: SessionUserCopy;
}

/**
 * A way a session proved who its user is. 'oauth': a sign-in at an identity
 * provider (a first factor; which one is in SessionDoc.provider).
 */
export type AuthMethod = 'password' | 'totp' | 'recovery_code' | 'passkey' | 'oauth';

/**
 * The user fields a session carries as they are (SessionDoc.user), listed once:
 * packages/auth derives the copy, its comparison with the user (a field missing
 * there would serve stale cached sessions) and the projection that reads them.
 * The copy adds `has_password`, derived from `password_hash`.
 */
export const SESSION_USER_FIELDS = [
  'username',
  'email',
  'email_verified',
  'role',
  'active',
  'created_at',
  'mfa_enabled',
  'security_stamp',
] as const satisfies readonly (keyof UserDoc)[];

export type SessionUserField = (typeof SESSION_USER_FIELDS)[number];

export type SessionUserCopy = Pick<UserDoc, SessionUserField> & {
  /**
   * Whether the account has a password (`password_hash !== ''`; an account made
   * by an identity provider has none until it sets one). Only the fact travels
   * on a session, never the hash.
   */
  has_password: boolean;
};

/**
 * One entry of the session invalidation feed: something ended or narrowed a
 * session (by `session_id`) or every session of a user (by `user_id`). Each
 * process's session cache reads the feed to drop its copies.
 */
export interface SessionInvalidationDoc {
  /** A fresh ObjectId per entry: the write is a plain insert, atomic on every server. */
  _id: ObjectId;
  session_id: string | null;
  user_id: string | null;
  /** Set by the database server's clock ($currentDate), so app clocks never need to agree. */
  at: Date;
}

/** Why a session ended, kept for a while so the signed-out device can be told. */
export type SessionEndReason =
  /** Revoked from another device (one session, or "sign out other devices"). */
  | 'signed_out_elsewhere'
  /** An administrator signed the user out everywhere (or reset their second factor). */
  | 'signed_out_by_admin'
  | 'password_changed'
  | 'password_reset'
  | 'deactivated'
  | 'expired'
  /** Session protection 'strong': the client's fingerprint changed. */
  | 'session_protection'
  /** Too many sessions: the least recently used went. */
  | 'session_limit';

export interface EndedSessionDoc {
  /** The ended session's id (the SHA-256 of its token; the token is never stored). */
  _id: string;
  reason: SessionEndReason;
  at: Date;
}

export type AuthEventType =
  | 'login'
  | 'login_failed'
  | 'logout'
  | 'session_revoked'
  | 'password_changed'
  | 'user_deactivated'
  | 'user_activated'
  | 'role_changed'
  | 'unauthorized'
  | 'needs_refresh'
  | 'register'
  | 'password_reset_requested'
  | 'password_reset'
  | 'email_verification_sent'
  | 'email_verified'
  | 'email_change_requested'
  /** The owner withdrew a pending change of address (its link was voided). */
  | 'email_change_cancelled'
  | 'email_changed'
  /** A client address earned a lock by failed sign-ins (one event per lock, not per refusal). */
  | 'address_locked'
  /** An account name (or a trusted device of it) earned a lock by failed sign-ins. */
  | 'account_locked'
  | 'totp_enrolled'
  | 'totp_disabled'
  /** A wrong TOTP or recovery code, or a refused passkey assertion. */
  | 'second_factor_failed'
  | 'recovery_code_used'
  | 'recovery_codes_regenerated'
  | 'passkey_added'
  | 'passkey_removed'
  | 'passkey_used'
  /** An admin removed every second factor of the account. */
  | 'second_factor_reset'
  /** A sign-in through an identity provider (the `login` event follows as for any sign-in). */
  | 'oauth_sign_in'
  /** A provider sign-in refused (details.reason: state, account_exists, inactive, ...). */
  | 'oauth_refused'
  | 'oauth_connected'
  | 'oauth_disconnected'
  /** A password set on an account that had none (created by a provider). */
  | 'password_set';

export interface AuthEventDoc {
  _id?: unknown;
  type: AuthEventType;
  user_id: string | null;
  at: Date;
  ip: string | null;
  user_agent: string | null;
  /** Small, non-secret details (e.g. reason, target user). Never a password or token. */
  details?: Record<string, string | number | boolean | null>;
}

export interface ThrottleDoc {
  /** `account:<hash>`, `address:<ip or /64>`, `device:<hash>`, `register:<ip>`, or a claim (`lease:...`). */
  _id: string;
  /** Failed sign-ins in a row (for `register:` keys: registrations in the window). */
  failures: number;
  /** Attempts admitted and still being checked (Argon2 running); void after pending_until. */
  pending?: number;
  pending_until?: Date | null;
  /** Sign-in attempts for this key are refused until then. */
  locked_until: Date | null;
  last_failure_at: Date;
  /** When the record may be forgotten. */
  expires_at: Date;
}

export type SingleUseTokenKind = 'password_reset' | 'email_verification' | 'email_change';

/** A link's token (password reset, email verification, email change): single use, stored hashed. */
export interface SingleUseTokenDoc {
  /** SHA-256 (hex) of the token in the link; never the token itself. */
  _id: string;
  kind: SingleUseTokenKind;
  user_id: string;
  /** The address being verified (verification, email change). */
  email?: string;
  /** Password reset: digest of the password hash when issued; the link is void once the password changes. */
  password_digest?: string;
  /** The account's security stamp when the link was issued; the link is void once it differs. */
  stamp?: string;
  created_at: Date;
  expires_at: Date;
}

/** A mail in the durable outbox: written with the change that causes it, delivered by a sender with retries. */
export interface OutboxMailDoc {
  _id: string;
  /** What the mail is (e.g. `password_reset`), for logs and tests. */
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  created_at: Date;
  attempts: number;
  /** Not tried again before then (backoff after a failure). */
  next_attempt_at: Date;
  sent_at: Date | null;
  last_error: string | null;
}

/** A key the application generated for itself (dev and tests, when no AUTH_SECRET_KEY is configured). */
export interface SecretDoc {
  /** What the key is for, e.g. `device_cookies`. */
  _id: string;
  /** base64 */
  key: string;
  created_at: Date;
}

/** One of a user's recovery codes: stored only as a hash, deleted when used (a delete is atomic everywhere). */
export interface RecoveryCodeDoc {
  /**
   * HMAC-SHA256 (hex) of `<user id>:<code>` under the server's `recovery_codes` key;
   * codes of the earlier 10-character format: SHA-256 (hex) of the same.
   */
  _id: string;
  user_id: string;
  created_at: Date;
}

/** The state between a correct password and the second factor: grants nothing, expires in minutes. */
export interface PendingSignInDoc {
  /** SHA-256 (hex) of the challenge the client holds. */
  _id: string;
  user_id: string;
  remember: boolean;
  /** The account's security stamp when the password was checked; the step is void once it differs. */
  stamp?: string;
  created_at: Date;
  expires_at: Date;
  /** What the first step was ('password', or 'oauth' for a provider sign-in); absent: 'password'. */
  first_factor?: 'password' | 'oauth';
  /** With first_factor 'oauth': the provider's id, recorded on the session. */
  provider?: string;
  /** Where the correct password came from (for the owner's notice when the second step fails or is abandoned). */
  ip?: string | null;
  user_agent?: string | null;
  /**
   * When the owner was mailed about this pending sign-in (a wrong code, or abandoned): at most
   * one notice per pending sign-in. Unset until then. The TTL index on expires_at has a grace
   * period (PENDING_SIGN_IN_GRACE_SECONDS) so that the sweep sees expired ones first.
   */
  announced_at?: Date | null;
}

/** A WebAuthn credential (passkey) of a user. */
export interface PasskeyDoc {
  /** The credential id (base64url), unique across users. */
  _id: string;
  user_id: string;
  /** COSE public key, base64url. */
  public_key: string;
  counter: number;
  transports: string[];
  backed_up: boolean;
  device_type: 'singleDevice' | 'multiDevice';
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

/** A WebAuthn challenge handed out with ceremony options: single use, minutes long. */
export interface WebauthnChallengeDoc {
  /** SHA-256 (hex) of the random id the client sends back with its response. */
  _id: string;
  purpose: 'registration' | 'authentication';
  /** The user registering (registration); null for a usernameless sign-in. */
  user_id: string | null;
  /** base64url, as in the options sent. */
  challenge: string;
  expires_at: Date;
}

/**
 * An identity at a provider connected to an account: identity is (issuer,
 * subject), unique; never the email. Provider tokens are not stored.
 */
export interface OAuthAccountDoc {
  /** Random id. */
  _id: string;
  user_id: string;
  /** The configured provider's id (`github`, `google`, `oidc`, ...). */
  provider: string;
  /** The OIDC issuer, or for GitHub its API origin. */
  issuer: string;
  /** `sub` (OIDC) or the numeric user id (GitHub), as a string. */
  subject: string;
  /** What the provider said at the last sign-in, for display only (never for matching). */
  email: string | null;
  display_name: string | null;
  created_at: Date;
  last_used_at: Date | null;
}

/**
 * A provider sign-in or connect in progress: single use, ten minutes, bound to
 * the browser that started it by a cookie whose token's SHA-256 is `_id`.
 */
export interface OAuthFlowDoc {
  /** SHA-256 (hex) of the binding cookie's token. */
  _id: string;
  provider: string;
  /** SHA-256 (hex) of the `state` sent to the provider. */
  state_hash: string;
  /** PKCE code verifier (the provider gets only its challenge). */
  code_verifier: string;
  /** OIDC nonce (null for plain OAuth 2.0 providers). */
  nonce: string | null;
  intent: 'sign_in' | 'connect' | 'reauthenticate';
  /** The path to go to afterwards, already passed through the safe-next check. */
  next: string;
  remember: boolean;
  /** For connect/reauthenticate: the account and its security stamp at the start. */
  user_id: string | null;
  stamp: string | null;
  /** For connect/reauthenticate: the session that started the flow (its id, the token's hash). */
  session_id: string | null;
  created_at: Date;
  expires_at: Date;
}
