/** The Telegram bot: the adapter, reading updates, files through getFile, the webhook and long polling. */
export * from './adapter';
export * from './updates';
export * from './files';
export * from './inbound';
export * from './webhook';
export * from './polling';
