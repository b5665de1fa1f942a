// One flat config for the whole monorepo: TypeScript everywhere, Svelte in apps/web and packages/ui.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import noImportCycle from './eslint-rules/no-import-cycle.js';

export default ts.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/.svelte-kit/**',
      '**/build/**',
      '**/.tools/**',
      '**/.data/**',
      '**/test-results/**',
      '**/playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The auth package reads bottom-up (leaves, services, core, capabilities,
    // createAuth, adapters): no file may import, even a type, from above itself.
    files: ['packages/auth/**/*.ts'],
    plugins: { authkit: { rules: { 'no-import-cycle': noImportCycle } } },
    rules: { 'authkit/no-import-cycle': 'error' },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
  },
);
