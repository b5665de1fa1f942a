// SvelteKit 3 takes its configuration here, through the Vite plugin (svelte.config.js
// is no longer read). The origin check on form posts (CSRF) is always on in
// SvelteKit 3; `csrf.trustedOrigins` stays empty.
import { createHash } from 'node:crypto';
import nodeAdapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

/**
 * The site's public origin, fixed at build time as adapter-node 6 and
 * SvelteKit 3 intend (`paths.origin`): `ORIGIN=https://example.com pnpm
 * --filter web build`. Without it, each request's origin comes from its Host
 * header and PROTOCOL_HEADER (HOST_HEADER) at run time, as set by the TLS
 * proxy in front; adapter-node takes https when that header is missing.
 */
const buildOrigin = process.env.ORIGIN?.trim() || undefined;

/**
 * The only inline `style` attributes the site has: app.html's wrapper and
 * SvelteKit's route announcer (its root component). Style attributes cannot
 * carry a nonce, so they are allowed by hash ('unsafe-hashes'), one by one,
 * instead of 'unsafe-inline'. If SvelteKit changes its announcer, the browser
 * tests that fail on any CSP violation say so.
 */
const inlineStyleAttributes = [
  'display: contents',
  'position: absolute; left: 0; top: 0; clip: rect(0 0 0 0); clip-path: inset(50%); overflow: hidden; white-space: nowrap; width: 1px; height: 1px',
];
const styleAttributeHashes = inlineStyleAttributes.map(
  (style) => `sha256-${createHash('sha256').update(style).digest('base64')}` as const,
);

export default defineConfig({
  plugins: [
    sveltekit({
      adapter: nodeAdapter({ out: 'build' }),
      paths: { origin: buildOrigin },
      csrf: { trustedOrigins: [] },
      // Content Security Policy. 'auto': SvelteKit adds a nonce (rendered pages)
      // or a hash (prerendered ones) for the inline scripts and <style>
      // elements it writes itself; nothing else inline runs. It is sent as a
      // header for rendered pages, so frame-ancestors (ignored in a <meta>
      // policy) applies too.
      csp: {
        mode: 'auto',
        directives: {
          'default-src': ['self'],
          'script-src': ['self'],
          'style-src': ['self'],
          'style-src-attr': ['unsafe-hashes', ...styleAttributeHashes],
          'img-src': ['self', 'data:'],
          'form-action': ['self'],
          'base-uri': ['self'],
          'object-src': ['none'],
          'frame-ancestors': ['none'],
        },
      },
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
