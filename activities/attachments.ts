import { createHash } from 'node:crypto';
import { lookup } from 'mime-types';
import type { StoredFile } from '../db/attachments';
import {
  ATTACHMENT_FETCH_TIMEOUT_MS,
  checkChannelLimits,
  checkAttachmentCount,
  maxFetchBytes,
  mediaTypeEssence,
  ATTACHMENT_LIMITS,
} from '../domain/attachments';
import { AttachmentTooLarge, AttachmentUnavailable } from '../domain/errors';
import type { AttachmentInput, ChannelKind } from '../domain/types';
import { hostAllowed, type HostAllowList } from '../infra/url-hosts';

/** Redirects followed for a file given by URL, each to an allowed host too. */
const MAX_REDIRECTS = 5;

/** How files given by URL may be fetched. */
export interface FetchPolicy {
  /** Hosts files may be fetched from (`ATTACHMENT_URL_HOSTS`); none: files by URL are refused. */
  allowedHosts: HostAllowList;
  /**
   * This is the step's last attempt allowed for a server that keeps failing (down, 5xx, 429): its
   * failure then refuses the message (`AttachmentUnavailable`) instead of waiting for ever.
   */
  lastAttempt?: { attempt: number } | undefined;
}

const OCTET_STREAM = 'application/octet-stream';

/** The media type a file is sent as: the one given, else the server's, else its name's, else bytes. */
function contentTypeOf(filename: string, given?: string, served?: string | null): string {
  if (given) return given;
  const header = served ? mediaTypeEssence(served) : '';
  if (header && header !== OCTET_STREAM) return header;
  return lookup(filename) || OCTET_STREAM;
}

const sha256 = (content: Buffer): string => createHash('sha256').update(content).digest('hex');

/**
 * The message's files as bytes, checked against the channel's limits: inline content decoded,
 * URLs fetched (each stopped as soon as it is larger than the channel takes). Refusals are typed
 * domain errors; a server that is down or slow is a plain error, retried with the step.
 */
export async function resolveAttachments(
  attachments: readonly AttachmentInput[],
  channelKind: ChannelKind,
  policy: FetchPolicy = { allowedHosts: [] },
): Promise<StoredFile[]> {
  if (attachments.length === 0) return [];
  checkAttachmentCount(attachments.length, channelKind);
  const files: StoredFile[] = [];
  for (const attachment of attachments) {
    if (attachment.content !== undefined) {
      const content = Buffer.from(attachment.content, 'base64');
      files.push({
        filename: attachment.filename,
        contentType: contentTypeOf(attachment.filename, attachment.contentType),
        sha256: sha256(content),
        content,
      });
    } else {
      files.push(await fetchAttachment(attachment, channelKind, policy));
    }
  }
  checkChannelLimits(
    files.map((f) => ({ filename: f.filename, contentType: f.contentType, size: f.content.length })),
    channelKind,
  );
  return files;
}

/** The last segment of the URL's path, when it is a usable file name. */
function filenameFromUrl(url: URL): string {
  const last = url.pathname
    .split('/')
    .filter((part) => part !== '')
    .at(-1);
  let name: string;
  try {
    name = last ? decodeURIComponent(last) : '';
  } catch {
    name = last ?? '';
  }
  // eslint-disable-next-line no-control-regex
  const usable = name !== '' && name.length <= 255 && !/[\u0000-\u001f\u007f-\u009f/\\]/.test(name);
  return usable && name !== '.' && name !== '..' ? name : 'attachment';
}

async function fetchAttachment(
  attachment: Extract<AttachmentInput, { url: string }>,
  channelKind: ChannelKind,
  policy: FetchPolicy,
): Promise<StoredFile> {
  const url = new URL(attachment.url);
  const filename = attachment.filename ?? filenameFromUrl(url);
  const limit = maxFetchBytes(channelKind);
  const tooLarge = (size: number) =>
    new AttachmentTooLarge({
      filename,
      size,
      limit,
      scope: 'file',
      limitLabel: ATTACHMENT_LIMITS[channelKind].label(limit),
      channelKind,
    });
  let response: Response;
  try {
    response = await fetchFromAllowedHosts(attachment.url, url, policy.allowedHosts);
  } catch (error) {
    throw error instanceof AttachmentUnavailable ? error : retryOrGiveUp(attachment.url, policy, error);
  }
  if (response.status === 429 || response.status >= 500) {
    await response.body?.cancel();
    throw retryOrGiveUp(
      attachment.url,
      policy,
      new Error(`the server of attachment ${url.origin}${url.pathname} answered ${response.status}`),
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new AttachmentUnavailable({
      url: attachment.url,
      reason: `the server answered ${response.status} ${response.statusText}`.trim(),
      status: response.status,
    });
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    throw tooLarge(declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      if (size > limit) throw tooLarge(size);
      chunks.push(Buffer.from(chunk));
    }
  } catch (error) {
    if (error instanceof AttachmentTooLarge) {
      await response.body?.cancel().catch(() => undefined);
      throw error;
    }
    throw retryOrGiveUp(
      attachment.url,
      policy,
      new Error(`reading the attachment at ${url.origin}${url.pathname} failed: ${describe(error)}`, {
        cause: error,
      }),
    );
  }
  const content = Buffer.concat(chunks);
  if (content.length === 0)
    throw new AttachmentUnavailable({ url: attachment.url, reason: 'the file is empty' });
  return {
    filename,
    contentType: contentTypeOf(filename, attachment.contentType, response.headers.get('content-type')),
    sha256: sha256(content),
    content,
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: unknown } }).cause;
    return typeof cause?.code === 'string' ? `${error.message} (${cause.code})` : error.message;
  }
  return String(error);
}

/** GET, following redirects by hand so that every hop is to an allowed host. */
async function fetchFromAllowedHosts(
  given: string,
  first: URL,
  allowedHosts: HostAllowList,
): Promise<Response> {
  const signal = AbortSignal.timeout(ATTACHMENT_FETCH_TIMEOUT_MS);
  let url = first;
  for (let hop = 0; ; hop++) {
    if (!hostAllowed(allowedHosts, url)) {
      throw new AttachmentUnavailable({
        url: given,
        reason:
          allowedHosts.length === 0
            ? 'this worker fetches no files by URL (ATTACHMENT_URL_HOSTS is not set); send the file inline'
            : `this worker fetches files only from the hosts ATTACHMENT_URL_HOSTS names, and ${url.hostname} is not one`,
      });
    }
    let response: Response;
    try {
      response = await fetch(url, { redirect: 'manual', signal });
    } catch (error) {
      // Down, unreachable or slow: maybe not for long; the step is retried.
      throw new Error(`could not fetch the attachment at ${url.origin}${url.pathname}: ${describe(error)}`, {
        cause: error,
      });
    }
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return response;
    await response.body?.cancel();
    if (hop >= MAX_REDIRECTS)
      throw new AttachmentUnavailable({ url: given, reason: `more than ${MAX_REDIRECTS} redirects` });
    url = new URL(location, url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new AttachmentUnavailable({
        url: given,
        reason: `a redirect to ${url.protocol} is not followed`,
      });
  }
}

/**
 * What to throw for a server that is down, slow or failing: the error itself, which the step's
 * retries may cure; on the last attempt the policy allows, a refusal of the message instead.
 */
function retryOrGiveUp(given: string, policy: FetchPolicy, error: unknown): Error {
  if (!policy.lastAttempt) return error instanceof Error ? error : new Error(String(error));
  return new AttachmentUnavailable({
    url: given,
    reason: `the server kept failing (${policy.lastAttempt.attempt} attempts; last: ${describe(error)})`,
  });
}
