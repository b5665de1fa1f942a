import { getConfig } from '#lib/server/config.ts';
import type { PageServerLoad } from './$types';

export interface ApiHealth {
  reachable: boolean;
  status: string;
  database: string | null;
}

/** The API's /health, with a short deadline so the home page never hangs on it. */
async function apiHealth(fetchImpl: typeof fetch): Promise<ApiHealth> {
  try {
    const response = await fetchImpl(`${getConfig().apiUrl}/health`, {
      signal: AbortSignal.timeout(1_500),
    });
    const body: unknown = await response.json().catch(() => null);
    const fields =
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const database =
      typeof fields.database === 'string'
        ? fields.database
        : typeof fields.db === 'string'
          ? fields.db
          : null;
    const status =
      typeof fields.status === 'string'
        ? fields.status
        : response.ok
          ? 'ok'
          : `HTTP ${response.status}`;
    return { reachable: true, status, database };
  } catch {
    return { reachable: false, status: 'unreachable', database: null };
  }
}

export const load: PageServerLoad = async () => {
  // The global fetch: the API is a separate service, not a route of this site.
  return { health: await apiHealth(fetch) };
};
