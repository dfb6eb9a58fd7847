/**
 * The cluster tests (test/cluster/): run by `npm run test:cluster` against a full Temporal server,
 * or with `npx jest -c test/cluster/jest.config.js` against whatever TEMPORAL_ADDRESS names (else
 * a dev server, like the integration tests). Same transform and global setup as the integration
 * project (a PostgreSQL database of the run's own, the workflow bundle built once); not part of
 * `npm test`, since they start worker processes and wait out a killed one's 30 s dispatch leases.
 */
const path = require('node:path');
const base = require('../../jest.config.js');

const integration = base.projects.find((project) => project.displayName === 'integration');

module.exports = {
  rootDir: path.join(__dirname, '..', '..'),
  testTimeout: 360_000,
  displayName: 'cluster',
  testEnvironment: 'node',
  transform: integration.transform,
  testMatch: ['<rootDir>/test/cluster/**/*.test.ts'],
  globalSetup: integration.globalSetup,
  globalTeardown: integration.globalTeardown,
};
