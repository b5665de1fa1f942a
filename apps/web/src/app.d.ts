// See https://svelte.dev/docs/kit/types#app.d.ts
import type { AuthenticatedUser, SessionInfo } from '@authkit/auth';

declare global {
  namespace App {
    interface Locals {
      /** The signed-in user (filled by hooks.server.ts), or null when anonymous. */
      user: AuthenticatedUser | null;
      /** The current session, or null when anonymous. */
      session: SessionInfo | null;
    }
  }
}

export {};
