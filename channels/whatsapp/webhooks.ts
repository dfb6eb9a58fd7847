import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import twilio from 'twilio';
import { getChannel } from '../../db/live-chats';
import { applyDeliveryStatus } from '../../db/messages';
import { ChannelNotFound, isLiveChatError } from '../../domain/errors';
import type { DeliveryStatus } from '../../domain/types';
import { fetchInboundFiles, type InboundFileFetcher } from '../../inbound/inbound-files';
import { recordInboundMessage } from '../../inbound/record-inbound-message';
import { sameSecret } from '../../infra/secret-check';
import type { WebhookRoutes } from '../../server/webhook-server';
import { inboundMediaOf } from './media';

export interface TwilioWebhookOptions {
  authToken: string;
  /**
   * The URL Twilio calls us at (what StatusCallback and the number's webhook are set to), no path.
   * Signatures cover it, so it must be the public one, not what a proxy forwards to. A function
   * when it is only known once the server listens (port 0 in tests).
   */
  publicBaseUrl: string | (() => string);
  /**
   * How long a status callback for a message we have not recorded as sent yet waits for it (Twilio
   * may report 'sent' before our dispatch step has stored the Message SID it got back).
   */
  unknownMessageWaitMs?: number;
  /**
   * Fetches a customer's media from Twilio (`twilioMediaFetcher`, with the account's credentials).
   * Without it the media is recorded as pending and fetched by a server that has one.
   */
  mediaFetcher?: InboundFileFetcher;
  /** Told about media that could not be fetched at once (retried later) and similar trouble. */
  onError?: (error: unknown) => void;
}

type FormParams = Record<string, string | string[]>;
type TwilioRequest = FastifyRequest<{ Params: { channelId: string }; Body: unknown }>;

/** Twilio's empty answer to an inbound message: no automatic reply. */
const EMPTY_TWIML = new twilio.twiml.MessagingResponse().toString();

/**
 * Twilio's webhooks for WhatsApp channels: customers' messages (`…/inbound`, the number's "A message
 * comes in" URL) and delivery status callbacks (`…/status`, sent with each message). Both check
 * X-Twilio-Signature against the URL Twilio called, so a forged or unsigned request stores nothing.
 */
export function twilioWebhookRoutes(options: TwilioWebhookOptions): WebhookRoutes {
  const baseUrl = () =>
    (typeof options.publicBaseUrl === 'function' ? options.publicBaseUrl() : options.publicBaseUrl).replace(
      /\/+$/,
      '',
    );
  const waitMs = options.unknownMessageWaitMs ?? 6_000;

  /** The form parameters when Twilio signed them for this URL; otherwise answers 403 and undefined. */
  function verified(request: TwilioRequest, reply: FastifyReply): FormParams | undefined {
    const params = formParams(request.body);
    const signature = request.headers['x-twilio-signature'];
    const url = `${baseUrl()}${request.url}`;
    // Twilio's algorithm (the SDK computes it), compared by our one constant-time check; like the
    // SDK's validateRequest, a URL with and without its default port are the same URL.
    const signed =
      params !== undefined &&
      urlForms(url).some((form) =>
        sameSecret(signature, twilio.getExpectedTwilioSignature(options.authToken, form, params)),
      );
    if (!signed) {
      void reply.code(403).send({ error: 'invalid or missing X-Twilio-Signature' });
      return undefined;
    }
    return params;
  }

  return (app, deps) => {
    app.post('/webhooks/twilio/:channelId/inbound', async (request: TwilioRequest, reply) => {
      const params = verified(request, reply);
      if (!params) return reply;
      const { channelId } = request.params;
      if (!(await isWhatsAppChannel(deps.db, channelId)))
        return reply.code(404).send({ error: 'no such channel' });

      const from = first(params['From']);
      const messageSid = first(params['MessageSid']);
      if (!from?.startsWith('whatsapp:') || !messageSid) {
        return reply.code(400).send({ error: 'not a WhatsApp message: From or MessageSid missing' });
      }
      // A repeated delivery (Twilio's retry) fetches what is still pending again.
      const files = inboundMediaOf(params);
      let recorded;
      try {
        recorded = await recordInboundMessage(deps.db, {
          channelId,
          from: from.slice('whatsapp:'.length),
          text: inboundText(params),
          providerMessageId: messageSid,
          receivedAt: deps.clock(),
          files,
        });
        if (!recorded.duplicate) deps.metrics.inbound.inc({ channel: 'whatsapp' });
      } catch (error) {
        if (error instanceof ChannelNotFound) return reply.code(404).send({ error: error.type });
        if (isLiveChatError(error))
          return reply.code(400).send({ error: error.type, message: error.message });
        throw error;
      }
      // The message and its media references are stored: now the bounded fetch (inbound/inbound-files.ts
      // says why here). A failure leaves the file pending for the server's retries, never the message.
      if (files.length > 0 && options.mediaFetcher) {
        await fetchInboundFiles(
          deps.db,
          { whatsapp: options.mediaFetcher },
          { messageId: recorded.messageId },
        ).catch((error: unknown) => options.onError?.(error));
      }
      // An opt-out or opt-in keyword: the confirmation is Twilio's reply to this message (TwiML).
      const consent = recorded.consent;
      if (consent) {
        const response = new twilio.twiml.MessagingResponse();
        response.message(consent.confirmation.text);
        await deps
          .db('messages')
          .where({ id: consent.confirmation.messageId, status: 'pending' })
          .update({ status: 'sent', sent_at: deps.clock(), updated_at: deps.clock() });
        return reply.code(200).type('text/xml').send(response.toString());
      }
      return reply.code(200).type('text/xml').send(EMPTY_TWIML);
    });

    app.post('/webhooks/twilio/:channelId/status', async (request: TwilioRequest, reply) => {
      const params = verified(request, reply);
      if (!params) return reply;
      const { channelId } = request.params;
      if (!(await isWhatsAppChannel(deps.db, channelId)))
        return reply.code(404).send({ error: 'no such channel' });

      const messageSid = first(params['MessageSid']);
      const report = deliveryReportOf(params);
      if (!messageSid || !report) return reply.code(204).send();
      const apply = () =>
        applyDeliveryStatus(deps.db, {
          channelId,
          providerMessageId: messageSid,
          status: report.status,
          ...(report.reason !== undefined ? { reason: report.reason } : {}),
          ...(report.providerStatusMessage !== undefined
            ? { providerStatusMessage: report.providerStatusMessage }
            : {}),
          ...(report.providerErrorCode !== undefined ? { providerErrorCode: report.providerErrorCode } : {}),
          at: deps.clock(),
        });
      // A report about a message we already know and that moved past it (late, repeated) is done; one
      // about a message whose SID we have not stored yet waits a little for the dispatch step.
      let delay = 50;
      for (let waited = 0; ; waited += delay, delay *= 2) {
        if (await apply()) {
          deps.metrics.messages.inc({ channel: 'whatsapp', status: report.status });
          break;
        }
        if (waited >= waitMs || (await isKnownOutbound(deps.db, channelId, messageSid))) break;
        await new Promise((resolve) => setTimeout(resolve, Math.min(delay, waitMs - waited)));
      }
      return reply.code(204).send();
    });
  };
}

export interface DeliveryReport {
  status: DeliveryStatus;
  reason?: string;
  /** Twilio's ChannelStatusMessage: WhatsApp's own words about the message. */
  providerStatusMessage?: string;
  /** Twilio's ErrorCode, e.g. 63016. */
  providerErrorCode?: string;
}

/**
 * Twilio's MessageStatus in our terms: undefined for the steps before 'sent' (queued, sending,
 * accepted, scheduled): the message is already 'sent' for us once Twilio took it.
 */
export function deliveryReportOf(params: FormParams): DeliveryReport | undefined {
  const status = first(params['MessageStatus']);
  // What WhatsApp itself said (ChannelStatusMessage) and Twilio's code: kept for operators, with any status.
  const channelMessage = first(params['ChannelStatusMessage'])?.trim();
  const errorCode = first(params['ErrorCode'])?.trim();
  const notes = {
    ...(channelMessage ? { providerStatusMessage: channelMessage.slice(0, 1000) } : {}),
    ...(errorCode ? { providerErrorCode: errorCode.slice(0, 20) } : {}),
  };
  switch (status) {
    case 'sent':
    case 'delivered':
    case 'read':
      return { status, ...notes };
    case 'failed':
    case 'undelivered':
    case 'canceled': {
      const code = first(params['ErrorCode']);
      const message = first(params['ErrorMessage']);
      const what =
        message && message.trim() !== ''
          ? message.trim()
          : channelMessage
            ? channelMessage
            : `WhatsApp message ${status}`;
      return { status: 'failed', reason: code ? `${what} (Twilio error ${code})` : what, ...notes };
    }
    default:
      return undefined;
  }
}

/** What operators see of a customer's message; a media-only message would otherwise look empty. */
function inboundText(params: FormParams): string {
  const body = first(params['Body']) ?? '';
  const media = Number(first(params['NumMedia']) ?? '0');
  if (body === '' && media > 0) return `(${media} attachment${media === 1 ? '' : 's'})`;
  return body;
}

async function isWhatsAppChannel(db: Knex, channelId: string): Promise<boolean> {
  const channel = await getChannel(db, channelId);
  return channel?.kind === 'whatsapp';
}

/** Whether one of our outbound messages on this channel already carries this provider id. */
async function isKnownOutbound(db: Knex, channelId: string, providerMessageId: string): Promise<boolean> {
  const row: unknown = await db('messages as m')
    .join('sessions as s', 's.id', 'm.session_id')
    .where({
      'm.provider_message_id': providerMessageId,
      'm.direction': 'outbound',
      's.channel_id': channelId,
    })
    .first('m.id');
  return row !== undefined;
}

/** The URL as given, and with its default port added or removed (Twilio signs either). */
function urlForms(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const defaultPort = parsed.protocol === 'https:' ? '443' : parsed.protocol === 'http:' ? '80' : '';
  if (!defaultPort) return [url];
  // URL drops a default port when it is parsed, so the form "with it" is spelled out by hand.
  const withPort = `${parsed.protocol}//${parsed.username ? `${parsed.username}:${parsed.password}@` : ''}${parsed.hostname}:${defaultPort}${parsed.pathname}${parsed.search}`;
  const withoutPort = parsed.port === '' ? parsed.href : undefined;
  return [...new Set([url, withPort, ...(withoutPort ? [withoutPort] : [])])];
}

/** The form body as Twilio sends it: string values (a repeated field becomes a list). */
function formParams(body: unknown): FormParams | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const params: FormParams = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') params[key] = value;
    else if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string'))
      params[key] = value;
    else return undefined;
  }
  return params;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
