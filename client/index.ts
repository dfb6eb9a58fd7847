// Typed client functions for workflow designers, administrators and tools (the `livechat` CLI).
export type { StartOptions } from './start-options';
export { sendLiveChatMessage, startSendLiveChatMessage } from './send-live-chat-message';
export { sendWithFallback } from './send-with-fallback';
export { sendOrSchedule, sendState, cancelScheduledSend } from './scheduled-send';
export type { SendState } from './scheduled-send';
export { startBulkNotify, bulkResult, bulkProgress, pauseBulk, resumeBulk, cancelBulk } from './bulk-notify';
export { initiateSession, startInitiateSession } from './initiate-session';
export {
  getHistory,
  getContactHistory,
  getAccountHistory,
  formatHistory,
  formatContactHistory,
  formatAccountHistory,
} from './history';
export type { SessionHistory, ContactHistory, AccountHistory } from './history';
export { describeWorkflowFailure, describeFailure, applicationFailureOf } from './failure';
export type { FailureReport, DescribedFailure } from './failure';
export { applyConfigFile, summariseConfig } from './config-file';
export type { ConfigSummary } from './config-file';
export { getSessionSummary } from './session-summary';
export type { SessionSummary } from './session-summary';
