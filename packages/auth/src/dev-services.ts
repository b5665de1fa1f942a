// `turbo dev` task of this package: Mailpit (mail/serve-mailpit.ts) and the
// development identity provider (identity-providers/testing/serve.ts), each in
// its own process (either may decide it is not needed and exit).
import { spawn } from 'node:child_process';

const children = ['src/mail/serve-mailpit.ts', 'src/identity-providers/testing/serve.ts'].map((script) =>
  spawn(process.execPath, [script], { cwd: new URL('..', import.meta.url), stdio: 'inherit' }),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
  });
}
let left = children.length;
let failed = false;
for (const child of children) {
  child.on('exit', (code) => {
    if (code) failed = true;
    if (--left === 0) process.exit(failed ? 1 : 0);
  });
}
