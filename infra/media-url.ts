import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed URLs for a message's stored files, for providers that fetch media from a public URL
 * (Twilio's MediaUrl). A URL names the message and the file's position and carries an expiry and an
 * HMAC-SHA256 of the three, keyed with MEDIA_URL_SECRET: unguessable, unalterable, and of no use
 * after it expires. The worker signs, the server (`server/media.ts`) checks; both know the secret.
 */
export const MEDIA_URL_PATH = '/media';
/** Long enough for a provider that queues a message for hours before fetching its media. */
export const MEDIA_URL_TTL_SECONDS = 24 * 60 * 60;

export interface MediaRef {
  messageId: string;
  position: number;
}

function signature(secret: string, ref: MediaRef, expires: number): string {
  return createHmac('sha256', secret)
    .update(`livechat-media:v1:${ref.messageId}:${ref.position}:${expires}`)
    .digest('base64url');
}

/** `<base>/media/<messageId>/<position>?expires=<unix seconds>&signature=<hmac>`. */
export function signMediaUrl(
  options: { baseUrl: string; secret: string; now: Date; ttlSeconds?: number },
  ref: MediaRef,
): string {
  const expires = Math.floor(options.now.getTime() / 1000) + (options.ttlSeconds ?? MEDIA_URL_TTL_SECONDS);
  const base = options.baseUrl.replace(/\/+$/, '');
  const path = `${MEDIA_URL_PATH}/${encodeURIComponent(ref.messageId)}/${ref.position}`;
  return `${base}${path}?expires=${expires}&signature=${signature(options.secret, ref, expires)}`;
}

export type MediaUrlCheck = { ok: true } | { ok: false; reason: 'malformed' | 'expired' | 'bad-signature' };

/** Checks the parts of a media URL as the server received them. */
export function verifyMediaUrl(
  secret: string,
  ref: MediaRef,
  query: { expires?: unknown; signature?: unknown },
  now: Date,
): MediaUrlCheck {
  const expires =
    typeof query.expires === 'string' && /^\d{1,12}$/.test(query.expires) ? Number(query.expires) : NaN;
  const given = typeof query.signature === 'string' ? query.signature : '';
  if (!Number.isSafeInteger(expires) || given === '' || !Number.isInteger(ref.position) || ref.position < 0) {
    return { ok: false, reason: 'malformed' };
  }
  const expected = Buffer.from(signature(secret, ref, expires));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, reason: 'bad-signature' };
  }
  if (expires * 1000 < now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true };
}
