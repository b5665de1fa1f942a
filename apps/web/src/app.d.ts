// See https://svelte.dev/docs/kit/types#app.d.ts
import type { AuthenticatedUser, SessionEndReason, SessionInfo } from '@authkit/auth';
import type { Refusal } from '#lib/refusal.ts';

declare global {
  namespace App {
    interface Locals {
      /** The signed-in user (filled by hooks.server.ts), or null when anonymous. */
      user: AuthenticatedUser | null;
      /** The current session, or null when anonymous. */
      session: SessionInfo | null;
      /** Why the session of the cookie this browser sent ended lately (it is told once). */
      endedReason?: SessionEndReason | null;
    }
    namespace Superforms {
      /** A superforms form's refusal (see #lib/refusal.ts; its field messages are `form.errors`). */
      type Message = Refusal;
    }
  }
}

export {};
