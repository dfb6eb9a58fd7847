import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../../codec/data-converter';
import { provisionTemporal } from '../../dev/temporal-server';

/**
 * The workflow tests' world: a real Temporal dev server and the product's workflow bundle, nothing
 * else (their activities are typed stubs, so no database or stand-in runs).
 */
export default async function globalSetup(): Promise<void> {
  const temporal = await provisionTemporal({ log: (line) => console.log(`[temporal] ${line}`) });
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('WARN'),
  });
  const bundlePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'livechat-wf-bundle-')), 'workflows.js');
  fs.writeFileSync(bundlePath, code);
  process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.LIVECHAT_TEST_WORKFLOW_BUNDLE = bundlePath;
  const state = globalThis as unknown as { livechatTeardown?: () => Promise<void> };
  state.livechatTeardown = async () => {
    await temporal.stop();
    fs.rmSync(path.dirname(bundlePath), { recursive: true, force: true });
  };
}
