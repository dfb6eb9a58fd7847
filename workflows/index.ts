// What the worker bundles and what workflow designers import.
export { sendLiveChatMessage } from './send-live-chat-message';
