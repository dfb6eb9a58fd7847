import type { Knex } from 'knex';
import { z } from 'zod';
import { ACCOUNT_KINDS, CHANNEL_KIND_LIST, normaliseAccount } from '../domain/channels';
import { normaliseEmail } from '../domain/email';
import { InvalidInput } from '../domain/errors';
import { CLOCK_TIME, isTimeZone } from '../domain/quiet-hours';
import { validateSessionNameTemplate } from '../domain/templates';

const id = z.string().trim().min(1).max(200);
const timeZone = z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin');
const clockTime = z.string().regex(CLOCK_TIME, 'must be a time of day as HH:mm, e.g. 21:00');

/**
 * The declarative shape an administrator writes (`livechat config apply -f FILE`) and the demo seed
 * uses: operators, live chats with their members and channels, contacts, known Telegram chats.
 * Applying it again updates what it names and leaves everything else alone.
 */
export const LiveChatsConfigSchema = z.object({
  operators: z
    .array(
      z.object({
        id,
        name: z.string().min(1),
        email: z.string().optional(),
        status: z.enum(['online', 'offline', 'busy']).default('offline'),
      }),
    )
    .default([]),
  liveChats: z
    .array(
      z.object({
        id,
        name: z.string().min(1),
        boundApp: z.string().min(1).default('contacts'),
        sessionNameTemplate: z.string().nullable().default(null),
        // Process messages due in these hours of the customer's day wait until they end.
        quietHours: z
          .object({ start: clockTime, end: clockTime })
          .refine((q) => q.start !== q.end, 'start and end must differ')
          .nullable()
          .default(null),
        // For customers whose contact names no time zone.
        timeZone: timeZone.default('UTC'),
        operators: z.array(id).default([]),
        supervisors: z.array(id).default([]),
        channels: z
          .array(
            z.object({
              id,
              kind: z.enum(CHANNEL_KIND_LIST),
              name: z.string().min(1),
              settings: z.record(z.string(), z.unknown()).default({}),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
  contacts: z
    .array(
      z.object({
        id,
        app: z.string().min(1).default('contacts'),
        name: z.string().min(1),
        // Fields of type Account: {kind, value} pairs.
        accounts: z
          .array(
            z.object({
              field: z.string().default('accounts'),
              kind: z.enum(ACCOUNT_KINDS),
              value: z.string(),
            }),
          )
          .default([]),
        // Fields of type Email.
        emails: z.array(z.object({ field: z.string().default('email'), value: z.string() })).default([]),
        data: z.record(z.string(), z.unknown()).default({}),
        timeZone: timeZone.nullable().default(null),
      }),
    )
    .default([]),
  telegramChats: z
    .array(
      z.object({
        channelId: id,
        chatId: z.string().regex(/^-?\d+$/),
        username: z.string().optional(),
        displayName: z.string().optional(),
      }),
    )
    .default([]),
});

export type LiveChatsConfig = z.input<typeof LiveChatsConfigSchema>;

export async function applyConfig(db: Knex, raw: unknown): Promise<void> {
  const parsed = LiveChatsConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidInput(
      parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
  const config = parsed.data;
  // A broken session-name template would refuse every session later: refuse it now instead.
  for (const chat of config.liveChats) {
    if (chat.sessionNameTemplate) validateSessionNameTemplate(chat.sessionNameTemplate);
  }
  await db.transaction(async (trx) => {
    for (const operator of config.operators) {
      await trx('operators')
        .insert({
          id: operator.id,
          name: operator.name,
          email: operator.email ?? null,
          status: operator.status,
        })
        .onConflict('id')
        .merge();
    }
    for (const chat of config.liveChats) {
      await trx('live_chats')
        .insert({
          id: chat.id,
          name: chat.name,
          bound_app: chat.boundApp,
          session_name_template: chat.sessionNameTemplate,
          quiet_hours: chat.quietHours ? JSON.stringify(chat.quietHours) : null,
          time_zone: chat.timeZone,
        })
        .onConflict('id')
        .merge();
      await trx('live_chat_members').where({ live_chat_id: chat.id }).delete();
      const members = [
        ...chat.operators.map((operatorId) => ({
          live_chat_id: chat.id,
          operator_id: operatorId,
          role: 'operator',
        })),
        ...chat.supervisors.map((operatorId) => ({
          live_chat_id: chat.id,
          operator_id: operatorId,
          role: 'supervisor',
        })),
      ];
      if (members.length > 0)
        await trx('live_chat_members').insert(members).onConflict(['live_chat_id', 'operator_id']).merge();
      for (const channel of chat.channels) {
        await trx('channels')
          .insert({
            id: channel.id,
            live_chat_id: chat.id,
            kind: channel.kind,
            name: channel.name,
            settings: channel.settings,
          })
          .onConflict('id')
          .merge();
      }
    }
    for (const contact of config.contacts) {
      await trx('contacts')
        .insert({
          id: contact.id,
          app: contact.app,
          name: contact.name,
          data: contact.data,
          time_zone: contact.timeZone,
        })
        .onConflict('id')
        .merge();
      await trx('contact_fields').where({ contact_id: contact.id }).delete();
      const fields = [
        ...contact.accounts.map((account, position) => ({
          contact_id: contact.id,
          field: account.field,
          type: 'account',
          kind: account.kind,
          value: normaliseAccount(account.kind, account.value),
          position,
        })),
        ...contact.emails.map((email, position) => ({
          contact_id: contact.id,
          field: email.field,
          type: 'email',
          kind: 'email',
          value: normaliseEmail(email.value),
          position,
        })),
      ];
      if (fields.length > 0) await trx('contact_fields').insert(fields);
    }
    for (const chat of config.telegramChats) {
      await trx('telegram_chats')
        .insert({
          channel_id: chat.channelId,
          chat_id: normaliseAccount('telegram', chat.chatId),
          username: chat.username ?? null,
          display_name: chat.displayName ?? null,
        })
        .onConflict(['channel_id', 'chat_id'])
        .merge(['username', 'display_name', 'last_seen_at']);
    }
  });
}
