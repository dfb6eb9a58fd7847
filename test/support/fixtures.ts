import { randomUUID } from 'node:crypto';
import { applyConfig } from '../../db/apply-config';
import type { Db } from '../../db/knex';

/** A valid German mobile number in E.164 that no other test uses (8 random digits after +49 151). */
export function uniquePhone(): string {
  return `+49151${String(Math.floor(Math.random() * 100_000_000)).padStart(8, '0')}`;
}

/** A Telegram chat id (a positive whole number) that no other test uses. */
export function uniqueTelegramChatId(): string {
  return String(100_000_000 + Math.floor(Math.random() * 800_000_000));
}

/**
 * A live chat world of a test's own, with unique ids so test files can share one database:
 * a live chat with every channel kind, an online and an offline operator, a supervisor, an
 * operator of another live chat, and a customer reachable on every channel. More customers:
 * Peter, whose email is in a field of type Account (not Email); Olga, who has only a phone and a
 * Telegram chat id the bot has never seen; and a supplier who is an item of another app, not of
 * the live chat's bound app.
 */
export async function createWorld(db: Db) {
  const s = randomUUID().slice(0, 8);
  const ids = {
    liveChat: `support-${s}`,
    otherLiveChat: `sales-${s}`,
    email: `email-${s}`,
    whatsapp: `whatsapp-${s}`,
    telegram: `telegram-${s}`,
    widget: `widget-${s}`,
    online: `anna-${s}`,
    offline: `boris-${s}`,
    supervisor: `sofia-${s}`,
    stranger: `otto-${s}`,
    maria: `maria-${s}`,
    mariaPhone: '+4915123456789',
    mariaEmail: `maria.${s}@example.com`,
    mariaTelegram: uniqueTelegramChatId(),
    peter: `peter-${s}`,
    peterEmail: `peter.${s}@example.org`,
    olga: `olga-${s}`,
    olgaPhone: uniquePhone(),
    olgaTelegram: uniqueTelegramChatId(),
    supplier: `supplier-${s}`,
    supplierPhone: uniquePhone(),
  };
  await applyConfig(db, {
    operators: [
      { id: ids.online, name: 'Anna Weber', status: 'online' },
      { id: ids.offline, name: 'Boris Petrov', status: 'offline' },
      { id: ids.supervisor, name: 'Sofia Rossi', status: 'online' },
      { id: ids.stranger, name: 'Otto Berg', status: 'online' },
    ],
    liveChats: [
      {
        id: ids.liveChat,
        name: 'Tech Support',
        operators: [ids.online, ids.offline],
        supervisors: [ids.supervisor],
        channels: [
          { id: ids.email, kind: 'email', name: 'support@shop.example' },
          { id: ids.whatsapp, kind: 'whatsapp', name: 'WhatsApp' },
          { id: ids.telegram, kind: 'telegram', name: 'Telegram bot' },
          { id: ids.widget, kind: 'livechat', name: 'Website widget' },
        ],
      },
      { id: ids.otherLiveChat, name: 'Sales', operators: [ids.stranger] },
    ],
    contacts: [
      {
        id: ids.maria,
        name: 'Maria Schmidt',
        accounts: [
          { kind: 'phone', value: ids.mariaPhone },
          { kind: 'telegram', value: ids.mariaTelegram },
        ],
        emails: [{ value: ids.mariaEmail }],
      },
      { id: ids.peter, name: 'Peter Novak', accounts: [{ kind: 'email', value: ids.peterEmail }] },
      {
        id: ids.olga,
        name: 'Olga Ivanova',
        accounts: [
          { kind: 'phone', value: ids.olgaPhone },
          { kind: 'telegram', value: ids.olgaTelegram },
        ],
      },
      {
        id: ids.supplier,
        app: 'suppliers',
        name: 'Parts Supplier Ltd',
        accounts: [{ kind: 'phone', value: ids.supplierPhone }],
      },
    ],
    telegramChats: [{ channelId: ids.telegram, chatId: ids.mariaTelegram }],
  });
  return ids;
}

export type World = Awaited<ReturnType<typeof createWorld>>;

export async function countRows(db: Db): Promise<{ sessions: number; messages: number; contacts: number }> {
  const count = async (table: string) =>
    Number((await db(table).count<{ count: string }[]>('* as count'))[0]?.count ?? 0);
  return {
    sessions: await count('sessions'),
    messages: await count('messages'),
    contacts: await count('contacts'),
  };
}
