// Sign-in with identity providers (DESIGN.md, "One account lifecycle"): the
// server-side flow, the linking rules, connect and disconnect.
//
// A flow (sign-in, connect, re-authenticate) is a record in oauth_flows: the
// SHA-256 of its `state`, the PKCE verifier, the nonce, the provider, the
// intent and the `next` path, for ten minutes. The browser holds only a random
// token in an HttpOnly cookie whose SHA-256 is the record's id: the callback
// must come from the browser that started. The callback uses the record up
// (a delete, atomic everywhere) before anything else, so it serves once; it is
// refused, without calling the provider's token endpoint, for a missing or
// other cookie, another provider's path (mix-up) or a wrong state. What the
// provider sends back is checked by openid-client (iss, nonce, ID token) or
// github.ts. Provider tokens are used once and never stored.
import { generateIdFromEntropySize } from 'lucia';
import * as client from 'openid-client';
import { isDuplicateKeyError, type OAuthAccountDoc, type UserDoc } from '@authkit/db';
import {
  freshSessionDoc,
  liveSessionDoc,
  MESSAGES,
  renewFreshness,
  type AuthCore,
} from '../core.ts';
import { clip, MAX_IP } from '../limits.ts';
import { toPublicUser } from '../convert.ts';
import { AuthError } from '../errors.ts';
import {
  providerConnectedNotice,
  providerDisconnectedNotice,
  requestDetails,
} from '../mail/templates.ts';
import { issuedUnderCurrentStamp, renewSecurityStamp, stampOf } from '../security-stamp.ts';
import type { createSignIn } from '../sign-in.ts';
import type { ThrottleKey } from '../throttle.ts';
import {
  generateToken,
  hashToken,
  isWellFormedToken,
  sha256hex,
  throttleAddress,
} from '../tokens.ts';
import type {
  ConnectedAccount,
  ProviderInfo,
  ProviderIntent,
  ProviderOutcome,
  ProviderRefusal,
  RequestInfo,
  SessionInfo,
  SignInMethods,
} from '../types.ts';
import { normalizeKey } from '../validation.ts';
import type { IdentityProviderConfig } from './config.ts';
import { createGithubClient } from './github.ts';
import { baseUsername, decideNewIdentity, usernameCandidates } from './linking.ts';
import { createOidcClient } from './oidc.ts';
import { ProviderError, type ProviderClient, type ProviderIdentity } from './provider.ts';

/** How long a started flow may take (the record's life, and the cookie's). */
export const PROVIDER_FLOW_MS = 10 * 60_000;
/** Flows one address (or one signed-in account) may start per PROVIDER_FLOW_MS: anonymous writes are bounded. */
export const PROVIDER_FLOWS_PER_WINDOW = 30;
const HOUR = 60 * 60_000;

export const REFUSAL_MESSAGES: Record<ProviderRefusal, string> = {
  invalid_flow: 'This sign-in attempt is invalid or has expired. Please start again.',
  access_denied: 'The sign-in was cancelled at the provider. Nothing was changed.',
  provider_error: 'The provider did not complete the sign-in. Please try again later.',
  email_missing:
    'The provider did not give us an email address, which a new account needs. Register with a password instead.',
  email_unverified:
    'The provider has not verified your email address, so no account can be made from it. Verify it there, or register with a password.',
  account_exists:
    'An account with this email address already exists. Sign in to it (with your password or a passkey), then connect this provider under “Connected accounts” on your account page.',
  inactive: MESSAGES.inactive,
  identity_in_use: 'This provider account is already connected to another account here.',
  not_connected: 'This provider account is not connected to your account.',
  signed_out:
    'Your session changed while you were at the provider. Sign in again, then try once more.',
};

/** A path on this site (a first check; the site passes `next` through its own safe-next check first). */
function safePath(next: unknown, fallback: string): string {
  if (
    typeof next !== 'string' ||
    !/^\/(?![/\\])/.test(next) ||
    /[\\\s\p{Cc}]/u.test(next) ||
    next.length > 2000
  ) {
    return fallback;
  }
  return next;
}

export type IdentityProviders = ReturnType<typeof createIdentityProviders>;

export function createIdentityProviders(
  core: AuthCore,
  configs: readonly IdentityProviderConfig[],
  signIn: Pick<ReturnType<typeof createSignIn>, 'signInWithProvider'>,
  options: { clients?: ProviderClient[] } = {},
) {
  const { database, now, events, settings } = core;
  const clients = new Map<string, ProviderClient>();
  for (const config of configs) {
    clients.set(
      config.id,
      config.kind === 'github' ? createGithubClient(config) : createOidcClient(config),
    );
  }
  for (const given of options.clients ?? []) clients.set(given.config.id, given);

  const nameOf = (providerId: string) => clients.get(providerId)?.config.name ?? providerId;
  const redirectUriFor = (providerId: string) =>
    `${settings.siteUrl}/login/provider/${providerId}/callback`;

  function listProviders(): ProviderInfo[] {
    return [...clients.values()].map((entry) => ({
      id: entry.config.id,
      name: entry.config.name,
      reauthentication: entry.supportsReauthentication,
      origin: new URL(entry.config.kind === 'github' ? entry.config.webUrl : entry.config.issuer).origin,
    }));
  }

  /**
   * Starts a flow: stores its record and answers the provider's URL and the
   * token for the binding cookie. `connect` needs a fresh session;
   * `reauthenticate` a session whose account has this provider connected.
   * NOT_FOUND for an unconfigured provider; THROTTLED past the per-address quota.
   */
  async function startFlow(
    providerId: string,
    input: {
      intent: ProviderIntent;
      next?: unknown;
      remember?: boolean;
      session?: SessionInfo | null;
    },
    request: RequestInfo,
  ): Promise<{ url: string; flowToken: string; expiresAt: Date }> {
    const provider = clients.get(providerId);
    if (!provider) throw new AuthError('NOT_FOUND', 'No such sign-in provider.');
    const intent = input.intent;
    let userId: string | null = null;
    let stamp: string | null = null;
    let sessionId: string | null = null;
    if (intent !== 'sign_in') {
      if (!input.session) throw new AuthError('UNAUTHORIZED', MESSAGES.unauthorized);
      const doc =
        intent === 'connect'
          ? await freshSessionDoc(core, input.session, request, 'oauth_connect')
          : await liveSessionDoc(core, input.session);
      const user = await database.users.findOne(
        { _id: doc.user_id },
        { projection: { security_stamp: 1, active: 1 } },
      );
      if (!user?.active) throw new AuthError('INACTIVE', MESSAGES.inactive);
      if (intent === 'reauthenticate') {
        if (!provider.supportsReauthentication) {
          throw new AuthError(
            'CONFLICT',
            `${provider.config.name} cannot confirm who you are again; use a passkey or your password.`,
          );
        }
        const connected = await database.oauthAccounts.findOne({
          user_id: doc.user_id,
          provider: providerId,
        });
        if (!connected) throw new AuthError('CONFLICT', REFUSAL_MESSAGES.not_connected);
      }
      userId = doc.user_id;
      stamp = stampOf(user);
      sessionId = doc._id;
    }
    // Bounded: every start writes a record (anonymous ones too).
    const quotaId = userId
      ? `oauth-flow:user:${userId}`
      : `oauth-flow:${request.ip ? throttleAddress(request.ip) : 'unknown'}`;
    await core.throttle.takeQuota(
      { id: quotaId, scope: 'address' },
      PROVIDER_FLOWS_PER_WINDOW,
      PROVIDER_FLOW_MS,
      now(),
    );

    const flowToken = generateToken();
    const state = client.randomState();
    const codeVerifier = client.randomPKCECodeVerifier();
    const nonce = provider.config.kind === 'oidc' ? client.randomNonce() : null;
    const at = now();
    const expiresAt = new Date(at.getTime() + PROVIDER_FLOW_MS);
    const url = await provider.authorizationUrl({
      redirectUri: redirectUriFor(providerId),
      state,
      codeChallenge: await client.calculatePKCECodeChallenge(codeVerifier),
      nonce,
      reauthenticate: intent === 'reauthenticate',
    });
    await database.oauthFlows.insertOne({
      _id: await hashToken(flowToken),
      provider: providerId,
      state_hash: await sha256hex(state),
      code_verifier: codeVerifier,
      nonce,
      intent,
      next: safePath(input.next, intent === 'sign_in' ? '/dashboard' : '/account'),
      remember: input.remember === true,
      user_id: userId,
      stamp,
      session_id: sessionId,
      created_at: at,
      expires_at: expiresAt,
    });
    return { url: url.toString(), flowToken, expiresAt };
  }

  /** The address's key in the throttle: refused callbacks count against it like wrong passwords. */
  function addressKeys(request: RequestInfo): ThrottleKey[] {
    const ip = clip(request.ip, MAX_IP);
    if (!ip) return [];
    return [
      {
        id: `address:${throttleAddress(ip)}`,
        scope: 'address',
        free: settings.throttle.addressFreeFailures,
      },
    ];
  }

  /**
   * The callback: uses the flow up, checks it, asks the provider who signed
   * in, and applies the linking rules. Refusals are an outcome (the site shows
   * the message), recorded as `oauth_refused` events; THROTTLED (an address
   * with too many refused callbacks) and UNAVAILABLE are thrown.
   */
  async function completeFlow(
    providerId: string,
    input: {
      params: URLSearchParams;
      flowToken: string | null | undefined;
      session?: SessionInfo | null;
    },
    request: RequestInfo,
  ): Promise<ProviderOutcome> {
    const admission = await core.throttle.admit(addressKeys(request), now());
    let intent: ProviderIntent | null = null;
    let next = '/login';
    const refuse = async (
      reason: ProviderRefusal,
      userId: string | null,
      counts: boolean,
    ): Promise<ProviderOutcome> => {
      if (counts) await core.throttle.failed(admission, now());
      else await core.throttle.succeeded(admission, now());
      await events.record('oauth_refused', userId, request, {
        provider: clip(providerId, 40),
        reason,
      });
      return { status: 'refused', reason, message: REFUSAL_MESSAGES[reason], intent, next };
    };

    // 1. The flow record, used up whatever follows (a second callback finds nothing).
    const flowToken = input.flowToken;
    if (typeof flowToken !== 'string' || !isWellFormedToken(flowToken))
      return refuse('invalid_flow', null, true);
    const flowId = await hashToken(flowToken);
    const flow = await database.oauthFlows.findOne({ _id: flowId });
    const taken = await database.oauthFlows.deleteOne({ _id: flowId });
    if (!flow || taken.deletedCount !== 1 || flow.expires_at <= now())
      return refuse('invalid_flow', null, true);
    intent = flow.intent;
    next = flow.intent === 'sign_in' ? '/login' : '/account';
    // 2. Mix-up: the flow was started for another provider than this callback's path.
    if (flow.provider !== providerId) return refuse('invalid_flow', flow.user_id, true);
    // 3. The state the provider sent back is this flow's.
    const state = input.params.get('state');
    if (!state || (await sha256hex(state)) !== flow.state_hash)
      return refuse('invalid_flow', flow.user_id, true);
    const provider = clients.get(providerId);
    if (!provider) return refuse('invalid_flow', flow.user_id, true);
    // 4. The user said no at the provider: no token endpoint call.
    if (input.params.get('error') === 'access_denied')
      return refuse('access_denied', flow.user_id, false);

    let identity: ProviderIdentity;
    try {
      identity = await provider.identity(input.params, {
        redirectUri: redirectUriFor(providerId),
        state,
        codeVerifier: flow.code_verifier,
        nonce: flow.nonce,
        reauthenticate: flow.intent === 'reauthenticate',
      });
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      return refuse(error.reason, flow.user_id, error.reason !== 'access_denied');
    }
    await core.throttle.succeeded(admission, now());

    if (flow.intent === 'sign_in')
      return signInWith(provider, identity, flow.remember, flow.next, request);

    // Connect and re-authenticate: the same session as at the start, same account, same stamp.
    const session = input.session;
    if (!session || session.id !== flow.session_id || session.userId !== flow.user_id) {
      return refuse('signed_out', flow.user_id, false);
    }
    let sessionDoc;
    try {
      sessionDoc = await liveSessionDoc(core, session);
    } catch {
      return refuse('signed_out', flow.user_id, false);
    }
    const user = await database.users.findOne({ _id: session.userId });
    if (!user || !issuedUnderCurrentStamp(flow.stamp ?? undefined, user))
      return refuse('signed_out', flow.user_id, false);
    if (!user.active) return refuse('inactive', user._id, false);
    const link = await database.oauthAccounts.findOne({
      issuer: identity.issuer,
      subject: identity.subject,
    });

    if (flow.intent === 'reauthenticate') {
      if (!link || link.user_id !== user._id) return refuse('not_connected', user._id, false);
      const login = await renewFreshness(core, sessionDoc, request, ['oauth']);
      await database.sessions.updateOne(
        { _id: login.session.id },
        { $set: { provider: providerId } },
      );
      await database.oauthAccounts.updateOne({ _id: link._id }, { $set: { last_used_at: now() } });
      await events.record('login', user._id, request, {
        reauthentication: true,
        amr: 'oauth',
        provider: providerId,
      });
      return { status: 'reauthenticated', login, next: flow.next };
    }

    // Connect.
    if (link) {
      if (link.user_id !== user._id) return refuse('identity_in_use', user._id, false);
      return { status: 'connected', provider: provider.config.name, next: flow.next };
    }
    try {
      await database.oauthAccounts.insertOne(newLink(user._id, providerId, identity));
    } catch (error) {
      if (isDuplicateKeyError(error)) return refuse('identity_in_use', user._id, false);
      throw error;
    }
    await events.record('oauth_connected', user._id, request, { provider: providerId });
    await core.mail.send(
      providerConnectedNotice(core.mail.contextFor(user), provider.config.name, requestDetails(request, now())),
    );
    return { status: 'connected', provider: provider.config.name, next: flow.next };

    async function signInWith(
      provider: ProviderClient,
      identity: ProviderIdentity,
      remember: boolean,
      flowNext: string,
      request: RequestInfo,
    ): Promise<ProviderOutcome> {
      next = '/login';
      let link = await database.oauthAccounts.findOne({
        issuer: identity.issuer,
        subject: identity.subject,
      });
      let user: UserDoc | null = link ? await database.users.findOne({ _id: link.user_id }) : null;
      if (link && !user) {
        // The account is gone: its identity is free again.
        await database.oauthAccounts.deleteOne({ _id: link._id });
        link = null;
      }
      let created = false;
      if (!link || !user) {
        const made = await createAccount(providerId, identity, request);
        if ('refused' in made) return refuse(made.refused, null, false);
        user = made.user;
        link = made.link;
        created = made.created;
      }
      if (!user.active) {
        await events.record('login_failed', user._id, request, {
          reason: 'inactive',
          provider: providerId,
        });
        return refuse('inactive', user._id, false);
      }
      // For display only: what the provider says now (identity stays (issuer, subject)).
      await database.oauthAccounts.updateOne(
        { _id: link._id },
        {
          $set: {
            last_used_at: now(),
            email: clip(identity.email, 320),
            display_name: clip(identity.name ?? identity.username, 100),
          },
        },
      );
      await events.record('oauth_sign_in', user._id, request, { provider: providerId, created });
      const outcome = await signIn.signInWithProvider(
        toPublicUser(user),
        { remember, provider: providerId },
        request,
      );
      if (outcome.status === 'second_factor') return { ...outcome, next: flowNext };
      return { ...outcome, next: flowNext, created };
    }
  }

  function newLink(
    userId: string,
    providerId: string,
    identity: ProviderIdentity,
  ): OAuthAccountDoc {
    return {
      _id: generateIdFromEntropySize(10),
      user_id: userId,
      provider: providerId,
      issuer: identity.issuer,
      subject: identity.subject,
      email: clip(identity.email, 320),
      display_name: clip(identity.name ?? identity.username, 100),
      created_at: now(),
      last_used_at: null,
    };
  }

  /**
   * An account for an unknown identity, by the linking rules (linking.ts):
   * no password, the provider's verified address, a username derived from
   * the provider's and made unique. Registrations per address are limited as
   * for the form. Two parallel first sign-ins of one identity make one account.
   */
  async function createAccount(
    providerId: string,
    identity: ProviderIdentity,
    request: RequestInfo,
  ): Promise<
    | { user: UserDoc; link: OAuthAccountDoc; created: boolean }
    | { refused: 'email_missing' | 'email_unverified' | 'account_exists' }
  > {
    const emailKey = identity.email ? normalizeKey(identity.email) : '';
    const owner = emailKey
      ? await database.users.findOne({ email_key: emailKey }, { projection: { _id: 1 } })
      : null;
    const decision = decideNewIdentity(identity, owner !== null);
    if (decision.action === 'refuse') return { refused: decision.reason };

    const ip = clip(request.ip, MAX_IP);
    if (ip) {
      const key = { id: `register:${throttleAddress(ip)}`, scope: 'registration' as const };
      await core.throttle.takeQuota(key, settings.throttle.registrationsPerHour, HOUR, now());
    }
    const at = now();
    const base = baseUsername(identity);
    let user: UserDoc | null = null;
    for (const username of usernameCandidates(base)) {
      const doc: UserDoc = {
        _id: generateIdFromEntropySize(10),
        username,
        username_key: normalizeKey(username),
        email: identity.email!,
        email_key: emailKey,
        // No password: nothing verifies against '' (credentials.ts).
        password_hash: '',
        email_verified: true,
        role: 'user',
        active: true,
        created_at: at,
        updated_at: at,
        security_stamp: generateToken(),
      };
      try {
        await database.users.insertOne(doc);
        user = doc;
        break;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        // The address was taken meanwhile: the same rule as above.
        if (await database.users.findOne({ email_key: emailKey }, { projection: { _id: 1 } }))
          return { refused: 'account_exists' };
      }
    }
    if (!user) throw new AuthError('CONFLICT', 'Could not find a free username; please try again.');
    const link = newLink(user._id, providerId, identity);
    try {
      await database.oauthAccounts.insertOne(link);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // The same identity's parallel first sign-in won: that account it is.
      await database.users.deleteOne({ _id: user._id });
      const winner = await database.oauthAccounts.findOne({
        issuer: identity.issuer,
        subject: identity.subject,
      });
      const winnerUser = winner ? await database.users.findOne({ _id: winner.user_id }) : null;
      if (!winner || !winnerUser) throw new AuthError('CONFLICT', 'Please try again.');
      return { user: winnerUser, link: winner, created: false };
    }
    await events.record('register', user._id, request, { provider: providerId });
    return { user, link, created: true };
  }

  async function signInMethods(userId: string): Promise<SignInMethods> {
    const user = await database.users.findOne(
      { _id: userId },
      { projection: { password_hash: 1, mfa_enabled: 1 } },
    );
    const passkeys = await database.passkeys.countDocuments({ user_id: userId });
    const links = await database.oauthAccounts
      .find({ user_id: userId }, { projection: { provider: 1 } })
      .toArray();
    return {
      password: !!user && user.password_hash !== '',
      passkeys,
      totp: user?.mfa_enabled === true,
      providers: links.map((link) => link.provider),
    };
  }

  /** True while the account keeps a way to sign in: a password, a passkey or a provider. */
  function canSignIn(methods: SignInMethods): boolean {
    return methods.password || methods.passkeys > 0 || methods.providers.length > 0;
  }

  async function listConnectedAccounts(session: SessionInfo): Promise<ConnectedAccount[]> {
    await liveSessionDoc(core, session);
    const links = await database.oauthAccounts
      .find({ user_id: session.userId })
      .sort({ created_at: 1 })
      .toArray();
    return links.map((link) => ({
      id: link._id,
      provider: link.provider,
      providerName: nameOf(link.provider),
      email: link.email,
      displayName: link.display_name,
      createdAt: link.created_at,
      lastUsedAt: link.last_used_at,
    }));
  }

  /**
   * Fresh session. NOT_FOUND for another account's connection; CONFLICT when
   * it is the account's last way to sign in. Renews the security stamp (the
   * sessions it signed in elsewhere end; this one stays); mailed and recorded.
   */
  async function disconnect(
    session: SessionInfo,
    connectionId: string,
    request: RequestInfo,
  ): Promise<void> {
    const doc = await freshSessionDoc(core, session, request, 'oauth_disconnect');
    if (typeof connectionId !== 'string' || connectionId.length > 64)
      throw new AuthError('NOT_FOUND', 'No such connected account.');
    const link = await database.oauthAccounts.findOne({ _id: connectionId, user_id: doc.user_id });
    if (!link) throw new AuthError('NOT_FOUND', 'No such connected account.');
    const lastMethod = () =>
      new AuthError(
        'CONFLICT',
        'This is your only way to sign in. Set a password or add a passkey first, then disconnect it.',
      );
    const before = await signInMethods(doc.user_id);
    if (
      !canSignIn({
        ...before,
        providers: before.providers.filter((_, i) => i !== before.providers.indexOf(link.provider)),
      })
    ) {
      throw lastMethod();
    }
    const removed = await database.oauthAccounts.deleteOne({ _id: link._id, user_id: doc.user_id });
    if (removed.deletedCount !== 1) throw new AuthError('NOT_FOUND', 'No such connected account.');
    // Two parallel removals (of two providers) could each leave the other: checked again after.
    if (!canSignIn(await signInMethods(doc.user_id))) {
      await database.oauthAccounts.insertOne(link);
      throw lastMethod();
    }
    await renewSecurityStamp(core, doc.user_id, { keepSessionId: doc._id });
    await events.record('oauth_disconnected', doc.user_id, request, { provider: link.provider });
    const user = await database.users.findOne(
      { _id: doc.user_id },
      { projection: { username: 1, email: 1 } },
    );
    if (user)
      await core.mail.send(
        providerDisconnectedNotice(
          core.mail.contextFor(user),
          nameOf(link.provider),
          requestDetails(request, now()),
        ),
      );
  }

  /** For the sweep on servers without TTL indexes. */
  async function deleteExpiredFlows(): Promise<number> {
    return (await database.oauthFlows.deleteMany({ expires_at: { $lte: now() } })).deletedCount;
  }

  return {
    listProviders,
    startFlow,
    completeFlow,
    listConnectedAccounts,
    disconnect,
    signInMethods,
    deleteExpiredFlows,
  };
}
