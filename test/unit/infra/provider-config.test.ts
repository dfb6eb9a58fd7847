import { createChannelAdapters } from '../../../channels';
import { loadProviderConfig, secretsOf } from '../../../config/providers';

test('a provider left empty is unset, and no adapter is built for it', () => {
  const config = loadProviderConfig({ SMTP_URL: '', TWILIO_ACCOUNT_SID: '', TELEGRAM_BOT_TOKEN: '123:abc' });
  const channels = createChannelAdapters(config);
  expect(Object.keys(channels.adapters).sort()).toEqual(['livechat', 'telegram']);
  expect(channels.unconfigured).toEqual(['email', 'whatsapp']);
});

test('a bad setting names the variable and never echoes its value', () => {
  expect(() => loadProviderConfig({ SMTP_URL: 'not a url with password hunter2' })).toThrow(/SMTP_URL/);
  expect(() => loadProviderConfig({ SMTP_URL: 'not a url with password hunter2' })).not.toThrow(/hunter2/);
});

test('every configured secret is known, including the SMTP password inside its URL', () => {
  const config = loadProviderConfig({
    SMTP_URL: 'smtp://mailer:s%3Dcret@127.0.0.1:2525',
    TWILIO_AUTH_TOKEN: 'twilio-token',
    TELEGRAM_BOT_TOKEN: '42:bot-token',
    EMAIL_WEBHOOK_SECRET: 'a-long-enough-shared-secret',
  });
  expect(secretsOf(config).sort()).toEqual([
    '42:bot-token',
    'a-long-enough-shared-secret',
    's=cret',
    'twilio-token',
  ]);
});
