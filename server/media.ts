import type { FastifyReply, FastifyRequest } from 'fastify';
import { messageAttachment } from '../db/attachments';
import { MEDIA_URL_PATH, verifyMediaUrl } from '../infra/media-url';
import type { WebhookRoutes } from './webhook-server';

export interface MediaRoutesOptions {
  /** MEDIA_URL_SECRET: the key the worker signed the URLs with. */
  secret: string;
}

type MediaRequest = FastifyRequest<{
  Params: { messageId: string; position: string };
  Querystring: { expires?: string; signature?: string };
}>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `Content-Disposition` with the file's name (RFC 6266): an ASCII fallback, and the name itself in
 * UTF-8 (RFC 8187), so the recipient sees the name it was sent under.
 */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `inline; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/**
 * Serves a message's stored files at the signed URLs the WhatsApp adapter gives Twilio as MediaUrl
 * (GET, and HEAD, which Twilio also sends). A URL that is unsigned, altered or expired gets 403 and
 * nothing of the file; the answer carries the type the file was sent as, which Twilio checks.
 */
export function mediaRoutes(options: MediaRoutesOptions): WebhookRoutes {
  return (app, deps) => {
    app.get(`${MEDIA_URL_PATH}/:messageId/:position`, async (request: MediaRequest, reply: FastifyReply) => {
      const { messageId } = request.params;
      const position = /^\d{1,4}$/.test(request.params.position) ? Number(request.params.position) : NaN;
      if (!UUID.test(messageId) || !Number.isInteger(position)) {
        return reply.code(404).send({ error: 'no such file' });
      }
      const check = verifyMediaUrl(options.secret, { messageId, position }, request.query, deps.clock());
      if (!check.ok) return reply.code(403).send({ error: `media URL refused: ${check.reason}` });
      const file = await messageAttachment(deps.db, messageId, position);
      if (!file) return reply.code(404).send({ error: 'no such file' });
      return reply
        .header('content-type', file.contentType)
        .header('content-length', String(file.content.length))
        .header('content-disposition', contentDisposition(file.filename))
        .header('cache-control', 'private, no-store')
        .header('x-content-type-options', 'nosniff')
        .send(file.content);
    });
  };
}
