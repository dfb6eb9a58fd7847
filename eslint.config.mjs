import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What ships never imports what does not: stand-ins, local stack, demo, benchmark and tests. */
const DEV_ONLY = {
  group: [
    '**/dev',
    '**/dev/*',
    '**/bench/*',
    '**/test/*',
    '@electric-sql/*',
    'smtp-server',
    'tsx',
    '@temporalio/testing',
  ],
  message: 'Shipped code must not import dev-only code (dev/, bench/, test/) or dev-only packages.',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'coverage/',
      '.cache/',
      'test/artifacts/',
      // Plain JavaScript is tooling (jest's config and reporter); the page's modules are linted below.
      '**/*.js',
      '!server/web/**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The operators' page: ES modules in the browser, type-checked by server/web/tsconfig.json
    // (which also catches undefined names, so no list of browser globals is kept here).
    files: ['server/web/**/*.js'],
    languageOptions: { sourceType: 'module', ecmaVersion: 2022 },
    rules: {
      'no-undef': 'off',
      eqeqeq: ['error', 'always'],
      'no-restricted-syntax': [
        'error',
        {
          selector: "AssignmentExpression[left.property.name='innerHTML']",
          message: 'Put text into the page with textContent: nothing a customer writes may become markup.',
        },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: [
      'index.ts',
      '{activities,channels,cli,client,codec,config,db,domain,inbound,infra,server,worker}/**/*.ts',
    ],
    rules: { 'no-restricted-imports': ['error', { patterns: [DEV_ONLY] }] },
  },
  {
    // Workflows run in Temporal's deterministic sandbox: no I/O and no Node built-ins.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            DEV_ONLY,
            {
              group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'net', 'child_process'],
              message: 'Workflows must stay deterministic: do I/O in activities.',
            },
            {
              group: [
                '../activities',
                '../activities/*',
                '../../activities/*',
                '../db/*',
                '../infra/*',
                '../config/*',
                '../channels/*',
              ],
              message: 'Workflows import activities as types only.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
