// Admin controls: list users, deactivate and reactivate, change roles. Every
// call checks the actor against the stored account, whatever the caller checked.
import type { Role, UserDoc } from '@authkit/db';
import type { Filter } from 'mongodb';
import { withClaim } from './claims.ts';
import {
  COPY_PROJECTION,
  isFresh,
  MESSAGES,
  needsRefreshError,
  passedSecondFactor,
  syncUserCopies,
  type AuthCore,
} from './core.ts';
import { toPublicUser } from './convert.ts';
import { AuthError } from './errors.ts';
import { USER_SEARCH_MAX_LENGTH } from './limits.ts';
import { deactivatedNotice, secondFactorResetNotice } from './mail/templates.ts';
import type { Recovery } from './recovery.ts';
import type { Totp } from './second-factors/totp.ts';
import type { Sessions } from './sessions.ts';
import { normalizeKey } from './rules.ts';
import type { Auth, PublicUser, RequestInfo, SessionInfo, UserListQuery } from './types.ts';

/**
 * Role and active changes run one at a time (across processes), so that two
 * admins demoting or deactivating each other at the same moment cannot both
 * pass the "an active admin remains" check: the second one finds it is no
 * longer an admin.
 */
const ACCESS_CHANGE_CLAIM = 'admin:access-change';
const ACCESS_CHANGE_CLAIM_MS = 10_000;
const ACCESS_CHANGE_WAIT_MS = 3_000;

/**
 * The admin rule for a signed-in request, in one place for every adapter
 * (the API's admin procedures, the site's admin pages): role admin; with
 * REQUIRE_MFA_FOR_ADMINS, an account with a second factor (MFA_REQUIRED) and a
 * session that passed it (NEEDS_REFRESH: step up with it), not merely an
 * account that has one; and for changes (`mutation`), a session fresh by the
 * account's strongest factor.
 */
export function checkAdminSession(
  core: AuthCore,
  user: Pick<PublicUser, 'role' | 'active' | 'mfaEnabled'>,
  session: SessionInfo,
  options: { mutation: boolean },
): void {
  if (!user.active || user.role !== 'admin')
    throw new AuthError('FORBIDDEN', 'Administrators only.');
  if (core.settings.requireMfaForAdmins) {
    if (!user.mfaEnabled) throw new AuthError('MFA_REQUIRED', MESSAGES.mfaRequired);
    if (!passedSecondFactor(session.amr)) throw needsRefreshError(session);
  }
  if (options.mutation && !isFresh(core, session)) throw needsRefreshError(session);
}

/** A string matched literally inside a regular expression: every metacharacter escaped. */
function literalPattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The database filter for an admin's list: a search is a literal piece of
 * the username or email keys (both stored NFKC and lower case, so the search
 * is normalised the same way and needs no case-insensitive match), and each
 * filter narrows further. VALIDATION for a search that is not text or too long.
 */
export function userListFilter(query: Pick<UserListQuery, 'search' | 'filters'>): Filter<UserDoc> {
  const clauses: Filter<UserDoc>[] = [];
  const search = query.search ?? '';
  // No username or email holds a control character (and MongoDB refuses a NUL in a pattern).
  if (typeof search !== 'string' || /\p{Cc}/u.test(search)) {
    throw new AuthError('VALIDATION', MESSAGES.validation, {
      fieldErrors: { search: ['Search for a name or an address.'] },
    });
  }
  const key = normalizeKey(search);
  if ([...key].length > USER_SEARCH_MAX_LENGTH) {
    throw new AuthError('VALIDATION', MESSAGES.validation, {
      fieldErrors: { search: [`Search for at most ${USER_SEARCH_MAX_LENGTH} characters.`] },
    });
  }
  if (key !== '') {
    const pattern = literalPattern(key);
    clauses.push({
      $or: [{ username_key: { $regex: pattern } }, { email_key: { $regex: pattern } }],
    });
  }
  const filters = query.filters ?? {};
  if (filters.admins === true) clauses.push({ role: 'admin' });
  if (filters.deactivated === true) clauses.push({ active: false });
  // Two-step verification is the authenticator app (mfa_enabled), as the admin rule counts it.
  if (filters.withoutTwoStep === true) clauses.push({ mfa_enabled: { $ne: true } });
  if (clauses.length === 0) return {};
  return clauses.length === 1 ? clauses[0]! : { $and: clauses };
}

export function createAdmin(
  core: AuthCore,
  sessions: Pick<Sessions, 'endAllSessionsOf'>,
  recovery: Pick<Recovery, 'mailResetLink'>,
  secondFactors: Pick<Totp, 'removeTotp' | 'serialized'>,
) {
  const { database, now, events, mail } = core;

  /** The acting user's record, if it is an active admin (with a second factor when the rule asks); refuses otherwise. */
  async function loadAdminActor(actor: PublicUser): Promise<UserDoc> {
    const doc = await database.users.findOne({ _id: actor.id });
    if (!doc || !doc.active || doc.role !== 'admin')
      throw new AuthError('FORBIDDEN', MESSAGES.forbidden);
    if (core.settings.requireMfaForAdmins && !doc.mfa_enabled)
      throw new AuthError('MFA_REQUIRED', MESSAGES.mfaRequired);
    return doc;
  }

  const listUsers: Auth['listUsers'] = async (actor, query) => {
    await loadAdminActor(actor);
    const page = Math.max(1, Math.trunc(query.page) || 1);
    const pageSize = Math.min(100, Math.max(1, Math.trunc(query.pageSize) || 20));
    const filter = userListFilter(query);
    const [docs, total] = await Promise.all([
      database.users
        // The hash itself never leaves; only whether there is one (accounts made by a provider have none).
        .find(filter, { projection: COPY_PROJECTION })
        .sort({ created_at: 1, _id: 1 })
        .skip((page - 1) * pageSize)
        .limit(pageSize)
        .toArray(),
      database.users.countDocuments(filter),
    ]);
    // Who has which second factor (admins only see this): one read for the page's passkeys.
    const passkeys = await database.passkeys
      .find({ user_id: { $in: docs.map((doc) => doc._id) } }, { projection: { user_id: 1 } })
      .toArray();
    const links = await database.oauthAccounts
      .find(
        { user_id: { $in: docs.map((doc) => doc._id) } },
        { projection: { user_id: 1, provider: 1 } },
      )
      .toArray();
    const users = docs.map((doc) => {
      const passkeyCount = passkeys.filter((key) => key.user_id === doc._id).length;
      return {
        ...toPublicUser(doc),
        secondFactors: { totp: doc.mfa_enabled === true, passkeys: passkeyCount },
        signInMethods: {
          password: doc.password_hash !== '',
          passkeys: passkeyCount,
          totp: doc.mfa_enabled === true,
          providers: links.filter((link) => link.user_id === doc._id).map((link) => link.provider),
        },
      };
    });
    return { users, total, page, pageSize };
  };

  const getUserForAdmin: Auth['getUserForAdmin'] = async (actor, userId) => {
    await loadAdminActor(actor);
    const doc = await database.users.findOne({ _id: userId }, { projection: COPY_PROJECTION });
    if (!doc) throw new AuthError('NOT_FOUND', 'No such user.');
    return toPublicUser(doc);
  };

  /**
   * Applies a role or active change to `userId` as `actor`, serialized with
   * every other such change, refusing one that would leave no active admin.
   */
  async function changeAccess(
    actor: PublicUser,
    userId: string,
    change: { role: Role } | { active: boolean },
  ): Promise<UserDoc> {
    const outcome = await withClaim(
      database,
      ACCESS_CHANGE_CLAIM,
      { lifetimeMs: ACCESS_CHANGE_CLAIM_MS, waitMs: ACCESS_CHANGE_WAIT_MS },
      async () => {
        // Inside the claim: the actor's own standing may have changed while it waited.
        await loadAdminActor(actor);
        const target = await database.users.findOne(
          { _id: userId },
          { projection: { password_hash: 0 } },
        );
        if (!target) throw new AuthError('NOT_FOUND', 'No such user.');
        const removesAnAdmin =
          target.active &&
          target.role === 'admin' &&
          ('role' in change ? change.role !== 'admin' : !change.active);
        if (removesAnAdmin) {
          const activeAdmins = await database.users.countDocuments({ role: 'admin', active: true });
          if (activeAdmins <= 1) {
            throw new AuthError(
              'CONFLICT',
              target._id === actor.id
                ? 'You are the last active administrator: make another one first.'
                : 'This is the last active administrator: make another one first.',
            );
          }
        }
        const doc = await database.users.findOneAndUpdate(
          { _id: userId },
          { $set: { ...change, updated_at: now() } },
          // No projection: FerretDB's findAndModify does not support one; toPublicUser drops the hash.
          { returnDocument: 'after' },
        );
        if (!doc) throw new AuthError('NOT_FOUND', 'No such user.');
        return doc;
      },
    );
    if (!outcome.done)
      throw new AuthError('CONFLICT', 'Another change to accounts is under way. Please try again.');
    return outcome.result;
  }

  const setActive: Auth['setActive'] = async (actor, userId, active, request: RequestInfo) => {
    await loadAdminActor(actor);
    // An admin may step down (or deactivate their own account) while another active admin remains.
    const doc = await changeAccess(actor, userId, { active });
    // Every session at once; loadUser also refuses inactive users meanwhile.
    if (!active) await sessions.endAllSessionsOf(userId, 'deactivated');
    // Sessions made with `force` outlive an activation change: their copy follows.
    await syncUserCopies(core, userId);
    await events.record(active ? 'user_activated' : 'user_deactivated', userId, request, {
      by: actor.id,
    });
    if (!active) await mail.send(deactivatedNotice(mail.contextFor(doc)));
    return toPublicUser(doc);
  };

  /** Mails the user a reset link (ASVS 6.4.6: an admin never sets somebody's password). */
  const sendPasswordResetLink: Auth['sendPasswordResetLink'] = async (actor, userId, request) => {
    await loadAdminActor(actor);
    const user = await database.users.findOne({ _id: userId });
    if (!user) throw new AuthError('NOT_FOUND', 'No such user.');
    if (!user.active)
      throw new AuthError('CONFLICT', 'This account is deactivated: reactivate it first.');
    await recovery.mailResetLink(user);
    await events.record('password_reset_requested', userId, request, { by: actor.id });
  };

  /** Signs the user out everywhere (ASVS 7.4.5); resolves to how many sessions ended. */
  const endUserSessions: Auth['endUserSessions'] = async (actor, userId, request) => {
    await loadAdminActor(actor);
    if (!(await database.users.findOne({ _id: userId }, { projection: { _id: 1 } }))) {
      throw new AuthError('NOT_FOUND', 'No such user.');
    }
    const count = await sessions.endAllSessionsOf(userId, 'signed_out_by_admin');
    if (count > 0)
      await events.record('session_revoked', userId, request, { by: actor.id, all: true, count });
    return count;
  };

  const setRole: Auth['setRole'] = async (actor, userId, role, request) => {
    await loadAdminActor(actor);
    if (role !== 'user' && role !== 'admin') {
      throw new AuthError('VALIDATION', MESSAGES.validation, {
        fieldErrors: { role: ['Choose user or admin.'] },
      });
    }
    const doc = await changeAccess(actor, userId, { role });
    // The role is copied onto every session and cached: both follow at once.
    await syncUserCopies(core, userId);
    await events.record('role_changed', userId, request, { by: actor.id, role });
    return toPublicUser(doc);
  };

  /**
   * For a user who lost their authenticator: removes TOTP, recovery codes and
   * passkeys, and ends pending second steps. Audited, and the user is told by mail.
   */
  const resetSecondFactor: Auth['resetSecondFactor'] = async (actor, userId, request) => {
    await loadAdminActor(actor);
    // Stripping one's own factors would turn a stolen admin session into a
    // password-only account; another admin must do it.
    if (actor.id === userId) {
      throw new AuthError(
        'FORBIDDEN',
        'You cannot reset your own two-step verification: ask another administrator.',
      );
    }
    const user = await database.users.findOne(
      { _id: userId },
      { projection: { password_hash: 0 } },
    );
    if (!user) throw new AuthError('NOT_FOUND', 'No such user.');
    await secondFactors.serialized(userId, async () => {
      await secondFactors.removeTotp(userId);
      await database.passkeys.deleteMany({ user_id: userId });
      await database.pendingSignIns.deleteMany({ user_id: userId });
    });
    // Every session of the user ends (also by the renewed stamp): they sign in again under the new rules.
    await sessions.endAllSessionsOf(userId, 'signed_out_by_admin');
    await events.record('second_factor_reset', userId, request, { by: actor.id });
    await mail.send(secondFactorResetNotice(mail.contextFor(user), now()));
  };

  return {
    listUsers,
    getUserForAdmin,
    setActive,
    setRole,
    sendPasswordResetLink,
    endUserSessions,
    resetSecondFactor,
  };
}
