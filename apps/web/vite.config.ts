// SvelteKit 3 takes its configuration here, through the Vite plugin (svelte.config.js
// is no longer read). The origin check on form posts (CSRF) is always on in
// SvelteKit 3; `csrf.trustedOrigins` stays empty.
import { readFileSync, writeFileSync } from 'node:fs';
import nodeAdapter from '@sveltejs/adapter-node';
import type { Adapter } from '@sveltejs/kit';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

/**
 * adapter-node 6 fixes the site's origin at build time (`paths.origin`) and no
 * longer reads ORIGIN. Our contract is `ORIGIN=https://example.com node build`,
 * so after the adapter has written its output, let the ORIGIN environment
 * variable (read when the server starts) override the build-time value. Without
 * it, the origin comes from the Host header with https, as adapter-node does.
 */
function nodeAdapterWithRuntimeOrigin(): Adapter {
  const base = nodeAdapter({ out: 'build' });
  return {
    ...base,
    async adapt(builder) {
      await base.adapt(builder);
      const file = 'build/adapter-node.js';
      const source = readFileSync(file, 'utf8');
      const pattern = /^export const origin = (.*);$/m;
      if (!pattern.test(source)) throw new Error(`${file}: no origin export to make configurable`);
      writeFileSync(
        file,
        source.replace(pattern, 'export const origin = process.env.ORIGIN || $1;'),
      );
    },
  };
}

export default defineConfig({
  plugins: [
    sveltekit({
      adapter: nodeAdapterWithRuntimeOrigin(),
      csrf: { trustedOrigins: [] },
    }),
  ],
  server: { host: '127.0.0.1' },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
