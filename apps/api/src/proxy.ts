// Which address a request comes from, behind zero or more reverse proxies.
// TRUST_PROXY names the trusted hops: a number (true = 1), or the proxies'
// own addresses and CIDR ranges. Entries of X-Forwarded-For that no trusted
// proxy added come from the client and can be forged, so they are never used.
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP, type Socket } from 'node:net';

/** false: no proxy; true or n: that many proxies in front; a list: the proxies' addresses/CIDRs. */
export type TrustProxy = boolean | number | readonly string[];

/** Parses TRUST_PROXY: true/false, a hop count, or a comma list of addresses/CIDRs. Null when invalid. */
export function parseTrustProxy(value: string): TrustProxy | null {
  const text = value.trim();
  if (text === '' || text === 'false' || text === '0') return false;
  if (text === 'true' || text === '1') return true;
  if (/^\d+$/.test(text)) return Number(text) <= 100 ? Number(text) : null;
  const entries = text.split(',').map((entry) => entry.trim());
  return entries.every(isAddressOrRange) ? entries : null;
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const trustedLists = new WeakMap<readonly string[], BlockList>();

function blockListOf(entries: readonly string[]): BlockList {
  let list = trustedLists.get(entries);
  if (!list) {
    list = new BlockList();
    for (const entry of entries) {
      const [address = '', prefix] = entry.split('/');
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(prefix), type);
    }
    trustedLists.set(entries, list);
  }
  return list;
}

function isTrusted(address: string, entries: readonly string[]): boolean {
  const plain = unmapped(address);
  const family = isIP(plain);
  return family !== 0 && blockListOf(entries).check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

// The peer's trust, once per connection: a keep-alive connection (a proxy's
// above all) carries many requests from the same peer.
const peerTrust = new WeakMap<Socket, { entries: readonly string[]; trusted: boolean }>();

function isTrustedPeer(socket: Socket, peer: string, entries: readonly string[]): boolean {
  const known = peerTrust.get(socket);
  if (known?.entries === entries) return known.trusted;
  const trusted = isTrusted(peer, entries);
  peerTrust.set(socket, { entries, trusted });
  return trusted;
}

/** IPv4 clients of a dual-stack socket show up as ::ffff:a.b.c.d. */
export function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export interface ClientAddress {
  ip: string | null;
  /** The nearest hop is a trusted proxy (so its X-Forwarded-Proto counts). */
  viaTrustedProxy: boolean;
}

/**
 * The client's address: walking X-Forwarded-For from the right (the entry the
 * nearest proxy added), past every trusted hop.
 */
export function clientAddress(req: IncomingMessage, trust: TrustProxy): ClientAddress {
  const peer = req.socket.remoteAddress ? unmapped(req.socket.remoteAddress) : null;
  if (trust === false || trust === 0) return { ip: peer, viaTrustedProxy: false };
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  // Nearest first: the socket's peer, then what each proxy says it saw.
  const hops = [peer ?? '', ...forwarded.reverse()];
  if (typeof trust === 'boolean' || typeof trust === 'number') {
    const count = trust === true ? 1 : trust;
    // Beyond the header's length, the farthest entry is the best there is.
    const ip = hops[Math.min(count, hops.length - 1)] || null;
    return { ip: ip ? unmapped(ip) : null, viaTrustedProxy: true };
  }
  if (!peer || !isTrustedPeer(req.socket, peer, trust)) return { ip: peer, viaTrustedProxy: false };
  let index = 0;
  while (index < hops.length - 1 && isTrusted(hops[index] ?? '', trust)) index++;
  const ip = hops[index];
  return { ip: ip ? unmapped(ip) : null, viaTrustedProxy: true };
}
