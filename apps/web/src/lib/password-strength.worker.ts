// Runs the password strength estimator off the main thread: parsing its
// dictionaries and building their rankings takes a few hundred milliseconds
// on the first check, which would otherwise freeze typing once. Vite bundles
// this file (with @authkit/auth/password-strength) as a separate script that
// the browser fetches only when the first check starts the worker.
import { accountUserInputs, passwordStrength } from '@authkit/auth/password-strength';

export interface StrengthRequest {
  id: number;
  password: string;
  username: string;
  email: string;
}

self.addEventListener('message', (event: MessageEvent<StrengthRequest>) => {
  const { id, password, username, email } = event.data;
  const result = passwordStrength(password, accountUserInputs(username, email));
  self.postMessage({ id, result });
});
