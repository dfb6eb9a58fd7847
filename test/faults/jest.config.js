// `npm run test:faults`: every case of the fault suite, the long ones (test/faults/long/) too, on
// the same real Temporal server and PostgreSQL as the integration tests, then the table of counts.
const path = require('node:path');
const root = require('../../jest.config.js');

const rootDir = path.join(__dirname, '..', '..');

const integration = root.projects.find((project) => project.displayName === 'integration');

module.exports = {
  rootDir,
  testTimeout: 600_000,
  reporters: root.reporters,
  projects: [
    { ...integration, rootDir, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.test.ts'] },
  ],
};
