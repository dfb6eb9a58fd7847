import { extension } from 'mime-types';
import {
  InboundFileRefused,
  readBounded,
  type FetchedFile,
  type InboundFileFetcher,
  type InboundFileRef,
} from '../../inbound/inbound-files';

/** Twilio's media limit for WhatsApp (16 MB; MB read as 10⁶ bytes, as for outbound media). */
export const MAX_INBOUND_WHATSAPP_MEDIA_BYTES = 16 * 1_000_000;
/** Twilio's MediaUrl answers with a redirect to a short-lived signed URL: one hop, allow a few. */
const MAX_REDIRECTS = 3;
const TWILIO_API_ORIGIN = 'https://api.twilio.com';

export interface TwilioMediaOptions {
  accountSid: string;
  authToken: string;
  /** Another server speaking Twilio's API (the sandbox stand-in); unset, Twilio's own. */
  apiUrl?: string;
  /** One request's timeout. Default 10 s. */
  timeoutMs?: number;
  maxBytes?: number;
}

/** The media of an inbound message, from Twilio's webhook parameters (NumMedia, MediaUrlN, MediaContentTypeN). */
export function inboundMediaOf(params: Record<string, string | string[]>): InboundFileRef[] {
  const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  const count = Math.min(Number(first(params['NumMedia']) ?? '0') || 0, 10);
  const media: InboundFileRef[] = [];
  for (let i = 0; i < count; i++) {
    const url = first(params[`MediaUrl${i}`]);
    if (!url) continue;
    const contentType = first(params[`MediaContentType${i}`]);
    media.push({ source: url, ...(contentType ? { contentType } : {}) });
  }
  return media;
}

/**
 * Fetches a customer's media from Twilio. Twilio requires HTTP basic auth with the account SID and
 * auth token on MediaUrl (when media URL protection is on, as it is by default), then redirects to a
 * short-lived signed URL on its CDN. So: the credentials go only to the Twilio API origin, and only
 * for a URL of our own account (a MediaUrl elsewhere would be someone else's server asking for our
 * token); redirects are followed by hand, without the credentials to another origin, as Twilio's own
 * clients do. 404 (the media was deleted) and a file over the limit are final; 401, 429, 5xx and
 * network errors are retried.
 */
export function twilioMediaFetcher(options: TwilioMediaOptions): InboundFileFetcher {
  const apiOrigin = new URL(options.apiUrl ?? TWILIO_API_ORIGIN).origin;
  const accountPath = `/2010-04-01/Accounts/${options.accountSid}/`;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? MAX_INBOUND_WHATSAPP_MEDIA_BYTES;

  return async (file): Promise<FetchedFile> => {
    let url: URL;
    try {
      url = new URL(file.source);
    } catch {
      throw new InboundFileRefused('the MediaUrl is not a URL');
    }
    if (url.origin !== apiOrigin || !url.pathname.startsWith(accountPath)) {
      throw new InboundFileRefused("the MediaUrl is not one of our Twilio account's media URLs");
    }
    const signal = AbortSignal.timeout(timeoutMs);
    for (let hop = 0; ; hop++) {
      const sameOrigin = url.origin === apiOrigin;
      const response = await fetch(url, {
        redirect: 'manual',
        signal,
        headers: sameOrigin ? { authorization } : {},
      });
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        const location = response.headers.get('location');
        if (!location || hop >= MAX_REDIRECTS) throw new Error(`Twilio media: too many or empty redirects`);
        url = new URL(location, url);
        if (url.protocol !== 'https:' && url.protocol !== 'http:') {
          throw new InboundFileRefused('Twilio media redirected to a URL that is not http(s)');
        }
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        const what = `Twilio answered ${response.status} for the media`;
        if (response.status === 404 || response.status === 410) throw new InboundFileRefused(what);
        throw new Error(what);
      }
      const content = await readBounded(response, maxBytes, 'the WhatsApp media');
      const contentType =
        response.headers.get('content-type')?.split(';')[0]?.trim() ||
        file.content_type ||
        'application/octet-stream';
      return {
        content,
        contentType,
        filename: filenameOf(response.headers.get('content-disposition'), contentType, file.position),
      };
    }
  };
}

// eslint-disable-next-line no-control-regex
const UNSAFE_IN_NAME = /[/\\\u0000-\u001f]/g;

/** A name from Content-Disposition when the CDN gives one, else `whatsapp-<n>.<ext>`. */
function filenameOf(disposition: string | null, contentType: string, position: number): string {
  const named = disposition ? /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1] : undefined;
  const decoded = named ? safeDecode(named).replace(UNSAFE_IN_NAME, '_').slice(0, 255) : '';
  if (decoded.trim() !== '' && decoded !== '.' && decoded !== '..') return decoded;
  const ext = extension(contentType);
  return `whatsapp-${position + 1}${ext ? `.${ext}` : ''}`;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
