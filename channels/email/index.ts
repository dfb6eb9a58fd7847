/**
 * The email channel, in one place: the SMTP adapter (adapter.ts), reading inbound mail
 * (inbound.ts), the inbound-parse webhook (webhook.ts) and the IMAP reader (imap-reader.ts).
 */
export * from './adapter';
