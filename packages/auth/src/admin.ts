// Admin controls: list users, deactivate and reactivate, change roles. Every
// call checks the actor against the stored account, whatever the caller checked.
import type { UserDoc } from '@authkit/db';
import { MESSAGES, syncUserCopies, type AuthCore } from './core.ts';
import { toPublicUser } from './convert.ts';
import { AuthError } from './errors.ts';
import type { Sessions } from './sessions.ts';
import type { Auth, PublicUser } from './types.ts';

export function createAdmin(core: AuthCore, sessions: Pick<Sessions, 'endAllSessionsOf'>) {
  const { database, now, events } = core;

  async function requireAdmin(actor: PublicUser): Promise<UserDoc> {
    const doc = await database.users.findOne({ _id: actor.id });
    if (!doc || !doc.active || doc.role !== 'admin') throw new AuthError('FORBIDDEN', MESSAGES.forbidden);
    return doc;
  }

  const listUsers: Auth['listUsers'] = async (actor, paging) => {
    await requireAdmin(actor);
    const page = Math.max(1, Math.trunc(paging.page) || 1);
    const pageSize = Math.min(100, Math.max(1, Math.trunc(paging.pageSize) || 20));
    const [docs, total] = await Promise.all([
      database.users
        .find({}, { projection: { password_hash: 0 } })
        .sort({ created_at: 1, _id: 1 })
        .skip((page - 1) * pageSize)
        .limit(pageSize)
        .toArray(),
      database.users.countDocuments(),
    ]);
    return { users: docs.map(toPublicUser), total, page, pageSize };
  };

  const setActive: Auth['setActive'] = async (actor, userId, active, request) => {
    await requireAdmin(actor);
    if (userId === actor.id && !active) {
      throw new AuthError('FORBIDDEN', 'You cannot deactivate your own account.');
    }
    const doc = await database.users.findOneAndUpdate(
      { _id: userId },
      { $set: { active, updated_at: now() } },
      // No projection: FerretDB's findAndModify does not support one; toPublicUser drops the hash.
      { returnDocument: 'after' },
    );
    if (!doc) throw new AuthError('NOT_FOUND', 'No such user.');
    // Every session at once; loadUser also refuses inactive users meanwhile.
    if (!active) await sessions.endAllSessionsOf(userId);
    // Sessions made with `force` outlive an activation change: their copy follows.
    await syncUserCopies(core, userId);
    await events.record(active ? 'user_activated' : 'user_deactivated', userId, request, { by: actor.id });
    return toPublicUser(doc);
  };

  const setRole: Auth['setRole'] = async (actor, userId, role, request) => {
    await requireAdmin(actor);
    if (role !== 'user' && role !== 'admin') {
      throw new AuthError('VALIDATION', MESSAGES.validation, { fieldErrors: { role: ['Choose user or admin.'] } });
    }
    if (userId === actor.id && role !== 'admin') {
      throw new AuthError('FORBIDDEN', 'You cannot remove your own administrator role.');
    }
    const doc = await database.users.findOneAndUpdate(
      { _id: userId },
      { $set: { role, updated_at: now() } },
      // No projection: FerretDB's findAndModify does not support one; toPublicUser drops the hash.
      { returnDocument: 'after' },
    );
    if (!doc) throw new AuthError('NOT_FOUND', 'No such user.');
    // The role is copied onto every session and cached: both follow at once.
    await syncUserCopies(core, userId);
    await events.record('role_changed', userId, request, { by: actor.id, role });
    return toPublicUser(doc);
  };

  return { listUsers, setActive, setRole };
}
