import { defineConfig } from 'vitest/config';

/**
 * The vitest settings every package that talks to the test database shares:
 * one embedded database per run (the global setup), timeouts that allow for
 * Argon2 on two cores, and the JSON report script/test's closing line reads.
 */
export function databaseTestConfig(globalSetup = '@authkit/db/testing-global-setup') {
  return defineConfig({
    test: {
      globalSetup: [globalSetup],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results/vitest.json' },
    },
  });
}
