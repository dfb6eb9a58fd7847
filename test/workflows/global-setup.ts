import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { provisionTemporal } from '../../dev/temporal-server';

/**
 * Once per `jest` run of the workflow tests: a real Temporal dev server and the product's workflow
 * bundle (workflows/index.ts, what the worker ships), and nothing else: these tests stub every
 * activity, so they need no database and no provider stand-in.
 */
export default async function globalSetup(): Promise<void> {
  const temporal = await provisionTemporal({ log: (line) => console.log(`[temporal] ${line}`) });
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const bundlePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'livechat-wf-bundle-')), 'workflows.js');
  fs.writeFileSync(bundlePath, code);
  process.env.LIVECHAT_WF_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.LIVECHAT_WF_TEST_WORKFLOW_BUNDLE = bundlePath;
  const state = globalThis as unknown as { livechatWorkflowTeardown?: () => Promise<void> };
  state.livechatWorkflowTeardown = async () => {
    await temporal.stop();
    fs.rmSync(path.dirname(bundlePath), { recursive: true, force: true });
  };
}
