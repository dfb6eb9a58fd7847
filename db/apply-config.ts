import type { Knex } from 'knex';
import { z } from 'zod';
import { senderOf } from '../channels/email';
import { ACCOUNT_KINDS, normaliseAccount } from '../domain/channels';
import { normaliseEmail } from '../domain/email';
import { InvalidInput } from '../domain/errors';
import { consentKeyFrom } from '../config/consent-key';
import { recordConsent } from './consent';
import { CLOCK_TIME, isTimeZone } from '../domain/quiet-hours';
import { validateSessionNameTemplate } from '../domain/templates';

const id = z.string().trim().min(1).max(200);
const timeZone = z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin');
const keyword = z.string().trim().min(1).max(64);
const clockTime = z.string().regex(CLOCK_TIME, 'must be a time of day as HH:mm, e.g. 21:00');

/** `support@shop.example` or `Tech Support <support@shop.example>`: what the email adapter sends as. */
const emailSender = z.string().refine((value) => {
  try {
    senderOf({ id: 'config', settings: { from: value } });
    return true;
  } catch {
    return false;
  }
}, 'must be an email address, optionally with a name: "support@shop.example" or "Tech Support <support@shop.example>"');

/**
 * Each channel kind's `settings`, exactly the keys its adapter reads: a misspelt key is refused
 * rather than silently ignored.
 */
export const CHANNEL_SETTINGS = {
  email: z
    .strictObject({
      from: emailSender
        .optional()
        .meta({ description: "The sender (From). Default: the channel's name when it is an address." }),
    })
    .meta({
      description: 'Email channel settings',
      examples: [{ from: 'Tech Support <support@shop.example>' }],
    }),
  whatsapp: z
    .strictObject({
      from: z
        .string()
        .regex(/^\+[1-9]\d{6,14}$/, 'must be the business number in E.164, e.g. +14155550100')
        .optional()
        .meta({ description: "The business's WhatsApp number at Twilio, E.164; needed to send." }),
      templateContentSid: z
        .string()
        .regex(/^HX[0-9a-fA-F]{32}$/, 'must be a Twilio Content SID: HX and 32 hexadecimal digits')
        .optional()
        .meta({
          description:
            "An approved template (Twilio Content SID) sent outside WhatsApp's 24-hour window, the text as {{1}}.",
        }),
      templates: z
        .array(
          z.strictObject({
            contentSid: z
              .string()
              .regex(/^HX[0-9a-fA-F]{32}$/, 'must be a Twilio Content SID: HX and 32 hexadecimal digits'),
            name: z.string().min(1).max(100).meta({ description: 'What operators see in the list.' }),
            body: z.string().min(1).max(1024).meta({
              description: 'The approved text, its variables as {{1}}, {{2}}, … (as Twilio Content has it).',
            }),
          }),
        )
        .max(100)
        .optional()
        .meta({
          description:
            "Approved templates operators choose from outside WhatsApp's 24-hour window, their variables filled in.",
        }),
    })
    .meta({
      description: 'WhatsApp (Twilio) channel settings',
      examples: [{ from: '+14155550100', templateContentSid: 'HX0a1b2c3d4e5f60718293a4b5c6d7e8f9' }],
    }),
  telegram: z
    .strictObject({
      botUsername: z
        .string()
        .regex(/^@?[A-Za-z][A-Za-z0-9_]{4,31}$/, 'must be a Telegram username, 5 to 32 letters, digits or _')
        .optional()
        .meta({ description: "The bot's username, shown to operators (t.me/<botUsername>)." }),
    })
    .meta({ description: 'Telegram channel settings', examples: [{ botUsername: 'ShopSupportBot' }] }),
  livechat: z.strictObject({}).meta({ description: 'The website widget takes no settings' }),
} as const;

const channelOf = <K extends string, S extends z.ZodType>(kind: K, settings: S) =>
  z.strictObject({ id, kind: z.literal(kind), name: z.string().min(1), settings });

const ChannelSchema = z.discriminatedUnion('kind', [
  channelOf('email', CHANNEL_SETTINGS.email.default({})),
  channelOf('whatsapp', CHANNEL_SETTINGS.whatsapp.default({})),
  channelOf('telegram', CHANNEL_SETTINGS.telegram.default({})),
  channelOf('livechat', CHANNEL_SETTINGS.livechat.default({})),
]);

/**
 * The declarative shape an administrator writes (`livechat config apply -f FILE`) and the demo seed
 * uses: operators, live chats with their members and channels, contacts, known Telegram chats.
 * Applying it again updates what it names and leaves everything else alone. Every object is strict:
 * an unknown (misspelt) key is refused, never ignored. `schema/live-chats.schema.json` is generated
 * from it (`npm run schema`) for editors.
 */
export const LiveChatsConfigSchema = z.strictObject({
  // A JSON file may name its schema for editors: `"$schema": "./node_modules/livechat-temporal/schema/…"`.
  $schema: z.string().optional(),
  operators: z
    .array(
      z.strictObject({
        id,
        name: z.string().min(1),
        email: z.string().optional(),
        status: z.enum(['online', 'offline', 'busy']).default('offline'),
      }),
    )
    .default([]),
  liveChats: z
    .array(
      z.strictObject({
        id,
        name: z.string().min(1),
        boundApp: z.string().min(1).default('contacts'),
        sessionNameTemplate: z.string().nullable().default(null),
        // Process messages due in these hours of the customer's day wait until they end.
        quietHours: z
          .strictObject({ start: clockTime, end: clockTime })
          .refine((q) => q.start !== q.end, 'start and end must differ')
          .nullable()
          .default(null),
        // For customers whose contact names no time zone.
        timeZone: timeZone.default('UTC'),
        operators: z.array(id).default([]),
        supervisors: z.array(id).default([]),
        channels: z.array(ChannelSchema).default([]),
        consent: z
          .strictObject({
            requireOptIn: z.boolean().optional().meta({
              description:
                'Process messages go only to accounts that opted in (WhatsApp business-initiated messages).',
            }),
            operatorMayAnswerOptedOut: z.boolean().optional().meta({
              description: 'An operator may still answer in a session the customer started after opting out.',
            }),
            optOutKeywords: z.array(keyword).min(1).optional().meta({
              description:
                'Whole-message keywords that opt out. Default: STOP, UNSUBSCRIBE, СТОП, ОТПИСАТЬСЯ.',
            }),
            optInKeywords: z.array(keyword).min(1).optional().meta({
              description:
                'Whole-message keywords that opt back in. Default: START, SUBSCRIBE, СТАРТ, ПОДПИСАТЬСЯ.',
            }),
          })
          .default({}),
      }),
    )
    .default([]),
  // Opt-ins given outside the chat (a signed form, a checkbox at checkout). They never lift an opt-out.
  optIns: z
    .array(
      z.strictObject({
        liveChatId: id,
        kind: z.enum(ACCOUNT_KINDS),
        value: z.string(),
      }),
    )
    .default([]),
  contacts: z
    .array(
      z.strictObject({
        id,
        app: z.string().min(1).default('contacts'),
        name: z.string().min(1),
        // Fields of type Account: {kind, value} pairs.
        accounts: z
          .array(
            z.strictObject({
              field: z.string().default('accounts'),
              kind: z.enum(ACCOUNT_KINDS),
              value: z.string(),
            }),
          )
          .default([]),
        // Fields of type Email.
        emails: z
          .array(z.strictObject({ field: z.string().default('email'), value: z.string() }))
          .default([]),
        // The bound app's other fields (free-form: the app defines them).
        data: z.record(z.string(), z.unknown()).default({}),
        timeZone: timeZone.nullable().default(null),
      }),
    )
    .default([]),
  telegramChats: z
    .array(
      z.strictObject({
        channelId: id,
        chatId: z.string().regex(/^-?\d+$/),
        username: z.string().optional(),
        displayName: z.string().optional(),
      }),
    )
    .default([]),
});

/** The issues of a config that does not fit the schema, one per problem (an unknown key each). */
export function configIssues(error: z.ZodError): { path: (string | number)[]; message: string }[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown key ${JSON.stringify(key)}`,
      }));
    return [{ path, message: issue.message }];
  });
}

export type LiveChatsConfig = z.input<typeof LiveChatsConfigSchema>;

export async function applyConfig(
  db: Knex,
  raw: unknown,
  consentKey: Buffer = consentKeyFrom(),
): Promise<void> {
  const parsed = LiveChatsConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidInput(
      configIssues(parsed.error).map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
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
          consent: JSON.stringify(chat.consent),
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
    for (const [index, optIn] of config.optIns.entries()) {
      if (!(await trx('live_chats').where({ id: optIn.liveChatId }).first('id'))) {
        throw new InvalidInput({
          path: `optIns.${index}.liveChatId`,
          message: `no live chat ${JSON.stringify(optIn.liveChatId)}`,
        });
      }
      const value = normaliseAccount(optIn.kind, optIn.value);
      // An opt-out the customer gave (or an erased customer's suppression entry) stays as it is.
      await recordConsent(
        trx,
        {
          liveChatId: optIn.liveChatId,
          account: { kind: optIn.kind, value },
          state: 'opted-in',
          method: 'config',
          at: new Date(),
        },
        consentKey,
      );
    }
  });
}
