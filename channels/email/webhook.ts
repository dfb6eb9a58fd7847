import { createHash, timingSafeEqual } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ChannelNotFound, InvalidInput, isLiveChatError } from '../../domain/errors';
import type { WebhookDeps, WebhookRoutes } from '../../server/webhook-server';
import { acceptInboundMail } from './inbound';

/** The header an inbound-parse service sends our shared secret in. */
export const EMAIL_WEBHOOK_SECRET_HEADER = 'x-livechat-webhook-secret';

/** Raw MIME including attachments; what common inbound-parse services forward at most. */
export const DEFAULT_EMAIL_BODY_LIMIT = 25 * 1024 * 1024;

/**
 * Form fields that carry the raw message in an inbound-parse post (`multipart/form-data`):
 * `email` is SendGrid's Inbound Parse with "POST the raw, full MIME message" on, `body-mime`
 * Mailgun's forwarded MIME.
 */
export const RAW_MIME_FIELDS = ['email', 'body-mime'] as const;

export interface EmailWebhookOptions {
  /** Shared with the inbound-parse service; it must send it in `x-livechat-webhook-secret`. */
  secret: string;
  /** Largest raw message accepted, in bytes (default 25 MB). */
  bodyLimit?: number;
}

/**
 * Inbound email: `POST /webhooks/email/:channelId` with the raw message, as `message/rfc822` or
 * as an inbound-parse service's form (`multipart/form-data` with the raw MIME in `email` or
 * `body-mime`). The shared secret (header `x-livechat-webhook-secret`, or the password of HTTP
 * Basic auth for services that can only put credentials in the URL) is checked before the body is
 * read. The mail then goes through the same pipeline as mail read over IMAP (`acceptInboundMail`):
 * threading, bounces, reopening, files.
 */
export function emailWebhookRoutes(options: EmailWebhookOptions): WebhookRoutes {
  // Short secrets can be guessed; refuse them at start-up rather than accept forged mail later.
  if (options.secret.length < 16)
    throw new Error('the email webhook secret must be at least 16 characters long');
  const expected = digest(options.secret);
  const bodyLimit = options.bodyLimit ?? DEFAULT_EMAIL_BODY_LIMIT;

  return (app: FastifyInstance, deps: Required<WebhookDeps>) => {
    // A scope of its own, so the parsers and the secret check apply to these routes only.
    void app.register(async (scope) => {
      scope.addContentTypeParser('message/rfc822', { parseAs: 'buffer', bodyLimit }, (_request, body, done) =>
        done(null, body),
      );
      await scope.register(multipart, {
        // Form fields read as latin1, so their bytes come back unchanged: the raw message may be
        // 8-bit in any charset (koi8-r, windows-1251), which a UTF-8 reading would destroy.
        defCharset: 'latin1',
        limits: { fieldSize: bodyLimit, fileSize: bodyLimit, files: 20, fields: 50, parts: 70 },
      });
      scope.addHook('onRequest', async (request, reply) => {
        if (!secretMatches(givenSecret(request), expected)) {
          return reply
            .code(401)
            .send(errorBody('Unauthorized', `missing or wrong ${EMAIL_WEBHOOK_SECRET_HEADER} header`));
        }
      });

      scope.post<{ Params: { channelId: string } }>(
        '/webhooks/email/:channelId',
        { bodyLimit },
        async (request, reply) => {
          try {
            const raw = request.isMultipart() ? await rawFromForm(request) : request.body;
            if (!Buffer.isBuffer(raw)) {
              return reply
                .code(415)
                .send(
                  errorBody(
                    'UnsupportedMediaType',
                    'send the raw message as Content-Type: message/rfc822, or as multipart/form-data with the raw MIME in the "email" field',
                  ),
                );
            }
            const accepted = await acceptInboundMail(deps.db, request.params.channelId, raw, deps.clock());
            if (accepted.kind === 'delivery-report') {
              const report = accepted.deliveryReport;
              if (report.updated && report.status)
                deps.metrics.messages.inc({ channel: 'email', status: report.status });
              return reply.code(200).send({ deliveryReport: report });
            }
            if (!accepted.recorded.duplicate) deps.metrics.inbound.inc({ channel: 'email' });
            return reply.code(200).send(accepted.recorded);
          } catch (error) {
            return refuse(reply, error);
          }
        },
      );
    });
  };
}

/** The raw MIME of an inbound-parse form: the first of RAW_MIME_FIELDS, as a field or a file. */
async function rawFromForm(request: FastifyRequest): Promise<Buffer> {
  let raw: Buffer | undefined;
  const names = new Set<string>();
  try {
    for await (const part of request.parts()) {
      names.add(part.fieldname);
      const wanted = raw === undefined && (RAW_MIME_FIELDS as readonly string[]).includes(part.fieldname);
      if (part.type === 'file') {
        const content = await part.toBuffer();
        if (wanted) raw = content;
      } else if (wanted && typeof part.value === 'string') {
        raw = Buffer.from(part.value, 'latin1');
      }
    }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new InvalidInput({ path: 'body', message: `is not a readable form (${why})` });
  }
  if (raw === undefined || raw.length === 0) {
    throw new InvalidInput({
      path: 'email',
      message:
        `the form has no raw message (fields: ${[...names].slice(0, 20).join(', ') || 'none'}); ` +
        'turn on posting the raw, full MIME message in the inbound-parse settings',
    });
  }
  return raw;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The header, else the password of `Authorization: Basic` (a URL such as https://mail:secret@host/...). */
function givenSecret(request: FastifyRequest): string | string[] | undefined {
  const header = request.headers[EMAIL_WEBHOOK_SECRET_HEADER];
  if (header !== undefined) return header;
  const auth = request.headers.authorization;
  if (typeof auth !== 'string' || !/^basic /i.test(auth)) return undefined;
  const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/** Constant time: both sides are hashed to the same length before timingSafeEqual. */
function secretMatches(given: string | string[] | undefined, expected: Buffer): boolean {
  if (typeof given !== 'string' || given === '') return false;
  return timingSafeEqual(digest(given), expected);
}

function errorBody(type: string, message: string) {
  return { error: { type, message } };
}

/** Domain refusals are the sender's problem (4xx, not retried by the service); the rest propagate as 500. */
function refuse(reply: FastifyReply, error: unknown): FastifyReply {
  if (!isLiveChatError(error)) throw error;
  const status = error instanceof ChannelNotFound ? 404 : 400;
  return reply.code(status).send(errorBody(error.type, error.message));
}
