// The strength check behind the password hint (PasswordField's `strength`):
// the server's own rules from @authkit/auth/password-strength, loaded only on
// the first check, so pages that take no new password never pay for the
// estimator and its dictionaries (about 1.7 MB, 850 kB compressed). It runs
// in a Web Worker (password-strength.worker.ts), so building the dictionaries
// does not freeze typing; where workers are unavailable, a dynamic import on
// the main thread does the same. Browser-safe: no Argon2, no eval.
import type { StrengthCheck, StrengthResult } from '@authkit/ui';
import type { StrengthRequest } from './password-strength.worker.ts';

interface Pending {
  request: StrengthRequest;
  resolve: (result: StrengthResult) => void;
  reject: (error: unknown) => void;
}

let worker: Worker | undefined;
/** The worker could not start (e.g. its script failed to load): use the main thread. */
let workerFailed = false;
let nextId = 0;
const pending = new Map<number, Pending>();

function fallBackToMainThread(): void {
  workerFailed = true;
  worker?.terminate();
  worker = undefined;
  for (const { request, resolve, reject } of pending.values()) {
    checkOnMainThread(request).then(resolve, reject);
  }
  pending.clear();
}

function startWorker(): Worker {
  const started = new Worker(new URL('./password-strength.worker.ts', import.meta.url), {
    type: 'module',
    name: 'password-strength',
  });
  started.addEventListener(
    'message',
    (event: MessageEvent<{ id: number; result: StrengthResult }>) => {
      const { id, result } = event.data;
      pending.get(id)?.resolve(result);
      pending.delete(id);
    },
  );
  started.addEventListener('error', (event) => {
    event.preventDefault();
    fallBackToMainThread();
  });
  return started;
}

let module: Promise<typeof import('@authkit/auth/password-strength')> | undefined;

async function checkOnMainThread(request: StrengthRequest): Promise<StrengthResult> {
  module ??= import('@authkit/auth/password-strength').catch((error: unknown) => {
    module = undefined;
    throw error;
  });
  const { accountUserInputs, passwordStrength } = await module;
  return passwordStrength(request.password, accountUserInputs(request.username, request.email));
}

export const checkPasswordStrength: StrengthCheck = (password, { username, email }) => {
  const request: StrengthRequest = { id: ++nextId, password, username, email };
  if (workerFailed || typeof Worker === 'undefined') return checkOnMainThread(request);
  worker ??= startWorker();
  const running = worker;
  return new Promise<StrengthResult>((resolve, reject) => {
    pending.set(request.id, { request, resolve, reject });
    running.postMessage(request);
  });
};

/**
 * The server's strength rule on a form's new-password `field`, run by the
 * browser at submit (authForm's `submitCheck`): a password the server would
 * refuse as too easy to guess gets the server's message together with the
 * other fields' messages, in one round. The server checks it again (auth's
 * checkNewPassword); when the estimator cannot run here, or not within
 * SUBMIT_CHECK_MS, the server decides.
 */
/** How long a submit waits for the strength estimator before leaving the check to the server. */
const SUBMIT_CHECK_MS = 2_000;

export function strengthAtSubmit(
  field: string,
  account: (values: Record<string, unknown>) => { username: string; email: string },
): (values: Record<string, unknown>) => Promise<Record<string, string[]>> {
  return async (values) => {
    const password = values[field];
    if (typeof password !== 'string' || password === '') return {};
    // The estimator may still be downloading (1.7 MB) on a slow connection:
    // the submit does not wait for it longer than this, and the server decides.
    const tooSlow = new Promise<null>((resolve) =>
      setTimeout(() => resolve(null), SUBMIT_CHECK_MS),
    );
    try {
      const result = await Promise.race([
        checkPasswordStrength(password, account(values)),
        tooSlow,
      ]);
      return result && !result.acceptable && result.message ? { [field]: [result.message] } : {};
    } catch {
      return {};
    }
  };
}
