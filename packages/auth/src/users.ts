// Accounts: registration, with uniqueness decided by the unique indexes.
import { generateIdFromEntropySize } from 'lucia';
import { isDuplicateKeyError, type UserDoc } from '@authkit/db';
import { MESSAGES, type AuthCore } from './core.ts';
import { clip, MAX_IP } from './limits.ts';
import type { EmailAddresses } from './email-address.ts';
import { toPublicUser } from './convert.ts';
import { AuthError, isAuthError, type FieldErrors } from './errors.ts';
import { registrationAttemptNotice } from './mail/templates.ts';
import type { Recovery } from './recovery.ts';
import { accountUserInputs, hashPassword, passwordWeakness } from './passwords.ts';
import { throttleAddress } from './tokens.ts';
import type { Auth } from './types.ts';
import { normalizeKey, passwordSchema, registrationSchema } from './validation.ts';

const HOUR = 60 * 60_000;

export function createUsers(
  core: AuthCore,
  emailAddresses: Pick<EmailAddresses, 'sendVerification' | 'mayNoticeOwner'>,
  recovery: Pick<Recovery, 'resetLinkForNotice'>,
) {
  const { settings, database, now, events, mail } = core;

  const registerUser: Auth['registerUser'] = async (input, request, trusted) => {
    const fieldErrors: FieldErrors = {};
    const parsed = registrationSchema.safeParse(input ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues) (fieldErrors[String(issue.path[0] ?? 'form')] ??= []).push(issue.message);
    }
    const password = input?.password;
    if (!fieldErrors.password && passwordSchema.safeParse(password).success) {
      const weakness = await passwordWeakness(password, accountUserInputs(input.username, input.email));
      if (weakness) fieldErrors.password = [weakness];
    }
    if (!parsed.success || Object.keys(fieldErrors).length > 0) {
      throw new AuthError('VALIDATION', MESSAGES.validation, { fieldErrors });
    }

    // Per address, before the uniqueness check: "already taken" tells who has
    // an account, so the number of such questions an address may ask is limited.
    // Trusted callers (an operator's script, tests) are not.
    const ip = clip(request.ip, MAX_IP);
    if (ip && !trusted) {
      const key = { id: `register:${throttleAddress(ip)}`, scope: 'registration' as const };
      await core.throttle.takeQuota(key, core.settings.throttle.registrationsPerHour, HOUR, now());
    }

    const { username, email } = parsed.data;
    const at = now();
    const doc: UserDoc = {
      _id: generateIdFromEntropySize(10),
      username,
      username_key: normalizeKey(username),
      email,
      email_key: normalizeKey(email),
      password_hash: await hashPassword(parsed.data.password),
      email_verified: trusted?.emailVerified ?? false,
      role: trusted?.role ?? 'user',
      active: trusted?.active ?? true,
      created_at: at,
      updated_at: at,
    };
    try {
      // The unique indexes decide, so parallel registrations cannot both win.
      await database.users.insertOne(doc);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      throw await duplicateError(doc);
    }
    await events.record('register', doc._id, request, trusted?.operator ? { operator: trusted.operator } : undefined);
    if (!doc.email_verified) await emailAddresses.sendVerification(doc, request);
    return toPublicUser(doc);
  };

  /**
   * Sign-up from a form. With REQUIRE_VERIFIED_EMAIL, nobody is signed in until
   * the address is confirmed, so the answer can be the same whether or not the
   * address already has an account ("check your inbox"): a taken address gets
   * no account, and its owner a notice, instead of an error that tells a
   * stranger who is registered. A taken username is still said (usernames are
   * shown to others anyway).
   */
  const signUp: Auth['signUp'] = async (input, request) => {
    if (!settings.requireVerifiedEmail) {
      return { user: await registerUser(input, request), verificationRequired: false };
    }
    try {
      return { user: await registerUser(input, request), verificationRequired: true };
    } catch (error) {
      // Only "this address is taken" is answered like a new account; an
      // address that is merely malformed (no account has it) keeps its field error.
      if (!isAuthError(error, 'VALIDATION') || Object.keys(error.fieldErrors).join() !== 'email') throw error;
      const owner = await database.users.findOne({ email_key: normalizeKey(String(input.email)) });
      if (!owner) throw error;
      // A few notices a day at most, and never one that voids the owner's own
      // live reset link (the notice then points to /forgot instead).
      if (owner.active && (await emailAddresses.mayNoticeOwner(owner._id))) {
        const url = await recovery.resetLinkForNotice(owner);
        await mail.send(registrationAttemptNotice(mail.contextFor(owner), url, mail.link('/forgot')));
      }
      return { user: null, verificationRequired: true };
    }
  };

  /** Which of username and email is taken (read after the index refused the write). */
  async function duplicateError(doc: UserDoc): Promise<AuthError> {
    const fieldErrors: FieldErrors = {};
    if (await database.users.findOne({ username_key: doc.username_key }, { projection: { _id: 1 } })) {
      fieldErrors.username = ['This username is already taken.'];
    }
    if (await database.users.findOne({ email_key: doc.email_key }, { projection: { _id: 1 } })) {
      fieldErrors.email = ['An account with this email address already exists.'];
    }
    if (Object.keys(fieldErrors).length === 0) fieldErrors.username = ['This username is already taken.'];
    return new AuthError('VALIDATION', MESSAGES.validation, { fieldErrors });
  }

  return { registerUser, signUp };
}
