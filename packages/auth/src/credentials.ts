// Passwords: sign-in (authenticate), re-authentication (confirmLogin), password
// change, and the rehash of hashes made with older Argon2 parameters.
import type { UserDoc } from '@authkit/db';
import {
  freshSessionDoc,
  liveSessionDoc,
  MESSAGES,
  renewFreshness,
  syncUserCopies,
  type AuthCore,
} from './core.ts';
import { clip, MAX_IP, MAX_LOGIN } from './limits.ts';
import { toPublicUser } from './convert.ts';
import type { Devices } from './devices.ts';
import { AuthError } from './errors.ts';
import { endSessionsWithReason } from './ended-sessions.ts';
import { passwordChangedNotice, passwordSetNotice, requestDetails } from './mail/templates.ts';
import {
  accountUserInputs,
  getDummyHash,
  hashPassword,
  needsRehash,
  PASSWORD_MAX_LENGTH,
  verifyPassword,
} from './passwords.ts';
import { dropLapsedClaim, takeClaim } from './claims.ts';
import type { Admission } from './throttle.ts';
import { sha256hex } from './tokens.ts';
import { renewSecurityStamp } from './security-stamp.ts';
import type { Totp } from './second-factors/totp.ts';
import type {
  Auth,
  AuthMethod,
  PublicUser,
  RequestInfo,
  SecondFactorProof,
  SessionInfo,
} from './types.ts';
import { checkNewPassword, normalizeKey } from './validation.ts';

/** A code or recovery code was given (its validity is checked by totp.checkProof). */
function hasProof(proof: SecondFactorProof | null | undefined): boolean {
  if (!proof || typeof proof !== 'object') return false;
  const given = 'recoveryCode' in proof ? proof.recoveryCode : (proof as { code?: unknown }).code;
  return typeof given === 'string' && given.trim() !== '';
}

/** How long a claim on a password hash change holds (see claimHashChange). */
const HASH_CLAIM_MS = 60_000;

export type Credentials = ReturnType<typeof createCredentials>;

export function createCredentials(
  core: AuthCore,
  devices: Pick<Devices, 'verify'>,
  totp: Pick<Totp, 'checkProof'>,
) {
  const { database, now, throttle, events } = core;

  /**
   * The stored hash each user returned by `authenticate` was checked against.
   * loginUser compares it after creating the session: a password change that
   * lands between the check and the new session must not leave that session
   * alive (the change ends "every other session" only among those it sees).
   */
  const passwordCheckedAgainst = new WeakMap<PublicUser, string>();
  /**
   * The account document each user returned by `authenticate` was read from,
   * moments ago: loginUser and trustDevice use it instead of reading it again
   * (loginUser still reads the account once the session exists).
   */
  const documentOf = new WeakMap<PublicUser, UserDoc>();

  /** Wrong password where a signed-in user re-enters it: a field error, not a sign-out (401). */
  function incorrectPassword(field: string): AuthError {
    return new AuthError('VALIDATION', MESSAGES.incorrectPassword, {
      fieldErrors: { [field]: [MESSAGES.incorrectPassword] },
    });
  }

  /**
   * Claims the one change away from the user's current password hash. A
   * password hash is replaced at most once (a password change, a rehash), and
   * of parallel replacements exactly one gets the claim: it is a unique insert,
   * atomic on every server we support, where a conditional update is not atomic
   * on FerretDB and there are no transactions. The claim lives beside the
   * throttle's leases and lapses after HASH_CLAIM_MS, so that a change whose
   * process died does not block the next one for long. Resolves to a release
   * function (for a claim that ends up unused), or null when another change
   * holds the claim.
   */
  async function claimHashChange(
    user: Pick<UserDoc, '_id' | 'password_hash'>,
  ): Promise<(() => Promise<void>) | null> {
    // The hash itself is not stored again: a digest of it names the claim.
    const id = `password:${user._id}:${await sha256hex(user.password_hash)}`;
    // A lapsed claim may be taken over (second try); the hash check after the claim still decides.
    if (!(await takeClaim(database, id, HASH_CLAIM_MS))) {
      await dropLapsedClaim(database, id);
      if (!(await takeClaim(database, id, HASH_CLAIM_MS))) return null;
    }
    return async () => {
      await database.throttle.deleteOne({ _id: id });
    };
  }

  /**
   * Rehash on a correct password when the stored hash has older parameters.
   * Resolves to the hash stored for the password afterwards (the new one when rehashed).
   */
  async function rehashIfNeeded(user: UserDoc, password: string): Promise<string> {
    if (!needsRehash(user.password_hash)) return user.password_hash;
    const passwordHash = await hashPassword(password);
    // Claimed, and conditional on the old hash, so that a concurrent password change wins.
    if (!(await claimHashChange(user))) return user.password_hash;
    const updated = await database.users.updateOne(
      { _id: user._id, password_hash: user.password_hash },
      { $set: { password_hash: passwordHash, updated_at: now() } },
    );
    return updated.modifiedCount === 1 ? passwordHash : user.password_hash;
  }

  /**
   * The throttle keys of an attempt on `account` (a user's id, or a name that
   * names nobody): per device when the client holds a valid device cookie for
   * that user, else per account and address.
   */
  async function throttleKeys(account: string, user: UserDoc | null, request: RequestInfo) {
    const deviceId = user ? await devices.verify(request.deviceToken, user) : null;
    return throttle.keysFor({ account, ip: clip(request.ip, MAX_IP), deviceId });
  }

  /** A wrong password: counted on every key, recorded, and one event per lock it set (not per refusal). */
  async function failedAttempt(
    admission: Admission,
    userId: string | null,
    request: RequestInfo,
    reason: string,
  ) {
    const locks = await throttle.failed(admission, now());
    await events.record('login_failed', userId, request, { reason });
    for (const lock of locks) {
      const details = {
        scope: lock.scope,
        failures: lock.failures,
        lockSeconds: Math.ceil(lock.waitMs / 1000),
      };
      if (lock.scope === 'address') await events.record('address_locked', null, request, details);
      else await events.record('account_locked', userId, request, details);
    }
  }

  const authenticate: Auth['authenticate'] = async (login, password, request) => {
    const key = typeof login === 'string' ? normalizeKey(login) : '';
    if (!key || key.length > MAX_LOGIN || typeof password !== 'string') {
      throw new AuthError('INVALID_CREDENTIALS', MESSAGES.invalidCredentials);
    }
    // Looked up before the throttle, so that an account has one budget whichever
    // of its names is typed. One indexed read for known and unknown names alike.
    // Usernames cannot contain '@', so the login names exactly one index.
    const user = await database.users.findOne(
      key.includes('@') ? { email_key: key } : { username_key: key },
    );
    const keys = await throttleKeys(user ? `user:${user._id}` : `name:${key}`, user, request);
    const admission = await throttle.admit(keys, now());

    // Unknown users are verified against a dummy hash: same time, same answer.
    const tooLong = [...password].length > PASSWORD_MAX_LENGTH;
    // An account without a password (made by an identity provider) has '' here: it is
    // checked against the dummy hash like an unknown name, and no password signs it in.
    const hasPassword = !!user && user.password_hash !== '';
    const matches = await verifyPassword(
      hasPassword ? user.password_hash : await getDummyHash(),
      tooLong ? '' : password,
    );
    if (!user || !hasPassword || !matches || tooLong) {
      await failedAttempt(admission, user?._id ?? null, request, 'invalid_credentials');
      throw new AuthError('INVALID_CREDENTIALS', MESSAGES.invalidCredentials);
    }
    await throttle.succeeded(admission, now());
    // Only now, after a correct password, may the answer say the account is inactive.
    if (!user.active) {
      await events.record('login_failed', user._id, request, { reason: 'inactive' });
      throw new AuthError('INACTIVE', MESSAGES.inactive);
    }
    const checkedHash = await rehashIfNeeded(user, password);
    const publicUser = toPublicUser(user);
    passwordCheckedAgainst.set(publicUser, checkedHash);
    documentOf.set(publicUser, user);
    return publicUser;
  };

  /** The account document `authenticate` read for this user (undefined for other users). */
  function checkedDocOf(user: PublicUser): UserDoc | undefined {
    return documentOf.get(user);
  }

  /** The stored hash `authenticate` checked this user's password against (undefined for other users). */
  function checkedHashOf(user: PublicUser): string | undefined {
    return passwordCheckedAgainst.get(user);
  }

  /** Throttled password check for a signed-in user (re-authentication, password change). */
  async function checkPasswordOfSignedInUser(
    user: UserDoc,
    password: unknown,
    field: string,
    request: RequestInfo,
    reason: string,
    options: { rehash?: boolean } = {},
  ): Promise<void> {
    const keys = await throttleKeys(`user:${user._id}`, user, request);
    const admission = await throttle.admit(keys, now());
    const valid =
      user.password_hash !== '' &&
      typeof password === 'string' &&
      [...password].length <= PASSWORD_MAX_LENGTH &&
      (await verifyPassword(user.password_hash, password));
    if (!valid) {
      await failedAttempt(admission, user._id, request, reason);
      throw incorrectPassword(field);
    }
    await throttle.succeeded(admission, now());
    if (options.rehash ?? true) await rehashIfNeeded(user, password);
  }

  // Step-up asks for the account's strongest factor: with TOTP, the password
  // and a code (or a recovery code); the password alone renews nothing there.
  const confirmLogin: Auth['confirmLogin'] = async (session, password, request, proof) => {
    const doc = await liveSessionDoc(core, session);
    const user = await database.users.findOne({ _id: doc.user_id });
    if (!user) throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
    if (!user.active) throw new AuthError('INACTIVE', MESSAGES.inactive);
    const secondFactor = user.mfa_enabled === true && user.totp?.confirmed === true;
    if (secondFactor && !hasProof(proof)) {
      // Asked before the password is checked, so a missing code costs no attempt.
      throw new AuthError('VALIDATION', MESSAGES.needsSecondFactor, {
        fieldErrors: { code: [MESSAGES.codeNeeded] },
      });
    }
    await checkPasswordOfSignedInUser(user, password, 'password', request, 'reauthentication');
    const amr: AuthMethod[] = ['password'];
    if (secondFactor) amr.push(await totp.checkProof(user, proof!, request, 'reauthentication'));

    // The client that just typed the password is the one to recognise from now on; a new token.
    const renewed = await renewFreshness(core, doc, request, amr);
    await events.record('login', user._id, request, { reauthentication: true, amr: amr.join(' ') });
    return renewed;
  };

  // The current password, typed into the form, is itself the re-authentication:
  // a stale session needs no detour through confirmLogin, and comes out fresh.
  const changePassword: Auth['changePassword'] = async (session, input, request) => {
    const doc = await liveSessionDoc(core, session);
    const user = await database.users.findOne({ _id: doc.user_id });
    if (!user) throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
    if (!user.active) throw new AuthError('INACTIVE', MESSAGES.inactive);

    const newPassword = await checkNewPassword(
      input?.newPassword,
      'newPassword',
      accountUserInputs(user.username, user.email),
    );
    // No rehash of the current password: it is about to be replaced.
    await checkPasswordOfSignedInUser(
      user,
      input?.currentPassword,
      'currentPassword',
      request,
      'password_change',
      {
        rehash: false,
      },
    );
    if (newPassword.normalize('NFKC') === String(input.currentPassword).normalize('NFKC')) {
      throw new AuthError('VALIDATION', MESSAGES.validation, {
        fieldErrors: { newPassword: ['Choose a password different from the current one.'] },
      });
    }
    const passwordHash = await hashPassword(newPassword);

    // Compare-and-set on the hash the current password was checked against:
    // of parallel changes exactly one wins, and only the winner's session
    // survives (each loser's is among the "others" the winner ends).
    const changedMeanwhile = () =>
      new AuthError('VALIDATION', MESSAGES.validation, {
        fieldErrors: { currentPassword: [MESSAGES.passwordChangedMeanwhile] },
      });
    const release = await claimHashChange(user);
    if (!release) throw changedMeanwhile();
    const stored = await database.users.findOne(
      { _id: user._id },
      { projection: { password_hash: 1 } },
    );
    if (stored?.password_hash !== user.password_hash) throw changedMeanwhile();
    try {
      // This session ended meanwhile (signed out, revoked): 401, nothing written.
      await liveSessionDoc(core, session);
    } catch (error) {
      await release();
      throw error;
    }
    const updated = await database.users.updateOne(
      { _id: user._id, password_hash: user.password_hash },
      { $set: { password_hash: passwordHash, updated_at: now() } },
    );
    if (updated.modifiedCount === 0) throw changedMeanwhile();
    // Every other device must sign in again with the new password; this one stays.
    const sessionsEnded = await endSessionsWithReason(
      core,
      { user_id: user._id, _id: { $ne: doc._id } },
      'password_changed',
    );
    await core.feed.record({ userId: user._id });
    // The password was just typed on this client: the session it keeps is fresh
    // (as fresh as a password makes it: on a TOTP account, not for step-up), under a new token.
    const renewed = await renewFreshness(core, doc, request, ['password']);
    // Whatever was issued before (mailed links, pending second steps, device
    // tokens) dies with the old stamp; this session is carried over.
    await renewSecurityStamp(core, user._id, { keepSessionId: renewed.session.id });
    await events.record('password_changed', user._id, request, { sessionsEnded });
    await core.mail.send(passwordChangedNotice(core.mail.contextFor(user)));
    return renewed;
  };

  /**
   * A first password for an account that has none (made by an identity
   * provider): needs a fresh session (the provider sign-in itself, a passkey).
   * CONFLICT when the account has a password (that is changePassword's job).
   * The owner is mailed; nothing else ends (a new way in, not a changed one).
   */
  const setPassword = async (
    session: SessionInfo,
    newPassword: string,
    request: RequestInfo,
  ): Promise<void> => {
    const doc = await freshSessionDoc(core, session, request, 'set_password');
    const user = await database.users.findOne({ _id: doc.user_id });
    if (!user) throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
    if (!user.active) throw new AuthError('INACTIVE', MESSAGES.inactive);
    if (user.password_hash !== '')
      throw new AuthError('CONFLICT', 'This account has a password: change it instead.');
    const password = await checkNewPassword(
      newPassword,
      'newPassword',
      accountUserInputs(user.username, user.email),
    );
    const passwordHash = await hashPassword(password);
    // Conditional on still having none: of parallel attempts one wins.
    const updated = await database.users.updateOne(
      { _id: user._id, password_hash: '' },
      { $set: { password_hash: passwordHash, updated_at: now() } },
    );
    if (updated.modifiedCount !== 1)
      throw new AuthError('CONFLICT', 'This account has a password: change it instead.');
    // Sessions carry whether the account has a password (auth.me reads it from the cached copy).
    await syncUserCopies(core, user._id);
    await events.record('password_set', user._id, request);
    await core.mail.send(
      passwordSetNotice(core.mail.contextFor(user), requestDetails(request, now())),
    );
  };

  return {
    authenticate,
    checkedHashOf,
    checkedDocOf,
    confirmLogin,
    changePassword,
    setPassword,
    claimHashChange,
  };
}
