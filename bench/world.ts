import type { Knex } from 'knex';
import { applyConfig } from '../db/apply-config';
import type { ChannelKind, SendLiveChatMessageInput } from '../domain/types';

export const LIVE_CHAT = 'bench-support';
/** The bulk scenario's live chat, bound to an app of its own whose every contact it notifies. */
export const BULK_LIVE_CHAT = 'bench-bulk';
export const BULK_CHANNEL = 'bench-bulk-whatsapp';
export const CHANNELS: Record<Exclude<ChannelKind, 'livechat'>, string> = {
  email: 'bench-email',
  whatsapp: 'bench-whatsapp',
  telegram: 'bench-telegram',
};
const KINDS = Object.keys(CHANNELS) as (keyof typeof CHANNELS)[];

const phoneOf = (i: number): string => `+49151${String(10_000_000 + i).slice(-8)}`;
const chatOf = (i: number): string => String(700_000_000 + i);

/** The Telegram chat ids of the seeded customers (they have written to the bot: rule 9). */
export function benchTelegramChats(count: number): string[] {
  return Array.from({ length: count }, (_, i) => chatOf(i));
}

/** The live chat and `count` customers, each reachable on every channel (batched inserts: fast). */
export async function seedBenchWorld(db: Knex, count: number): Promise<void> {
  await applyConfig(db, {
    liveChats: [
      {
        id: LIVE_CHAT,
        name: 'Benchmark Support',
        channels: [
          {
            id: CHANNELS.email,
            kind: 'email',
            name: 'support@bench.example',
            settings: { from: 'support@bench.example' },
          },
          {
            id: CHANNELS.whatsapp,
            kind: 'whatsapp',
            name: 'WhatsApp',
            // Customers have not written: outside the 24-hour window an approved template is used.
            settings: { from: '+14155550100', templateContentSid: 'HX0a1b2c3d4e5f60718293a4b5c6d7e8f9' },
          },
          { id: CHANNELS.telegram, kind: 'telegram', name: 'Telegram bot' },
        ],
      },
    ],
  });
  for (let start = 0; start < count; start += 1_000) {
    const ids = Array.from({ length: Math.min(1_000, count - start) }, (_, k) => start + k);
    await db('contacts').insert(ids.map((i) => ({ id: `bench-${i}`, name: `Customer ${i}` })));
    await db('contact_fields').insert(
      ids.flatMap((i) => [
        { contact_id: `bench-${i}`, field: 'accounts', type: 'account', kind: 'phone', value: phoneOf(i) },
        {
          contact_id: `bench-${i}`,
          field: 'accounts',
          type: 'account',
          kind: 'telegram',
          value: chatOf(i),
          position: 1,
        },
        {
          contact_id: `bench-${i}`,
          field: 'email',
          type: 'email',
          kind: 'email',
          value: `customer${i}@bench.example`,
        },
      ]),
    );
    await db('telegram_chats').insert(
      ids.map((i) => ({ channel_id: CHANNELS.telegram, chat_id: chatOf(i) })),
    );
  }
}

/**
 * `n` requests over customers [first, first + n): channels in turn, and every fifth message goes
 * again to a customer of this batch, so messengers reuse an open session.
 */
export function benchRequests(first: number, n: number, label: string): SendLiveChatMessageInput[] {
  return Array.from({ length: n }, (_, i) => {
    const customer = i % 5 === 4 ? first + i - 3 : first + i;
    const kind = KINDS[i % KINDS.length] as keyof typeof CHANNELS;
    return {
      liveChatId: LIVE_CHAT,
      channelId: CHANNELS[kind],
      to: { contactId: `bench-${customer}` },
      text: `Your order #${label}-${i} is ready for pickup.`,
      ...(kind === 'email' ? { subject: `Order ${label}-${i}` } : {}),
    };
  });
}

/** The bulk scenario's audience: `count` contacts of its own app, each with a WhatsApp number. */
export async function seedBulkAudience(
  db: Knex,
  count: number,
  /** Another audience of its own (the bulk-rate scenario): its live chat, app and numbers. */
  own: { liveChat: string; channel: string; phoneBase: number } = {
    liveChat: BULK_LIVE_CHAT,
    channel: BULK_CHANNEL,
    phoneBase: 50_000_000,
  },
): Promise<void> {
  await applyConfig(db, {
    liveChats: [
      {
        id: own.liveChat,
        name: 'Benchmark Newsletter',
        boundApp: own.liveChat,
        channels: [
          {
            id: own.channel,
            kind: 'whatsapp',
            name: 'WhatsApp',
            settings: { from: '+14155550101', templateContentSid: 'HX0a1b2c3d4e5f60718293a4b5c6d7e8f9' },
          },
        ],
      },
    ],
  });
  for (let start = 0; start < count; start += 1_000) {
    const ids = Array.from({ length: Math.min(1_000, count - start) }, (_, k) => start + k);
    await db('contacts').insert(
      ids.map((i) => ({ id: `${own.liveChat}-${i}`, app: own.liveChat, name: `Subscriber ${i}` })),
    );
    await db('contact_fields').insert(
      ids.map((i) => ({
        contact_id: `${own.liveChat}-${i}`,
        field: 'accounts',
        type: 'account',
        kind: 'phone',
        value: phoneOf(own.phoneBase + i),
      })),
    );
  }
}
