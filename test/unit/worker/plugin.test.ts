import { randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { EncryptionCodec } from '../../../codec/encryption-codec';
import { FAILURE_CONVERTER_PATH } from '../../../codec/data-converter';
import { createActivities } from '../../../activities';
import type { Db } from '../../../db/knex';
import { LiveChatPlugin } from '../../../worker/plugin';

const KEYS = `k1:${randomBytes(32).toString('base64')}`;

/** A codec of the designer's own (compression, say): the plugin must keep it, before ours. */
class TheirCodec implements PayloadCodec {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads;
  }
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads;
  }
}

const activities = createActivities({ db: {} as Db, channels: {} });
const connection = {} as NativeConnection;

describe('LiveChatPlugin', () => {
  test("adds our encryption codec after the client's own codecs and keeps its failure converter", () => {
    const theirs = new TheirCodec();
    const plugin = new LiveChatPlugin({ payloadKeys: KEYS, env: {} });
    const configured = plugin.configureClient({
      dataConverter: { payloadCodecs: [theirs], failureConverterPath: '/their/failure-converter.js' },
    });
    const codecs = configured.dataConverter?.payloadCodecs ?? [];
    expect(codecs).toHaveLength(2);
    expect(codecs[0]).toBe(theirs);
    expect(codecs[1]).toBeInstanceOf(EncryptionCodec);
    expect(configured.dataConverter?.failureConverterPath).toBe('/their/failure-converter.js');
  });

  test('with no converter of the caller: our codec and our failure converter (messages encrypted too)', () => {
    const configured = new LiveChatPlugin({ payloadKeys: KEYS, env: {} }).configureClient({});
    expect(configured.dataConverter?.payloadCodecs?.[0]).toBeInstanceOf(EncryptionCodec);
    expect(configured.dataConverter?.failureConverterPath).toBe(FAILURE_CONVERTER_PATH);
  });

  test('without keys it changes no converter', () => {
    const theirs = new TheirCodec();
    const configured = new LiveChatPlugin({ env: {} }).configureClient({
      dataConverter: { payloadCodecs: [theirs] },
    });
    expect(configured.dataConverter?.payloadCodecs).toEqual([theirs]);
  });

  test("registers our database steps beside the worker's own activities, not the dispatch step (it runs on the dispatch queues)", () => {
    const own = { chargeCard: async () => 'ok' };
    const configured = new LiveChatPlugin({ activities, env: {} }).configureWorker({
      connection,
      taskQueue: 'orders',
      activities: own,
    } as WorkerOptions);
    const names = Object.keys(configured.activities ?? {});
    expect(names).toEqual(expect.arrayContaining(['chargeCard', 'prepareMessage', 'planBulk']));
    expect(names).not.toContain('dispatchMessage');
  });

  test('Worker Versioning from the environment: the deployment and build id on the worker', () => {
    const configured = new LiveChatPlugin({
      activities,
      env: { LIVECHAT_DEPLOYMENT_NAME: 'livechat', LIVECHAT_BUILD_ID: '2026.12.04-1' },
    }).configureWorker({ connection, taskQueue: 'orders' } as WorkerOptions);
    expect(configured.workerDeploymentOptions).toEqual({
      useWorkerVersioning: true,
      version: { deploymentName: 'livechat', buildId: '2026.12.04-1' },
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    });
  });

  test('a build id without a deployment name is refused, naming both settings', () => {
    expect(() =>
      new LiveChatPlugin({ activities, env: { LIVECHAT_BUILD_ID: 'b1' } }).configureWorker({
        connection,
        taskQueue: 'orders',
      } as WorkerOptions),
    ).toThrow('LIVECHAT_DEPLOYMENT_NAME and LIVECHAT_BUILD_ID');
  });

  test('a worker without its own connection is refused: the dispatch workers share it', () => {
    expect(() =>
      new LiveChatPlugin({ activities, env: {} }).configureWorker({ taskQueue: 'orders' } as WorkerOptions),
    ).toThrow('NativeConnection.connect');
  });
});
