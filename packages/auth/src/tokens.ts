// The one token helper for every token kind (sessions, password reset and email
// verification links): generate, hash for storage, check the shape; and the
// client fingerprint used by session protection.
import { hash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { generateIdFromEntropySize } from 'lucia';

/** 25 random bytes = 200 bits, base32 (lower case, no padding): 40 characters. Stored only as its SHA-256. */
const TOKEN_BYTES = 25;
const TOKEN_PATTERN = /^[a-z2-7]{40}$/;

export function generateToken(): string {
  return generateIdFromEntropySize(TOKEN_BYTES);
}

/**
 * Cheap shape check before touching the database: anything that is not one of
 * our tokens (including a session id copied from a database dump) is anonymous.
 */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** What is stored for a token (a session id, a link's id): SHA-256 (hex) of the token. */
export async function hashToken(token: string): Promise<string> {
  return sha256hex(token);
}

// node:crypto's one-shot hash: for inputs this small it costs a fraction of
// WebCrypto's (oslo's sha256), which queues a thread-pool job per call, and
// of a Hash object's; it runs twice on every authenticated request (the
// token, the client's fingerprint).
export async function sha256hex(text: string): Promise<string> {
  return hash('sha256', text, 'hex');
}

/**
 * Session protection's view of a client: the user agent, and optionally the
 * network the address belongs to (/24 for IPv4, /48 for IPv6), hashed.
 */
export async function clientFingerprint(
  request: { ip: string | null; userAgent: string | null },
  includeAddress: boolean,
): Promise<string> {
  const parts = [request.userAgent ?? ''];
  if (includeAddress) parts.push(addressPrefix(request.ip) ?? '');
  return sha256hex(parts.join('\n'));
}

export function addressPrefix(ip: string | null): string | null {
  if (!ip) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const address = mapped ?? ip;
  if (isIPv4(address)) return address.split('.').slice(0, 3).join('.') + '.0/24';
  if (isIPv6(address)) return expandIPv6(address).slice(0, 3).join(':') + '::/48';
  return null;
}

/**
 * The client address as the throttle counts it: an IPv4 address as is, an IPv6
 * address by its /64 (one subscriber usually holds a whole /64).
 */
export function throttleAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped) return mapped;
  if (isIPv6(ip)) return expandIPv6(ip).slice(0, 4).join(':') + '::/64';
  return ip;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  const withoutZone = address.split('%')[0] ?? address;
  const [head = '', tail] = withoutZone.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(Math.max(missing, 0)).fill('0'), ...tailGroups];
  return groups.map((group) => (group.includes('.') ? group : parseInt(group, 16).toString(16)));
}
