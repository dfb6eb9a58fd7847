import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../codec/data-converter';
import { createDb, migrateLatest } from '../db/knex';
import { provisionTemporal } from '../dev/temporal-server';
import { createScratchDatabase } from '../dev/scratch-database';

/**
 * Once per `jest` run: a real Temporal server, a PostgreSQL database of the run's own (migrated),
 * and the workflow bundle built once. Test files find them through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const temporal = await provisionTemporal({ log: (line) => console.log(`[temporal] ${line}`) });
  const database = await createScratchDatabase('livechat_test');
  const db = createDb(database.url, { poolMax: 1 });
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../dev/workflows'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('WARN'),
  });
  const bundlePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'livechat-bundle-')), 'workflows.js');
  fs.writeFileSync(bundlePath, code);

  // The whole suite runs with payload encryption on, as a deployment should: a key of this run's own.
  process.env.LIVECHAT_PAYLOAD_KEYS = `test-${Date.now()}:${randomBytes(32).toString('base64')}`;
  process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.LIVECHAT_TEST_DATABASE_URL = database.url;
  process.env.LIVECHAT_TEST_DATABASE_POOL_MAX = String(database.poolMax);
  process.env.LIVECHAT_TEST_WORKFLOW_BUNDLE = bundlePath;
  const state = globalThis as unknown as { livechatTeardown?: () => Promise<void> };
  state.livechatTeardown = async () => {
    await temporal.stop();
    await database.drop();
    fs.rmSync(path.dirname(bundlePath), { recursive: true, force: true });
  };
}
