import {
  bulkInputFromOptions,
  attachmentsFromOptions,
  historyQueryFromOptions,
  initiateInputFromOptions,
  parseVariables,
  sendInputFromOptions,
  UsageError,
} from '../../../cli/inputs';

const base = { liveChat: 'support', channel: 'support-whatsapp', text: 'Order {{number}} is ready' };

describe('sendInputFromOptions', () => {
  test('a contact with a field, variables, an author and a subject', () => {
    expect(
      sendInputFromOptions({
        ...base,
        contact: 'maria',
        field: 'mobile',
        var: ['number=1042', 'note=a=b'],
        as: 'anna',
        subject: 'Your order',
      }),
    ).toEqual({
      liveChatId: 'support',
      channelId: 'support-whatsapp',
      to: { contactId: 'maria', field: 'mobile' },
      text: 'Order {{number}} is ready',
      subject: 'Your order',
      variables: { number: '1042', note: 'a=b' },
      author: { kind: 'user', userId: 'anna' },
    });
  });

  test('an account or a session, with nothing optional', () => {
    expect(sendInputFromOptions({ ...base, account: '+4915123456789' })).toEqual({
      liveChatId: 'support',
      channelId: 'support-whatsapp',
      to: { account: '+4915123456789' },
      text: 'Order {{number}} is ready',
    });
    expect(sendInputFromOptions({ ...base, session: 's-1', reuseOpenSession: true }).to).toEqual({
      sessionId: 's-1',
    });
  });

  test('exactly one recipient', () => {
    expect(() => sendInputFromOptions(base)).toThrow(
      new UsageError('give one of --contact, --account, --session'),
    );
    expect(() => sendInputFromOptions({ ...base, contact: 'maria', account: '+4915123456789' })).toThrow(
      new UsageError('give only one of --contact, --account'),
    );
  });

  test('--field only with --contact', () => {
    expect(() => sendInputFromOptions({ ...base, account: '+4915123456789', field: 'mobile' })).toThrow(
      new UsageError('--field goes with --contact'),
    );
  });
});

describe('parseVariables', () => {
  test('none is undefined; a pair without a key or "=" is a usage error', () => {
    expect(parseVariables([])).toBeUndefined();
    expect(parseVariables(['a='])).toEqual({ a: '' });
    expect(() => parseVariables(['number'])).toThrow(UsageError);
    expect(() => parseVariables(['=1042'])).toThrow('--var takes key=value, not "=1042"');
  });
});

describe('initiateInputFromOptions', () => {
  const start = { liveChat: 'support', operator: 'anna', channel: 'support-email' };

  test('a new contact with its accounts, a subject and a first message', () => {
    expect(
      initiateInputFromOptions({
        ...start,
        newContact: 'Jonas Weber',
        phone: '+4915123456789',
        email: 'jonas@example.com',
        telegram: '123456',
        subject: 'Your repair',
        message: 'Hello Jonas',
      }),
    ).toEqual({
      liveChatId: 'support',
      operatorId: 'anna',
      channelId: 'support-email',
      customer: {
        newContact: {
          name: 'Jonas Weber',
          accounts: [
            { kind: 'phone', value: '+4915123456789' },
            { kind: 'telegram', value: '123456' },
          ],
          emails: ['jonas@example.com'],
        },
      },
      subject: 'Your repair',
      firstMessage: 'Hello Jonas',
    });
  });

  test('a contact or an account', () => {
    expect(initiateInputFromOptions({ ...start, contact: 'maria', field: 'work' }).customer).toEqual({
      contactId: 'maria',
      field: 'work',
    });
    expect(initiateInputFromOptions({ ...start, account: 'maria@example.com' }).customer).toEqual({
      account: 'maria@example.com',
    });
  });

  test('exactly one customer; --phone and friends only with --new-contact', () => {
    expect(() => initiateInputFromOptions(start)).toThrow(
      new UsageError('give one of --contact, --account, --new-contact'),
    );
    expect(() => initiateInputFromOptions({ ...start, contact: 'maria', phone: '+4915123456789' })).toThrow(
      new UsageError('--phone goes with --new-contact'),
    );
  });
});

describe('historyQueryFromOptions', () => {
  test('exactly one of --session, --contact, --account', () => {
    expect(historyQueryFromOptions({ contact: 'maria' })).toEqual({ contact: 'maria' });
    expect(historyQueryFromOptions({ session: 's-1' })).toEqual({ session: 's-1' });
    expect(historyQueryFromOptions({ account: '+4915123456789' })).toEqual({ account: '+4915123456789' });
    expect(() => historyQueryFromOptions({})).toThrow(UsageError);
    expect(() => historyQueryFromOptions({ session: 's-1', contact: 'maria' })).toThrow(
      'give only one of --session, --contact',
    );
  });
});

describe('bulkInputFromOptions', () => {
  const bulk = {
    liveChat: 'support',
    channel: 'support-whatsapp',
    text: 'Sale!',
    contact: [],
    account: [],
    where: [],
  };
  const noFiles = (file: string): string => {
    throw new Error(`read ${file}`);
  };

  test('contacts and accounts given one by one, in that order, with a concurrency', () => {
    expect(
      bulkInputFromOptions(
        { ...bulk, contact: ['maria', 'olga'], account: ['+4915123456789'], concurrency: '5' },
        noFiles,
      ),
    ).toEqual({
      liveChatId: 'support',
      channelId: 'support-whatsapp',
      text: 'Sale!',
      audience: {
        recipients: [{ contactId: 'maria' }, { contactId: 'olga' }, { account: '+4915123456789' }],
      },
      concurrency: 5,
    });
  });

  test('a file of accounts: one per line, blank lines and # comments skipped', () => {
    const input = bulkInputFromOptions({ ...bulk, accountsFile: 'list.txt' }, (file) =>
      file === 'list.txt' ? '# customers\r\n+4915123456789\n\n  maria@example.com \n' : '',
    );
    expect(input.audience).toEqual({
      recipients: [{ account: '+4915123456789' }, { account: 'maria@example.com' }],
    });
  });

  test('--all with --where is a query over the bound app', () => {
    expect(
      bulkInputFromOptions({ ...bulk, all: true, where: ['city=Berlin', 'tier=gold'] }, noFiles).audience,
    ).toEqual({
      query: { where: { city: 'Berlin', tier: 'gold' } },
    });
    expect(bulkInputFromOptions({ ...bulk, all: true }, noFiles).audience).toEqual({ query: {} });
  });

  test.each([
    [{}, 'give the recipients'],
    [{ all: true, contact: ['maria'] }, 'give only one of --contact/--account, --all'],
    [{ contactsFile: 'a', accountsFile: 'b' }, 'give only one of --contacts-file, --accounts-file'],
    [{ contact: ['maria'], where: ['city=Berlin'] }, '--where goes with --all'],
    [{ all: true, where: ['city'] }, '--where takes key=value'],
    [{ contact: ['maria'], concurrency: 'many' }, '--concurrency takes a whole number'],
  ])('refused: %j', (options, message) => {
    expect(() => bulkInputFromOptions({ ...bulk, ...options }, noFiles)).toThrow(UsageError);
    expect(() => bulkInputFromOptions({ ...bulk, ...options }, noFiles)).toThrow(message);
  });
});

describe('--attach', () => {
  const files: Record<string, Buffer> = {
    '/tmp/contract.pdf': Buffer.from('%PDF-1.7 contract'),
    '/tmp/big.bin': Buffer.alloc(256 * 1024 + 1),
  };
  const readFile = (path: string): Buffer => {
    const file = files[path];
    if (!file) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return file;
  };

  test('a path is read and sent inline under its base name; a URL is passed on for the worker to fetch', () => {
    expect(
      attachmentsFromOptions(['/tmp/contract.pdf', 'https://files.example/terms.pdf'], readFile),
    ).toEqual([
      { filename: 'contract.pdf', content: Buffer.from('%PDF-1.7 contract').toString('base64') },
      { url: 'https://files.example/terms.pdf' },
    ]);
    expect(attachmentsFromOptions([], readFile)).toBeUndefined();
  });

  test('a missing file is a UsageError; a file over the inline limit is AttachmentTooLarge, before anything starts', () => {
    expect(() => attachmentsFromOptions(['/tmp/missing.pdf'], readFile)).toThrow(UsageError);
    expect(() => attachmentsFromOptions(['/tmp/big.bin'], readFile)).toThrow(
      expect.objectContaining({ type: 'AttachmentTooLarge' }),
    );
  });
});
