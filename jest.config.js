/**
 * Jest runs TypeScript through SWC (fast on small machines); `npm run typecheck` is the type gate.
 * Three projects: `unit` needs nothing running; `workflows` (the workflows with stub activities)
 * gets a real Temporal server of its own and nothing else; `integration` (with the browser tests, in Debian's
 * Chromium, and the fault suite's fast cases) gets a real Temporal server and a PostgreSQL database
 * of its own from its global setup. The fault suite's long cases run in `npm run test:faults`
 * (test/faults/jest.config.js), which runs the fast ones too.
 */
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
};

module.exports = {
  // Integration tests start a worker and wait on workflows: give them room on 2 cores.
  testTimeout: 120_000,
  reporters: ['default', '<rootDir>/test/faults/support/counts-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      // Workflows against a real Temporal server with stub activities: no database, no stand-ins.
      displayName: 'workflows',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/workflows/**/*.test.ts'],
      globalSetup: '<rootDir>/test/workflows/global-setup.ts',
      globalTeardown: '<rootDir>/test/workflows/global-teardown.ts',
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      // Browser tests need the same Temporal server and database: they run in this project.
      testMatch: [
        '<rootDir>/test/integration/**/*.test.ts',
        '<rootDir>/test/package/**/*.test.ts',
        '<rootDir>/test/browser/**/*.test.ts',
        '<rootDir>/test/faults/*.test.ts',
      ],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
