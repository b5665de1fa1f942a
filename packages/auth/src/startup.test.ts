// What a server process loads when it imports the package: not the libraries
// only rare requests need (they load on first use, see passkeys.ts and
// passwords.ts), so that an idle process stays small.
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

it('does not load the WebAuthn library or the strength dictionaries at import', () => {
  // A fresh process (this one may have loaded them) that records every package it resolves.
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        const result = next(specifier, context);
        // The package of a bare specifier ('lucia', '@simplewebauthn/server/helpers').
        const name = /^(?:@[^/]+\\/)?[^./][^/:]*/.exec(specifier)?.[0];
        if (name && !specifier.startsWith('node:')) loaded.add(name);
        return result;
      },
    });
    await import(${JSON.stringify(new URL('./index.ts', import.meta.url).href)});
    await import(${JSON.stringify(new URL('./adapters/trpc.ts', import.meta.url).href)});
    console.log(JSON.stringify([...loaded]));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  const loaded = JSON.parse(output.trim().split('\n').pop() ?? '[]') as string[];
  expect(loaded).toContain('lucia'); // the hook sees the package's imports
  expect(loaded.filter((name) => name.startsWith('@simplewebauthn/'))).toEqual([]);
  expect(loaded.filter((name) => name.startsWith('@zxcvbn-ts/'))).toEqual([]);
});
