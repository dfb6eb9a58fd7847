/**
 * What the package gives workflow designers and the people who run workers. Workflow code imports
 * from `livechat-temporal/workflows` instead (it is bundled into Temporal's sandbox and must not pull
 * in activities or I/O).
 */
export * from './domain/types';
export * from './domain/errors';
export { createActivities, type Activities, type ActivityDeps } from './activities';
export { createWorkers, LiveChatWorkers, type WorkerOptions } from './worker/create-worker';
export type { ChannelAdapter, ChannelAdapters, OutboundMessage, SendOutcome } from './channels/adapter';
export { PermanentDeliveryError, TransientDeliveryError } from './channels/adapter';
export { createDb, migrateLatest, type Db } from './db/knex';
export { applyConfig, type LiveChatsConfig } from './db/apply-config';
export { liveChatDataConverter, FAILURE_CONVERTER_PATH } from './codec/data-converter';
export { EncryptionCodec } from './codec/encryption-codec';
