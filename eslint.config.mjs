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
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.cache/', 'test/artifacts/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
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
