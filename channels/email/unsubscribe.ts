import { createHmac } from 'node:crypto';
import { sameSecret } from '../../infra/secret-check';

/**
 * One-click unsubscribe (RFC 8058) for the mail a process sends: the `List-Unsubscribe` header
 * carries a mailto (the channel's own address, subject "unsubscribe") and an HTTPS URL of our
 * server that names the message and is signed with the consent key (HMAC-SHA-256), so nobody can
 * make one for another message or account; `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
 * tells the mail provider to POST to it.
 */
export interface UnsubscribeLinks {
  /**
   * The public base URL of the server that serves `/unsubscribe/:token` (WEBHOOK_BASE_URL); a
   * function when it is known only once that server listens (tests).
   */
  baseUrl: string | (() => string);
  key: Buffer;
}

/** The subject of the mailto: an inbound mail with it (or an opt-out keyword) opts its sender out. */
export const UNSUBSCRIBE_SUBJECT = 'unsubscribe';

const signature = (key: Buffer, messageId: string): string =>
  createHmac('sha256', key).update(`unsubscribe:${messageId}`).digest('base64url');

/** The token of a message's one-click URL: its id and the signature of it. */
export function unsubscribeToken(key: Buffer, messageId: string): string {
  return `${messageId}.${signature(key, messageId)}`;
}

/** The message id a token names, when its signature holds; undefined for a forged or altered one. */
export function verifyUnsubscribeToken(key: Buffer, token: string): string | undefined {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const messageId = token.slice(0, dot);
  if (!/^[0-9a-f-]{36}$/.test(messageId)) return undefined;
  return sameSecret(token.slice(dot + 1), signature(key, messageId)) ? messageId : undefined;
}

/** The two headers for one message. */
export function unsubscribeHeaders(
  links: UnsubscribeLinks,
  messageId: string,
  senderAddress: string,
): Record<string, string> {
  const base = typeof links.baseUrl === 'function' ? links.baseUrl() : links.baseUrl;
  const url = `${base.replace(/\/+$/, '')}/unsubscribe/${unsubscribeToken(links.key, messageId)}`;
  return {
    'List-Unsubscribe': `<mailto:${senderAddress}?subject=${UNSUBSCRIBE_SUBJECT}>, <${url}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}
