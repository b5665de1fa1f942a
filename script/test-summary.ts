// Adds up the JSON reports of vitest and Playwright written by this test run
// and prints one closing line: "tests: N passed, N failed, N skipped".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
let passed = 0;
let failed = 0;
let skipped = 0;

for (const group of ['apps', 'packages']) {
  for (const name of readdirSync(join(root, group))) {
    const vitest = join(root, group, name, 'test-results', 'vitest.json');
    if (existsSync(vitest)) {
      const report = JSON.parse(readFileSync(vitest, 'utf8'));
      passed += report.numPassedTests ?? 0;
      failed += report.numFailedTests ?? 0;
      skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    }
    const playwright = join(root, group, name, 'test-results', 'playwright.json');
    if (existsSync(playwright)) {
      const stats = JSON.parse(readFileSync(playwright, 'utf8')).stats ?? {};
      passed += (stats.expected ?? 0) + (stats.flaky ?? 0);
      failed += stats.unexpected ?? 0;
      skipped += stats.skipped ?? 0;
    }
  }
}

console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
