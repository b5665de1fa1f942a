// The approximate location of a session's address, shown on /account only
// where the operator supplies a lookup: IP_LOCATION_MODULE names an ES module
// whose default export takes an address and answers a short text ("Lisbon,
// Portugal") or null. Off by default: no lookup, no network, no database.
import { pathToFileURL } from 'node:url';
import { getConfig } from './config.ts';

export type LocateAddress = (
  ip: string,
) => string | null | undefined | Promise<string | null | undefined>;

/** A lookup slower than this shows no location (the page does not wait for it). */
export const LOOKUP_TIMEOUT_MS = 500;
/** Longer answers are cut: a location is a place name, not a paragraph. */
const MAX_LENGTH = 80;

/** The operator's lookup from the module at `path` (absolute), or null without one. */
export async function loadLocator(path: string | undefined): Promise<LocateAddress | null> {
  if (!path) return null;
  const module = (await import(/* @vite-ignore */ pathToFileURL(path).href)) as {
    default?: unknown;
  };
  if (typeof module.default !== 'function') {
    throw new Error(
      'IP_LOCATION_MODULE must export a default function: (ip) => a place name or null',
    );
  }
  return module.default as LocateAddress;
}

let loaded: Promise<LocateAddress | null> | undefined;

/** The configured lookup (loaded once), or null. A module that fails to load is reported once and left off. */
export function configuredLocator(): Promise<LocateAddress | null> {
  loaded ??= loadLocator(getConfig().ipLocationModule).catch((error: unknown) => {
    console.error('IP_LOCATION_MODULE could not be loaded; no locations are shown:', error);
    return null;
  });
  return loaded;
}

/**
 * The location of each distinct address (looked up once each, at the same
 * time). An address the lookup does not know, answers slowly for, or throws on
 * has none: the page never fails for a location.
 */
export async function locateAll(
  ips: readonly string[],
  locate: LocateAddress | null,
  timeoutMs = LOOKUP_TIMEOUT_MS,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (!locate) return found;
  const distinct = [...new Set(ips.filter((ip) => ip !== ''))];
  await Promise.all(
    distinct.map(async (ip) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), timeoutMs);
      });
      try {
        const answer = await Promise.race([Promise.resolve().then(() => locate(ip)), late]);
        const text = typeof answer === 'string' ? answer.trim().slice(0, MAX_LENGTH) : '';
        if (text) found.set(ip, text);
      } catch {
        // An unknown or failing lookup: no location for this address.
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return found;
}
