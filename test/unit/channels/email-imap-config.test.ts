import { imapMailboxesOf, imapUrlVariable, parseImapUrl } from '../../../channels/email/imap-config';

test('the variable of a channel: IMAP_URL_ and its id in upper case, other characters as _', () => {
  expect(imapUrlVariable('support-email')).toBe('IMAP_URL_SUPPORT_EMAIL');
  expect(imapUrlVariable('shop.de/inbox')).toBe('IMAP_URL_SHOP_DE_INBOX');
});

test('imaps:// is TLS on 993; imap:// requires STARTTLS on 143 unless tls=none', () => {
  expect(parseImapUrl('V', 'imaps://support%40shop.example:p%40ss@imap.shop.example')).toEqual({
    host: 'imap.shop.example',
    port: 993,
    secure: true,
    starttls: false,
    user: 'support@shop.example',
    password: 'p@ss',
    mailbox: 'INBOX',
  });
  expect(parseImapUrl('V', 'imap://u:p@mail.example:1143/Support%2FIn?processed=Done')).toMatchObject({
    port: 1143,
    secure: false,
    starttls: true,
    mailbox: 'Support/In',
    processedMailbox: 'Done',
  });
  expect(parseImapUrl('V', 'imap://u:p@127.0.0.1:1143/?tls=none')).toMatchObject({ starttls: false });
});

test.each([
  ['not a URL', 'secret-password'],
  ['another scheme', 'https://u:secret-password@host/'],
  ['no password', 'imaps://user@host/'],
  ['tls=none with imaps', 'imaps://u:secret-password@host/?tls=none'],
  ['an unknown parameter', 'imaps://u:secret-password@host/?debug=1'],
])('refused (%s), naming the variable and never the password', (_why, value) => {
  let message = '';
  try {
    parseImapUrl('IMAP_URL_SUPPORT', value);
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toMatch(/^IMAP_URL_SUPPORT: /);
  expect(message).not.toContain('secret-password');
});

test('only the channels with a variable set are read', () => {
  const env = { IMAP_URL_SUPPORT_EMAIL: 'imaps://u:p@h/', IMAP_URL_OTHER: 'imaps://u:p@h/' };
  expect(imapMailboxesOf(['support-email', 'sales-email'], env).map((m) => m.channelId)).toEqual([
    'support-email',
  ]);
});
