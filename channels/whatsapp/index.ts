/** WhatsApp through Twilio: the adapter, the webhooks (inbound messages, status callbacks) and inbound media. */
export * from './adapter';
export * from './webhooks';
export * from './media';
