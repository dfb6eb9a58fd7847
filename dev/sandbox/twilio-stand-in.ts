import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { FaultPlan } from './faults';

/** How one call to the stand-in fails, as Twilio would answer it. */
export interface TwilioFailure {
  status: number;
  code: number;
  message: string;
  retryAfterSeconds?: number;
}

/** A failure reported after acceptance, in a status callback (the handset was unreachable, …). */
export interface TwilioDeliveryFailure {
  status: 'failed' | 'undelivered';
  code: number;
  message: string;
  /** WhatsApp's own words, which Twilio passes on as ChannelStatusMessage. */
  channelStatusMessage?: string;
}

/** A message the stand-in accepted. */
export interface ReceivedTwilioMessage {
  sid: string;
  to: string;
  from: string;
  body: string | undefined;
  contentSid: string | undefined;
  contentVariables: string | undefined;
  statusCallback: string | undefined;
  /** What the stand-in fetched from each MediaUrl, as Twilio does before sending the media on. */
  media: FetchedMedia[];
  /** The stand-in's own clock, in milliseconds. */
  at: number;
}

/** One MediaUrl as fetched: the answer's status and headers and the SHA-256 of the bytes. */
export interface FetchedMedia {
  url: string;
  /** The HTTP status; null when the URL could not be reached. */
  status: number | null;
  contentType: string | null;
  contentDisposition: string | null;
  size: number;
  sha256: string | null;
}

/** A file a customer sends with an inbound message (`sendInbound`). */
export interface InboundMedia {
  contentType: string;
  content: Buffer;
  /** Given to the CDN's Content-Disposition, as Twilio's CDN does for documents. */
  filename?: string;
}

/** A request for inbound media: at the API's MediaUrl, or at the CDN URL it redirects to. */
export interface MediaRequest {
  where: 'api' | 'cdn';
  path: string;
  /** Whether the request carried an Authorization header. */
  authorization: boolean;
  status: number;
}

/** Every call to the Messages API, accepted or not. */
export interface TwilioAttempt {
  to: string | undefined;
  /** The HTTP status the stand-in answered with. */
  status: number;
  code: number | null;
  at: number;
}

/** A webhook the stand-in posted (status callback or inbound message). */
export interface PostedWebhook {
  url: string;
  params: Record<string, string>;
  /** Our server's HTTP status, or null when it could not be reached. */
  responseStatus: number | null;
}

export interface TwilioStandInOptions {
  accountSid: string;
  authToken: string;
  /** Also report 'read' after 'delivered' (WhatsApp read receipts). */
  readReceipts?: boolean;
  /** The stand-in's clock (milliseconds), for `received[].at` and the rate limit. */
  clock?: () => number;
  /** Port on 127.0.0.1; default: a free one. */
  port?: number;
}

const API_VERSION = '2010-04-01';
const E164_WHATSAPP = /^whatsapp:\+[1-9]\d{6,14}$/;
/** Twilio's Messages API refuses longer bodies with 21617. */
const MAX_BODY = 1600;

/**
 * A Twilio-compatible Messages API on 127.0.0.1, for tests, the demo and the benchmark: the real
 * twilio SDK talks to it over HTTP. It answers with Twilio's JSON shapes and error codes, posts
 * status callbacks (sent, delivered, optionally read) signed with X-Twilio-Signature as Twilio does,
 * and can play a customer writing in. `faults` makes calls fail (429 with Retry-After, 5xx, 63016…).
 */
export class TwilioStandIn {
  readonly faults = new FaultPlan<TwilioFailure>();
  readonly received: ReceivedTwilioMessage[] = [];
  readonly attempts: TwilioAttempt[] = [];
  /** Every webhook posted so far (status callbacks, inbound messages, tests' own), as answered. */
  readonly webhooksPosted: PostedWebhook[] = [];
  /** The status callbacks the stand-in posted for accepted messages, in order. */
  readonly callbacksSent: PostedWebhook[] = [];

  /** Every request for inbound media, at the API and at the CDN. */
  readonly mediaRequests: MediaRequest[] = [];

  private readonly deliveryFailures: TwilioDeliveryFailure[] = [];
  /** Inbound media by its MediaUrl path; the CDN serves them by token. */
  private readonly inboundMedia = new Map<string, InboundMedia & { token: string }>();
  private readonly cdnTokens = new Map<string, InboundMedia>();
  private mediaFailures: number[] = [];
  private cdn: Server | undefined;
  private cdnUrl: string | undefined;
  private answersToLose = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly clock: () => number;
  private server: Server | undefined;
  private baseUrl: string | undefined;

  constructor(private readonly options: TwilioStandInOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Base URL to give the SDK (`apiUrl`); set once started. */
  get url(): string {
    if (!this.baseUrl) throw new Error('the Twilio stand-in is not started');
    return this.baseUrl;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) reply(res, 500, twilioError(500, 20500, `Internal error: ${String(error)}`));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    // Twilio's CDN, on an origin of its own (as Twilio's is): MediaUrl redirects there.
    const cdn = createServer((req, res) => this.serveCdn(req, res));
    await new Promise<void>((resolve, reject) => {
      cdn.once('error', reject);
      cdn.listen(0, '127.0.0.1', () => resolve());
    });
    this.cdn = cdn;
    this.cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  /** The next `count` requests for inbound media at the API answer `status` (500, 404…) instead. */
  failMediaNext(count: number, status: number): void {
    for (let i = 0; i < count; i++) this.mediaFailures.push(status);
  }

  /** The media at this MediaUrl is deleted (as through the Media resource's DELETE): 404 from now on. */
  deleteMedia(mediaUrl: string): void {
    this.inboundMedia.delete(new URL(mediaUrl).pathname);
  }

  async stop(): Promise<void> {
    await this.settled();
    const cdn = this.cdn;
    this.cdn = undefined;
    if (cdn) {
      cdn.closeAllConnections();
      await new Promise<void>((resolve) => cdn.close(() => resolve()));
    }
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next `count` accepted messages report this failure in their status callback instead. */
  failDeliveryNext(count: number, failure: TwilioDeliveryFailure): void {
    for (let i = 0; i < count; i++) this.deliveryFailures.push(failure);
  }

  /** Resolves when every callback started so far has been answered. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * A customer writes: posts Twilio's inbound-message webhook (signed) to `webhookUrl`, as Twilio does
   * for a message to the business's number `to`. Returns our server's answer.
   */
  async sendInbound(
    webhookUrl: string,
    message: {
      from: string;
      to: string;
      body: string;
      profileName?: string;
      messageSid?: string;
      /** Files the customer sends: served at MediaUrlN with the account's basic auth, as Twilio does. */
      media?: InboundMedia[];
    },
  ): Promise<{ messageSid: string; status: number | null; body: string; mediaUrls: string[] }> {
    const media = message.media ?? [];
    const messageSid = message.messageSid ?? (media.length > 0 ? newSid('MM') : newSid('SM'));
    const from = `whatsapp:${message.from}`;
    const mediaParams: Record<string, string> = {};
    const mediaUrls = media.map((file, i) => {
      const path = `/${API_VERSION}/Accounts/${this.options.accountSid}/Messages/${messageSid}/Media/${newSid('ME')}`;
      this.inboundMedia.set(path, { ...file, token: randomBytes(16).toString('hex') });
      const url = `${this.url}${path}`;
      mediaParams[`MediaUrl${i}`] = url;
      mediaParams[`MediaContentType${i}`] = file.contentType;
      return url;
    });
    const params: Record<string, string> = {
      SmsMessageSid: messageSid,
      NumMedia: String(media.length),
      ...mediaParams,
      ProfileName: message.profileName ?? 'Customer',
      MessageType: media.length > 0 ? mediaType(media[0]!.contentType) : 'text',
      SmsSid: messageSid,
      WaId: message.from.replace(/^\+/, ''),
      SmsStatus: 'received',
      Body: message.body,
      To: `whatsapp:${message.to}`,
      NumSegments: '1',
      ReferralNumMedia: '0',
      MessageSid: messageSid,
      AccountSid: this.options.accountSid,
      From: from,
      ApiVersion: API_VERSION,
    };
    const answer = await this.postWebhook(webhookUrl, params);
    return { messageSid, ...answer, mediaUrls };
  }

  /**
   * Posts form parameters to a webhook URL, signed as Twilio signs them. `signature: null` sends no
   * X-Twilio-Signature header; a string sends that one instead (forged-callback tests).
   */
  async postWebhook(
    url: string,
    params: Record<string, string>,
    options: { signature?: string | null } = {},
  ): Promise<{ status: number | null; body: string }> {
    const signature =
      options.signature === undefined
        ? twilio.getExpectedTwilioSignature(this.options.authToken, url, params)
        : options.signature;
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'TwilioProxy/1.1',
      'i-twilio-idempotency-token': randomBytes(16).toString('hex'),
    };
    if (signature !== null) headers['x-twilio-signature'] = signature;
    let status: number | null = null;
    let body = '';
    try {
      const response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(params) });
      status = response.status;
      body = await response.text();
    } catch {
      // Twilio records the failure and moves on; so do we.
    }
    this.webhooksPosted.push({ url, params, responseStatus: status });
    return { status, body };
  }

  /**
   * The next `count` accepted messages get no answer: the stand-in takes each (and reports its
   * status), then drops the connection, as when Twilio's response is lost on the way back.
   */
  loseNextAnswers(count: number): void {
    this.answersToLose += count;
  }

  /** GET /Accounts/{sid}.json, what `client.api.v2010.accounts(sid).fetch()` asks (credential checks). */
  private fetchAccount(req: IncomingMessage, res: ServerResponse, accountSid: string): void {
    if (!this.authorised(req.headers.authorization)) {
      reply(res, 401, twilioError(401, 20003, 'Authenticate'), {
        'www-authenticate': 'Basic realm="Twilio API"',
      });
      return;
    }
    if (accountSid !== this.options.accountSid) {
      reply(
        res,
        404,
        twilioError(
          404,
          20404,
          `The requested resource /${API_VERSION}/Accounts/${accountSid}.json was not found`,
        ),
      );
      return;
    }
    reply(res, 200, {
      sid: accountSid,
      friendly_name: 'Sandbox account',
      status: 'active',
      type: 'Full',
      owner_account_sid: accountSid,
      uri: `/${API_VERSION}/Accounts/${accountSid}.json`,
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const path = url.pathname;
    if (req.method === 'GET' && /^\/2010-04-01\/Accounts\/[^/]+\/Messages\/[^/]+\/Media\/[^/]+$/.test(path)) {
      this.serveMedia(req, res, path);
      return;
    }
    const account = /^\/2010-04-01\/Accounts\/([^/]+)\.json$/.exec(path);
    if (account && req.method === 'GET') {
      this.fetchAccount(req, res, account[1]!);
      return;
    }
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
    if (match && req.method === 'GET') {
      this.list(req, res, match[1]!, url.searchParams);
      return;
    }
    if (!match || req.method !== 'POST') {
      reply(res, 404, twilioError(404, 20404, `The requested resource ${path} was not found`));
      return;
    }
    const form = new URLSearchParams(await readBody(req));
    const to = form.get('To') ?? undefined;
    const at = this.clock();
    const answer = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      this.attempts.push({ to, status, code: typeof body['code'] === 'number' ? body['code'] : null, at });
      reply(res, status, body, headers);
    };

    if (!this.authorised(req.headers.authorization)) {
      answer(401, twilioError(401, 20003, 'Authenticate'), {
        'www-authenticate': 'Basic realm="Twilio API"',
      });
      return;
    }
    if (match[1] !== this.options.accountSid) {
      answer(404, twilioError(404, 20404, `The requested resource ${path} was not found`));
      return;
    }

    const { failure, rateLimited } = await this.faults.next(at);
    if (failure) {
      answer(
        failure.status,
        twilioError(failure.status, failure.code, failure.message),
        failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {},
      );
      return;
    }
    if (rateLimited) {
      answer(429, twilioError(429, 20429, 'Too Many Requests'), { 'retry-after': '1' });
      return;
    }

    const refused = validate(form);
    if (refused) {
      answer(refused.status, twilioError(refused.status, refused.code, refused.message));
      return;
    }

    const media = await Promise.all(form.getAll('MediaUrl').map(fetchMedia));
    const message: ReceivedTwilioMessage = {
      sid: newSid('SM'),
      to: form.get('To') ?? '',
      from: form.get('From') ?? '',
      body: form.get('Body') ?? undefined,
      contentSid: form.get('ContentSid') ?? undefined,
      contentVariables: form.get('ContentVariables') ?? undefined,
      statusCallback: form.get('StatusCallback') ?? undefined,
      media,
      at,
    };
    this.received.push(message);
    // Twilio takes the message, then fails it when it cannot download its media (error 63019).
    if (media.some((m) => m.status === null || m.status < 200 || m.status >= 300)) {
      this.deliveryFailures.unshift({ status: 'failed', code: 63019, message: 'Media failed to download' });
    }
    if (this.answersToLose > 0) {
      this.answersToLose -= 1;
      this.attempts.push({ to, status: 201, code: null, at });
      res.socket?.destroy();
    } else {
      answer(201, this.messageResource(message));
    }
    // Twilio reports the status of what it took, whether or not its answer reached the sender.
    if (message.statusCallback) this.track(this.reportStatus(message, message.statusCallback));
  }

  /** GET Messages.json: the account's messages, newest first, filtered by To and From, one page. */
  private list(req: IncomingMessage, res: ServerResponse, accountSid: string, query: URLSearchParams): void {
    if (!this.authorised(req.headers.authorization)) {
      reply(res, 401, twilioError(401, 20003, 'Authenticate'));
      return;
    }
    if (accountSid !== this.options.accountSid) {
      reply(res, 404, twilioError(404, 20404, 'The requested resource was not found'));
      return;
    }
    const to = query.get('To');
    const from = query.get('From');
    const pageSize = Math.min(Number(query.get('PageSize') ?? 50) || 50, 1000);
    const messages = this.received
      .filter((m) => (to === null || m.to === to) && (from === null || m.from === from))
      .reverse()
      .slice(0, pageSize)
      .map((m) => this.messageResource(m));
    const uri = `/${API_VERSION}/Accounts/${accountSid}/Messages.json`;
    reply(res, 200, {
      messages,
      end: Math.max(0, messages.length - 1),
      first_page_uri: `${uri}?PageSize=${pageSize}&Page=0`,
      next_page_uri: null,
      page: 0,
      page_size: pageSize,
      previous_page_uri: null,
      start: 0,
      uri,
    });
  }

  /**
   * GET MediaUrl: with the account's basic auth (Twilio's default "HTTP basic authentication for
   * media"), a 307 to a short-lived URL on the CDN; without it, 401.
   */
  private serveMedia(req: IncomingMessage, res: ServerResponse, path: string): void {
    const record = (status: number) =>
      this.mediaRequests.push({
        where: 'api',
        path,
        authorization: req.headers.authorization !== undefined,
        status,
      });
    if (!this.authorised(req.headers.authorization)) {
      record(401);
      reply(res, 401, twilioError(401, 20003, 'Authenticate'), {
        'www-authenticate': 'Basic realm="Twilio API"',
      });
      return;
    }
    const failure = this.mediaFailures.shift();
    if (failure !== undefined) {
      record(failure);
      reply(res, failure, twilioError(failure, failure === 404 ? 20404 : 20500, 'Media unavailable'));
      return;
    }
    const media = this.inboundMedia.get(path);
    if (!media) {
      record(404);
      reply(res, 404, twilioError(404, 20404, `The requested resource ${path} was not found`));
      return;
    }
    this.cdnTokens.set(media.token, media);
    record(307);
    res.writeHead(307, {
      location: `${this.cdnUrl ?? ''}/v1/media/${media.token}?Expires=${Math.floor(this.clock() / 1000) + 3600}`,
    });
    res.end();
  }

  /** The CDN: serves by its signed token alone (no Authorization needed, none expected). */
  private serveCdn(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://cdn');
    const token = /^\/v1\/media\/([0-9a-f]+)$/.exec(url.pathname)?.[1];
    const media = token ? this.cdnTokens.get(token) : undefined;
    const status = media ? 200 : 403;
    this.mediaRequests.push({
      where: 'cdn',
      path: url.pathname,
      authorization: req.headers.authorization !== undefined,
      status,
    });
    if (!media) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('Forbidden');
      return;
    }
    res.writeHead(200, {
      'content-type': media.contentType,
      'content-length': String(media.content.length),
      ...(media.filename ? { 'content-disposition': `attachment; filename="${media.filename}"` } : {}),
    });
    res.end(media.content);
  }

  private authorised(header: string | undefined): boolean {
    const match = /^Basic (.+)$/i.exec(header ?? '');
    if (!match?.[1]) return false;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return (
      colon > 0 &&
      decoded.slice(0, colon) === this.options.accountSid &&
      decoded.slice(colon + 1) === this.options.authToken
    );
  }

  /** Twilio's Message resource JSON, as the create call returns it. */
  private messageResource(message: ReceivedTwilioMessage): Record<string, unknown> {
    const date = rfc2822(new Date(message.at));
    const accountSid = this.options.accountSid;
    const uri = `/${API_VERSION}/Accounts/${accountSid}/Messages/${message.sid}`;
    // A template is rendered by Twilio; the stand-in shows its variables, which is what matters here.
    const body = message.body ?? renderedTemplate(message.contentVariables);
    return {
      account_sid: accountSid,
      api_version: API_VERSION,
      body,
      date_created: date,
      date_sent: null,
      date_updated: date,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: message.from,
      messaging_service_sid: null,
      num_media: String(message.media.length),
      num_segments: String(Math.max(1, Math.ceil(body.length / 160))),
      price: null,
      price_unit: 'USD',
      sid: message.sid,
      status: 'queued',
      subresource_uris: { media: `${uri}/Media.json`, feedback: `${uri}/Feedback.json` },
      to: message.to,
      uri: `${uri}.json`,
    };
  }

  /** The callbacks Twilio posts after accepting a message, one after the other. */
  private async reportStatus(message: ReceivedTwilioMessage, url: string): Promise<void> {
    const failure = this.deliveryFailures.shift();
    const steps: Array<{ status: string; error?: TwilioDeliveryFailure }> = failure
      ? [{ status: 'sent' }, { status: failure.status, error: failure }]
      : [
          { status: 'sent' },
          { status: 'delivered' },
          ...(this.options.readReceipts ? [{ status: 'read' }] : []),
        ];
    for (const step of steps) {
      const params: Record<string, string> = {
        ChannelPrefix: 'whatsapp',
        ApiVersion: API_VERSION,
        MessageStatus: step.status,
        SmsSid: message.sid,
        SmsStatus: step.status,
        To: message.to,
        From: message.from,
        MessageSid: message.sid,
        AccountSid: this.options.accountSid,
        ...(step.error ? { ErrorCode: String(step.error.code), ErrorMessage: step.error.message } : {}),
        ...(step.error?.channelStatusMessage
          ? { ChannelStatusMessage: step.error.channelStatusMessage }
          : {}),
      };
      const { status } = await this.postWebhook(url, params);
      this.callbacksSent.push({ url, params, responseStatus: status });
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }
}

/** Twilio's checks on a create-message request, in the order Twilio applies them. */
function validate(form: URLSearchParams): { status: number; code: number; message: string } | undefined {
  const to = form.get('To');
  const from = form.get('From');
  const body = form.get('Body');
  const contentSid = form.get('ContentSid');
  const contentVariables = form.get('ContentVariables');
  const statusCallback = form.get('StatusCallback');
  if (!to) return { status: 400, code: 21604, message: "A 'To' phone number is required." };
  if (!E164_WHATSAPP.test(to)) {
    return { status: 400, code: 21211, message: `Invalid 'To' Phone Number: ${to}` };
  }
  if (!from) return { status: 400, code: 21603, message: "A 'From' phone number is required." };
  if (!E164_WHATSAPP.test(from)) {
    return { status: 400, code: 21212, message: `Invalid 'From' Phone Number: ${from}` };
  }
  const mediaUrls = form.getAll('MediaUrl');
  if (!body && !contentSid && mediaUrls.length === 0) {
    return { status: 400, code: 21602, message: 'Message body is required.' };
  }
  if (mediaUrls.length > 10) {
    return { status: 400, code: 21623, message: 'Number of media files exceeds allowed limit.' };
  }
  if (mediaUrls.some((url) => !/^https?:\/\//.test(url))) {
    return { status: 400, code: 21620, message: 'Invalid media URL(s).' };
  }
  if (body && body.length > MAX_BODY) {
    return {
      status: 400,
      code: 21617,
      message: 'The concatenated message body exceeds the 1600 character limit.',
    };
  }
  if (contentSid && !/^HX[0-9a-fA-F]{32}$/.test(contentSid)) {
    return { status: 400, code: 21655, message: 'The ContentSid is Invalid.' };
  }
  if (contentVariables !== null && !isJsonObject(contentVariables)) {
    return { status: 400, code: 21656, message: 'The ContentVariables Parameter is invalid.' };
  }
  if (statusCallback !== null && !/^https?:\/\//.test(statusCallback)) {
    return { status: 400, code: 21609, message: 'Invalid StatusCallback url' };
  }
  return undefined;
}

/** GETs one MediaUrl as Twilio does, keeping what arrived (never throws). */
async function fetchMedia(url: string): Promise<FetchedMedia> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const content = Buffer.from(await response.arrayBuffer());
    const ok = response.status >= 200 && response.status < 300;
    return {
      url,
      status: response.status,
      contentType: response.headers.get('content-type'),
      contentDisposition: response.headers.get('content-disposition'),
      size: ok ? content.length : 0,
      sha256: ok ? createHash('sha256').update(content).digest('hex') : null,
    };
  } catch {
    return { url, status: null, contentType: null, contentDisposition: null, size: 0, sha256: null };
  }
}

/** Twilio's MessageType for an inbound message with media of this type. */
function mediaType(contentType: string): string {
  if (contentType.startsWith('image/')) return 'image';
  if (contentType.startsWith('audio/')) return 'audio';
  if (contentType.startsWith('video/')) return 'video';
  return 'document';
}

function renderedTemplate(contentVariables: string | undefined): string {
  if (!contentVariables) return '';
  return Object.values(JSON.parse(contentVariables) as Record<string, string>).join(' ');
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** Twilio's error body (legacy shape, which the SDK turns into RestException). */
function twilioError(status: number, code: number, message: string): Record<string, unknown> {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

function reply(
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A Twilio SID: two letters and 32 hex digits. */
export function newSid(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

/** Twilio's date format: "Thu, 30 Jul 2015 20:12:31 +0000". */
function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}
