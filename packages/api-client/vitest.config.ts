import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['@authkit/db/testing-global-setup'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The JSON report feeds script/test's closing summary line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
