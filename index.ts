/**
 * livechat-temporal for the worker side: the Temporal plugin, the activities and the worker
 * helpers, the provider adapters, the configuration loaders, the database tools and the types.
 * Workflow code imports from `livechat-temporal/workflows` (bundle-safe); callers that start the
 * processes and read the history import from `livechat-temporal/client`.
 */
export * from './domain/types';
export * from './domain/errors';
export { LiveChatPlugin, LiveChatWorkflowsMissing, LIVECHAT_WORKFLOW_TYPES } from './worker/plugin';
export type { LiveChatPluginOptions } from './worker/plugin';
export { createActivities, type Activities, type ActivityDeps } from './activities';
export {
  createWorkers,
  createWorkflowWorker,
  createDispatchWorkers,
  LiveChatWorkers,
  type WorkerOptions,
} from './worker/create-worker';
export { dispatchTaskQueue } from './domain/task-queues';
export { createChannelAdapters, type ConfiguredChannels } from './channels';
export type { ChannelAdapter, ChannelAdapters, OutboundMessage, SendOutcome } from './channels/adapter';
export { PermanentDeliveryError, TransientDeliveryError } from './channels/adapter';
export { loadConfig, ConfigError, type Config } from './config/environment';
export { loadProviderConfig, type ProviderConfig } from './config/providers';
export { temporalConnectionOptions, type TemporalConnectionSettings } from './config/temporal-connection';
export { createDb, migrateLatest, type Db } from './db/knex';
export { applyConfig, type LiveChatsConfig } from './db/apply-config';
export { liveChatDataConverter, FAILURE_CONVERTER_PATH } from './codec/data-converter';
export { EncryptionCodec } from './codec/encryption-codec';
