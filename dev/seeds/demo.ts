import type { LiveChatsConfig } from '../../db/apply-config';

/**
 * The demo's world: the "Tech Support" live chat bound to the Contacts app, with an email inbox,
 * WhatsApp, a Telegram bot and the website widget; two operators (one online) and a supervisor;
 * two customers.
 */
export const demoConfig: LiveChatsConfig = {
  operators: [
    { id: 'anna', name: 'Anna Weber', email: 'anna@shop.example', status: 'online' },
    { id: 'boris', name: 'Boris Petrov', email: 'boris@shop.example', status: 'offline' },
    { id: 'sofia', name: 'Sofia Rossi', email: 'sofia@shop.example', status: 'online' },
  ],
  liveChats: [
    {
      id: 'tech-support',
      name: 'Tech Support',
      boundApp: 'contacts',
      sessionNameTemplate: '{{contactName}} via {{channel}} ({{date}})',
      operators: ['anna', 'boris'],
      supervisors: ['sofia'],
      channels: [
        {
          id: 'support-email',
          kind: 'email',
          name: 'support@shop.example',
          settings: { from: 'support@shop.example' },
        },
        {
          id: 'support-whatsapp',
          kind: 'whatsapp',
          name: 'WhatsApp +1 415 555 0100',
          // The approved template used outside WhatsApp's 24-hour window ("{{1}}" is the text).
          settings: { from: '+14155550100', templateContentSid: 'HX0a1b2c3d4e5f60718293a4b5c6d7e8f9' },
        },
        {
          id: 'support-telegram',
          kind: 'telegram',
          name: '@ShopSupportBot',
          settings: { botUsername: 'ShopSupportBot' },
        },
        { id: 'support-widget', kind: 'livechat', name: 'Website widget' },
      ],
    },
  ],
  contacts: [
    {
      id: 'maria',
      name: 'Maria Schmidt',
      accounts: [
        { kind: 'phone', value: '+49 151 23456789' },
        { kind: 'telegram', value: '100200300' },
      ],
      emails: [{ value: 'maria.schmidt@example.com' }],
    },
    { id: 'james', name: 'James Miller', accounts: [{ kind: 'phone', value: '+1 (415) 555-0199' }] },
  ],
  telegramChats: [{ channelId: 'support-telegram', chatId: '100200300', displayName: 'Maria Schmidt' }],
};
