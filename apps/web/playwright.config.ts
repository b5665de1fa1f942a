import { defineConfig } from '@playwright/test';

// Debian's Chromium (Playwright's own download is not available here).
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.e2e.ts',
  globalSetup: './e2e/support/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 5_000 },
  forbidOnly: !!process.env.CI,
  // The JSON report feeds script/test's closing summary line.
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  outputDir: 'test-results/artifacts',
  use: {
    // Set by the global setup (workers inherit it); the ports are free ones.
    baseURL: process.env.E2E_WEB_URL,
    // As the TLS proxy in front of a production site would: the site (built
    // without paths.origin) takes each request's protocol from it (e2e/support/stack.ts).
    extraHTTPHeaders: { 'x-forwarded-proto': 'http' },
    browserName: 'chromium',
    headless: true,
    actionTimeout: 5_000,
    navigationTimeout: 10_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
