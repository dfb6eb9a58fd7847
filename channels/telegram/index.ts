/** The Telegram bot: the adapter, reading updates, the webhook and long polling. */
export * from './adapter';
export * from './webhook';
export * from './polling';
