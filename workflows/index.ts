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
