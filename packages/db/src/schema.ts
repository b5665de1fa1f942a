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
  password_hash: string;
  role: Role;
  active: boolean;
  created_at: Date;
  updated_at: Date;
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
  /** A client address earned a lock by failed sign-ins (one event per lock, not per refusal). */
  | 'address_locked'
  /** An account name (or a trusted device of it) earned a lock by failed sign-ins. */
  | 'account_locked';

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

/** A key the application generated for itself (dev and tests, when no AUTH_SECRET_KEY is configured). */
export interface SecretDoc {
  /** What the key is for, e.g. `device_cookies`. */
  _id: string;
  /** base64 */
  key: string;
  created_at: Date;
}
