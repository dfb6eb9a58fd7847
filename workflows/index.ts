// What the worker bundles and what workflow designers import.
export { sendLiveChatMessage } from './send-live-chat-message';
export { sendWithFallback } from './send-with-fallback';
export { initiateSession } from './initiate-session';
export { operatorReply } from './operator-reply';
export { notifyCustomer } from './notify-customer';
export { bulkNotify } from './bulk-notify';
export { sendStateQuery, cancelScheduledSendUpdate } from './scheduled-send';
export {
  bulkProgressQuery,
  pauseBulkUpdate,
  resumeBulkUpdate,
  cancelBulkUpdate,
} from './bulk-notify-messages';
// What a designer's workflow needs beside them, all bundle-safe (no Node, no I/O): the refusal of a
// step by its type, the error types, and the inputs' and results' types.
export { refusalOf, type Refusal } from './refusal-of';
export {
  LiveChatError,
  NON_RETRYABLE_ERROR_TYPES,
  type LiveChatErrorType,
  type ErrorDetails,
} from '../domain/errors';
export type * from '../domain/types';
