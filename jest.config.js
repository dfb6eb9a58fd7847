/**
 * Jest runs TypeScript through SWC (fast on small machines); `npm run typecheck` is the type gate.
 * Two projects: `unit` needs nothing running; `integration` (with the browser tests, in Debian's
 * Chromium) gets a real Temporal server and a PostgreSQL database of its own from its global setup.
 */
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
};

module.exports = {
  // Integration tests start a worker and wait on workflows: give them room on 2 cores.
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      // Browser tests need the same Temporal server and database: they run in this project.
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/browser/**/*.test.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
