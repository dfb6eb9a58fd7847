import { randomUUID } from 'node:crypto';
import type { LiveChatsConfig } from '../../db/apply-config';
import type { ChannelKind, SendLiveChatMessageInput } from '../../domain/types';
import { startSendLiveChatMessage } from '../../client';
import type { Sandbox } from '../../dev/sandbox/start-sandbox';
import type { Harness } from './harness';
import { uniquePhone, uniqueTelegramChatId } from './fixtures';

export const PROVIDER_KINDS = ['email', 'whatsapp', 'telegram'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number] & ChannelKind;

/**
 * A live chat with one channel of each provider kind (as the real adapters need them: a sender,
 * a WhatsApp template) and `contacts` customers reachable on all three, for the fault cases and the
 * cluster test that send through the real adapters to the stand-ins. Texts are unique per request,
 * so deliveries can be counted at the stand-ins by text.
 */
export function providerWorld(contactCount: number) {
  const s = randomUUID().slice(0, 8);
  const liveChatId = `faults-${s}`;
  const channelId = (kind: ProviderKind) => `faults-${kind}-${s}`;
  const contacts = Array.from({ length: contactCount }, (_, i) => ({
    id: `faults-${s}-${i}`,
    phone: uniquePhone(),
    email: `faults.${i}.${s}@example.com`,
    chatId: uniqueTelegramChatId(),
  }));
  const config: LiveChatsConfig = {
    liveChats: [
      {
        id: liveChatId,
        name: 'Support',
        channels: [
          {
            id: channelId('email'),
            kind: 'email',
            name: 'Support',
            settings: { from: 'support@shop.example' },
          },
          {
            id: channelId('whatsapp'),
            kind: 'whatsapp',
            name: 'WhatsApp',
            settings: { from: '+14155550100', templateContentSid: 'HX0a1b2c3d4e5f60718293a4b5c6d7e8f9' },
          },
          { id: channelId('telegram'), kind: 'telegram', name: 'Bot' },
        ],
      },
    ],
    contacts: contacts.map((c) => ({
      id: c.id,
      name: 'Customer',
      accounts: [
        { kind: 'phone' as const, value: c.phone },
        { kind: 'telegram' as const, value: c.chatId },
      ],
      emails: [{ value: c.email }],
    })),
    telegramChats: contacts.map((c) => ({ channelId: channelId('telegram'), chatId: c.chatId })),
  };

  /** `count` requests spread over the contacts and the three kinds, each with a text of its own. */
  const requests = (count: number, label: string) =>
    Array.from({ length: count }, (_, i) => {
      const kind = PROVIDER_KINDS[i % PROVIDER_KINDS.length]!;
      const contact = contacts[Math.floor(i / PROVIDER_KINDS.length) % contacts.length]!;
      const text = `${label} ${s}: update ${i + 1} by ${kind}.`;
      const input: SendLiveChatMessageInput = {
        liveChatId,
        channelId: channelId(kind),
        to: { contactId: contact.id },
        text,
        ...(kind === 'email' ? { subject: 'Your order' } : {}),
      };
      return {
        kind,
        text,
        input,
        contactId: contact.id,
        workflowId: `${label.toLowerCase().replace(/\W+/g, '-')}-${s}-${i}`,
      };
    });

  return { liveChatId, contacts, config, requests, channelId };
}

/** Lets the Telegram stand-in know every contact's chat (they wrote to the bot before). */
export function knowTelegramChats(sandbox: Sandbox, world: ReturnType<typeof providerWorld>): void {
  for (const contact of world.contacts) sandbox.telegram.knowChat(contact.chatId, { first_name: 'Customer' });
}

/**
 * One message as a stand-in took it: the channel kind, the text (WhatsApp templates carry it as
 * variable 1), and what the provider identifies it by: the email's Message-ID, the Twilio SID, or
 * Telegram's `chatId:messageId` (as our adapters record them in `provider_message_id`).
 */
export interface Receipt {
  kind: ProviderKind;
  text: string;
  providerId: string;
}

/** Everything the stand-ins took so far, all providers together. */
export function receiptsOf(sandbox: Sandbox): Receipt[] {
  return [
    ...sandbox.smtp.received.map((m) => ({
      kind: 'email' as const,
      text: m.text?.trim() ?? '',
      providerId: m.messageId ?? '',
    })),
    ...sandbox.twilio.received.map((m) => ({
      kind: 'whatsapp' as const,
      text: (JSON.parse(m.contentVariables ?? '{}') as Record<string, string>)['1'] ?? m.body ?? '',
      providerId: m.sid,
    })),
    ...sandbox.telegram.sent.map((m) => ({
      kind: 'telegram' as const,
      text: m.text,
      providerId: `${m.chatId}:${m.messageId}`,
    })),
  ];
}

/** How many times each text reached a stand-in. */
export function deliveriesByText(sandbox: Sandbox): (text: string) => number {
  const counts = new Map<string, number>();
  for (const { text } of receiptsOf(sandbox)) counts.set(text, (counts.get(text) ?? 0) + 1);
  return (text) => counts.get(text) ?? 0;
}

/** Messages the stand-ins hold, all providers together. */
export function deliveredCount(sandbox: Sandbox): number {
  return sandbox.smtp.received.length + sandbox.twilio.received.length + sandbox.telegram.sent.length;
}

/** Starts every request's workflow at once, without waiting for results. */
export async function startAll(
  harness: Harness,
  requests: ReturnType<ReturnType<typeof providerWorld>['requests']>,
): Promise<void> {
  await Promise.all(
    requests.map((r) =>
      startSendLiveChatMessage(harness.client, r.input, {
        taskQueue: harness.taskQueue,
        workflowId: r.workflowId,
      }),
    ),
  );
}

/** What a case counts at its end: message rows in the history, and deliveries per request at the stand-ins. */
export async function outcomeCounts(
  harness: Harness,
  sandbox: Sandbox,
  requests: { text: string }[],
  results: { messageId: string }[],
) {
  await sandbox.twilio.settled();
  const times = deliveriesByText(sandbox);
  const perRequest = requests.map((r) => times(r.text));
  const ids = results.map((r) => r.messageId);
  const rows = await harness.db('messages').whereIn('id', ids);
  return {
    perRequest,
    counts: {
      inHistory: rows.length,
      doubledInHistory: rows.length - new Set(ids).size,
      delivered: perRequest.filter((n) => n >= 1).length,
      doubledAtProvider: perRequest.filter((n) => n > 1).length,
      lost: perRequest.filter((n) => n === 0).length,
    },
  };
}

/** Polls until `done`; a bounded wait for a condition, never a timing assertion. */
export async function waitFor(what: string, timeoutMs: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
