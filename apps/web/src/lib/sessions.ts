// The account page's list of sessions: order and the names of their sign-out buttons.
import { describeUserAgent } from './format.ts';

export interface ListedSession {
  id: string | null;
  current: boolean;
  userAgent: string;
  ip: string;
  createdAt: Date | string;
  lastSeenAt: Date | string;
  remember: boolean;
  /** Approximate, where the operator supplies a lookup (IP_LOCATION_MODULE); otherwise null. */
  location?: string | null;
}

const time = (value: Date | string) => new Date(value).getTime();

/** This device first, then the most recently active; ties: the most recent sign-in first. */
export function orderSessions<T extends ListedSession>(sessions: readonly T[]): T[] {
  return [...sessions].sort(
    (a, b) =>
      Number(b.current) - Number(a.current) ||
      time(b.lastSeenAt) - time(a.lastSeenAt) ||
      time(b.createdAt) - time(a.createdAt),
  );
}

/**
 * The accessible name of each session's "Sign out" button, unique within the
 * list: "Sign out Firefox 140 on Windows, signed in <when>", then the address,
 * then a number where two sessions would still read the same.
 * `when` formats the sign-in time (absolute: relative times collide more often).
 */
export function signOutLabels(
  sessions: readonly ListedSession[],
  when: (value: Date | string) => string,
): string[] {
  const count = (labels: string[], label: string) =>
    labels.filter((other) => other === label).length;
  const base = sessions.map(
    (session) =>
      `Sign out ${describeUserAgent(session.userAgent)}, signed in ${when(session.createdAt)}`,
  );
  const withAddress = sessions.map((session, i) => {
    const label = base[i] ?? '';
    return count(base, label) > 1 && session.ip ? `${label}, from ${session.ip}` : label;
  });
  const seen = new Map<string, number>();
  return withAddress.map((label) => {
    if (count(withAddress, label) === 1) return label;
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    return `${label} (${n})`;
  });
}
