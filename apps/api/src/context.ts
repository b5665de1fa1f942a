// Per-request context: who is calling (the request loader: session cookie or
// bearer token), from where, and the CSRF check for cookie-authenticated
// mutations, which runs before the database is touched.
import type { IncomingMessage } from 'node:http';
import { DEVICE_TOKEN_HEADER, type Auth, type RequestInfo } from '@authkit/auth';
import { createAuthContext } from '@authkit/auth/trpc';
import { TRPCError } from '@trpc/server';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { CsrfError, toTRPCError } from './errors.ts';
import { clientAddress, type TrustProxy } from './proxy.ts';
import type { Context } from './trpc.ts';

export function createContextFactory(options: {
  auth: Auth;
  config: Pick<Config, 'webOrigin' | 'trustProxy'>;
  logger?: Pick<Logger, 'warn'>;
}) {
  const { auth, config, logger } = options;
  let warnedAboutProxy = false;
  return async ({ req, info }: CreateHTTPContextOptions): Promise<Context> => {
    if (
      !warnedAboutProxy &&
      config.trustProxy === false &&
      req.headers['x-forwarded-for'] !== undefined
    ) {
      // Behind a proxy that nobody told us about, every client has the proxy's
      // address: the sign-in throttle would count them all as one.
      warnedAboutProxy = true;
      logger?.warn(
        "requests arrive with X-Forwarded-For but TRUST_PROXY is not set: every client is counted as the proxy's address (set TRUST_PROXY to the number of proxies or their addresses)",
      );
    }
    const request = requestInfo(req, config.trustProxy);
    // On https only the __Host- session cookie is read (request.https).
    const credentials = auth.tokenFromHeaders(
      { cookie: req.headers.cookie ?? null, authorization: req.headers.authorization ?? null },
      request,
    );
    if (info.type === 'mutation') checkCsrf(req, credentials.via, config.webOrigin);
    try {
      request.deviceToken = auth.deviceTokenFromHeaders({
        cookie: req.headers.cookie ?? null,
        deviceToken: headerValue(req.headers[DEVICE_TOKEN_HEADER]),
      });
      return await createAuthContext(auth, credentials, request);
    } catch (error) {
      throw toTRPCError(error);
    }
  };
}

/**
 * A browser attaches the session cookie to any request it sends to the API,
 * even one a foreign page starts. Such a request comes with a foreign Origin
 * (or Sec-Fetch-Site: cross-site), and a JSON content type cannot be sent
 * cross-site without a CORS preflight, which only WEB_ORIGIN passes. Bearer
 * tokens are never attached by the browser, so bearer calls are exempt.
 */
export function checkCsrf(
  req: IncomingMessage,
  via: 'cookie' | 'bearer' | null,
  webOrigin: string,
): void {
  if (via === 'bearer') return;
  const contentType = req.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw new TRPCError({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Mutations must be sent as application/json.',
      cause: new CsrfError('content type'),
    });
  }
  if (via !== 'cookie') return;
  const origin = req.headers.origin;
  // The API's own origin (a page it serves); the scheme may differ behind a TLS proxy.
  const host = req.headers.host ?? '';
  const ownOrigin = origin === `http://${host}` || origin === `https://${host}`;
  const refused =
    origin !== undefined
      ? origin !== webOrigin && !ownOrigin
      : req.headers['sec-fetch-site'] === 'cross-site';
  if (refused) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: 'Cross-site request refused.',
      cause: new CsrfError('origin'),
    });
  }
}

/** The client's address, user agent and scheme, for audit, devices, session protection and cookies. */
export function requestInfo(req: IncomingMessage, trustProxy: TrustProxy): RequestInfo {
  const { ip, viaTrustedProxy } = clientAddress(req, trustProxy);
  const userAgent = req.headers['user-agent'];
  const https =
    'encrypted' in req.socket || (viaTrustedProxy && req.headers['x-forwarded-proto'] === 'https');
  return {
    https,
    ip,
    // Bounded: it is stored with the session.
    userAgent: userAgent ? userAgent.slice(0, 512) : null,
  };
}

function headerValue(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}
