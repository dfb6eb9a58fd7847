import type { FastifyReply } from 'fastify';
import { verifyUnsubscribeToken } from '../channels/email/unsubscribe';
import { consentKeyFrom } from '../config/consent-key';
import { recordConsent } from '../db/consent';
import { UnsubscribeLinkInvalid } from '../domain/errors';
import type { AccountKind } from '../domain/types';
import type { WebhookRoutes } from './webhook-server';

export interface UnsubscribeRouteOptions {
  /** The consent key the worker signs the links with (default `LIVECHAT_CONSENT_KEY`). */
  key?: Buffer;
}

type TokenRequest = { Params: { token: string } };

const PAGE = (body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unsubscribe</title></head><body>${body}</body></html>`;

/**
 * The one-click unsubscribe of process and bulk mail (RFC 8058): `POST /unsubscribe/:token`, as a
 * mail provider sends it (`List-Unsubscribe=One-Click`), opts the message's recipient out of its
 * live chat. `GET` only shows a button that posts (link scanners open links; they must not
 * unsubscribe anyone). A forged or altered token is refused with `UnsubscribeLinkInvalid` (403)
 * and changes nothing; a repeated POST is answered the same.
 */
export function unsubscribeRoutes(options: UnsubscribeRouteOptions = {}): WebhookRoutes {
  const key = options.key ?? consentKeyFrom();
  const refuse = (reply: FastifyReply) => {
    const error = new UnsubscribeLinkInvalid();
    return reply.code(error.status).send({ error: error.type, message: error.message });
  };
  return (app, deps) => {
    app.get<TokenRequest>('/unsubscribe/:token', async (request, reply) => {
      if (!verifyUnsubscribeToken(key, request.params.token)) return refuse(reply);
      return reply
        .type('text/html; charset=utf-8')
        .send(
          PAGE(
            '<form method="post"><p>Stop receiving these messages?</p>' +
              '<input type="hidden" name="List-Unsubscribe" value="One-Click">' +
              '<button type="submit">Unsubscribe</button></form>',
          ),
        );
    });
    app.post<TokenRequest>('/unsubscribe/:token', async (request, reply) => {
      const messageId = verifyUnsubscribeToken(key, request.params.token);
      if (!messageId) return refuse(reply);
      const session = await deps
        .db('messages as m')
        .join('sessions as s', 's.id', 'm.session_id')
        .where('m.id', messageId)
        .first<
          { live_chat_id: string; channel_id: string; account_kind: AccountKind; account: string } | undefined
        >('s.live_chat_id', 's.channel_id', 's.account_kind', 's.account');
      // A message that is gone (its customer erased) has nobody left to opt out: done all the same.
      if (session) {
        await recordConsent(
          deps.db,
          {
            liveChatId: session.live_chat_id,
            account: { kind: session.account_kind, value: session.account },
            state: 'opted-out',
            method: 'list-unsubscribe',
            channelId: session.channel_id,
            at: deps.clock(),
          },
          key,
        );
      }
      return reply
        .type('text/html; charset=utf-8')
        .send(PAGE('<p>You are unsubscribed. You will not receive these messages any more.</p>'));
    });
  };
}
