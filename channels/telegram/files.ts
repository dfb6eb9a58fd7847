import { basename } from 'node:path';
import { Telegram, TelegramError } from 'telegraf';
import {
  InboundFileRefused,
  readBounded,
  type FetchedFile,
  type InboundFileFetcher,
} from '../../inbound/inbound-files';
import { withoutSecret } from './adapter';

/** The Bot API lets bots download files of up to 20 MB (getFile). */
export const MAX_INBOUND_TELEGRAM_FILE_BYTES = 20 * 1024 * 1024;

export interface TelegramFileOptions {
  botToken: string;
  /** Another server speaking the Bot API (the sandbox stand-in); unset, Telegram's own. */
  apiUrl?: string;
  /** One download's timeout. Default 15 s. */
  timeoutMs?: number;
  maxBytes?: number;
}

/**
 * Fetches a customer's file as the Bot API documents it: `getFile` with the file_id gives a
 * `file_path` (valid for an hour), downloaded from `<api root>/file/bot<token>/<file_path>`. The
 * download URL holds the token, so no error carries it: failures are described without it. A file
 * over 20 MB (Telegram says "file is too big") or a file_id Telegram does not know is final;
 * anything else (429, 5xx, the network) is retried with a new getFile.
 */
export function telegramFileFetcher(options: TelegramFileOptions): InboundFileFetcher {
  const telegram = new Telegram(options.botToken, { apiRoot: options.apiUrl ?? 'https://api.telegram.org' });
  const maxBytes = options.maxBytes ?? MAX_INBOUND_TELEGRAM_FILE_BYTES;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const safe = (text: string) => withoutSecret(text, options.botToken);

  return async (file): Promise<FetchedFile> => {
    const declared = file.declared_size === null ? undefined : Number(file.declared_size);
    if (declared !== undefined && declared > maxBytes) {
      throw new InboundFileRefused(
        `the Telegram file is ${declared} bytes; bots can download at most ${maxBytes}`,
      );
    }
    let link: URL;
    try {
      link = await telegram.getFileLink(file.source);
    } catch (error) {
      if (error instanceof TelegramError && error.code === 400) {
        throw new InboundFileRefused(`Telegram refused getFile: ${safe(error.description)}`);
      }
      const what = error instanceof TelegramError ? `${error.code} ${error.description}` : String(error);
      // eslint-disable-next-line preserve-caught-error -- its cause may hold the token
      throw new Error(`Telegram getFile failed: ${safe(what)}`);
    }
    if (link.protocol !== 'https:' && link.protocol !== 'http:') {
      throw new InboundFileRefused(
        'the Bot API server answered with a path on its own disk (a local server): it cannot be downloaded',
      );
    }
    let response: Response;
    try {
      response = await fetch(link, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      // The URL holds the token; the error names only its kind.
      // eslint-disable-next-line preserve-caught-error -- its cause holds the URL, and so the token
      throw new Error(`the Telegram file download failed (${error instanceof Error ? error.name : 'error'})`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`the Telegram file download answered ${response.status}`);
    }
    const content = await readBounded(response, maxBytes, 'the Telegram file');
    const contentType =
      file.content_type ??
      response.headers.get('content-type')?.split(';')[0]?.trim() ??
      'application/octet-stream';
    return { content, contentType, filename: file.filename ?? basename(link.pathname) };
  };
}
