import type { ChannelAdapter } from './adapter';

/**
 * The website widget (`livechat`). There is no outside provider: the visitor's widget reads the
 * session's messages from our own server, so a message is delivered by being stored, which
 * prepareMessage already did. The widget never starts a session (the channel table says so); an
 * answer goes into the open session the visitor started.
 */
export function createLiveChatWidgetAdapter(): ChannelAdapter {
  return {
    send: async (message) => ({ providerMessageId: `widget:${message.messageId}` }),
  };
}
