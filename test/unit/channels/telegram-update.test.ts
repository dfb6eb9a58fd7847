import { readTelegramUpdate } from '../../../channels/telegram';
import { startTelegramStandIn } from '../../../dev/sandbox/telegram-stand-in';

const CHANNEL = 'support-telegram';

function textUpdate(message: Record<string, unknown> = {}) {
  return {
    update_id: 5001,
    message: {
      message_id: 17,
      date: 1_764_000_000,
      chat: {
        id: 123456789,
        type: 'private',
        first_name: 'Maria',
        last_name: 'Schmidt',
        username: 'maria_s',
      },
      from: { id: 123456789, is_bot: false, first_name: 'Maria', last_name: 'Schmidt', username: 'maria_s' },
      text: 'Is my order ready?',
      ...message,
    },
  };
}

describe('readTelegramUpdate', () => {
  test('a text message becomes an inbound message from the chat, with a per-chat provider id', () => {
    expect(readTelegramUpdate(CHANNEL, textUpdate())).toEqual({
      kind: 'message',
      updateId: 5001,
      inbound: {
        channelId: CHANNEL,
        from: '123456789',
        text: 'Is my order ready?',
        providerMessageId: '123456789:17',
        sender: { username: 'maria_s', displayName: 'Maria Schmidt' },
        receivedAt: new Date(1_764_000_000_000),
      },
    });
  });

  test('a person without a last name or username', () => {
    const reading = readTelegramUpdate(
      CHANNEL,
      textUpdate({
        chat: { id: 42, type: 'private', first_name: 'Ivan' },
        from: { id: 42, first_name: 'Ivan' },
      }),
    );
    expect(reading).toMatchObject({
      kind: 'message',
      inbound: { from: '42', sender: { displayName: 'Ivan' } },
    });
    if (reading.kind === 'message') expect(reading.inbound.sender).not.toHaveProperty('username');
  });

  test('a photo is recorded by its caption, or by its kind: the person still wrote to the bot', () => {
    const photo = [{ file_id: 'p1', file_unique_id: 'u1', width: 90, height: 90 }];
    expect(
      readTelegramUpdate(CHANNEL, textUpdate({ text: undefined, photo, caption: 'the box' })),
    ).toMatchObject({ kind: 'message', inbound: { text: 'the box' } });
    expect(readTelegramUpdate(CHANNEL, textUpdate({ text: undefined, photo }))).toMatchObject({
      kind: 'message',
      inbound: { text: '[photo]' },
    });
  });

  test('a group message comes from the group chat, named by its title', () => {
    const reading = readTelegramUpdate(
      CHANNEL,
      textUpdate({ chat: { id: -1001234567890, type: 'supergroup', title: 'Shop customers' } }),
    );
    expect(reading).toMatchObject({
      kind: 'message',
      inbound: { from: '-1001234567890', sender: { displayName: 'Shop customers' } },
    });
  });

  test('an edit reads as the new text of the message it changes', () => {
    const message = { ...textUpdate().message, edit_date: 1_764_000_300, text: 'Is my order #1042 ready?' };
    expect(readTelegramUpdate(CHANNEL, { update_id: 7, edited_message: message })).toMatchObject({
      kind: 'edit',
      updateId: 7,
      edit: {
        channelId: CHANNEL,
        providerMessageId: '123456789:17',
        text: 'Is my order #1042 ready?',
        editedAt: new Date(1_764_000_300_000),
      },
    });
  });

  test('a button press reads as a button message in its chat, with the data as text', () => {
    const update = {
      update_id: 8,
      callback_query: {
        id: '4382bfdwdsb323b2d9',
        from: { id: 123456789, is_bot: false, first_name: 'Maria' },
        message: { message_id: 20, date: 1_764_000_000, chat: { id: 123456789, type: 'private' } },
        chat_instance: '-51234',
        data: 'yes',
      },
    };
    expect(readTelegramUpdate(CHANNEL, update)).toMatchObject({
      kind: 'button',
      callbackQueryId: '4382bfdwdsb323b2d9',
      inbound: {
        from: '123456789',
        text: 'yes',
        kind: 'button',
        providerMessageId: 'callback:4382bfdwdsb323b2d9',
      },
    });
    // A game's button has no data: answered, not recorded.
    const { data: _data, ...game } = update.callback_query;
    expect(readTelegramUpdate(CHANNEL, { update_id: 9, callback_query: game })).toMatchObject({
      kind: 'ignored',
      callbackQueryId: '4382bfdwdsb323b2d9',
    });
  });

  test.each([
    ['kicked', true],
    ['member', false],
  ])('my_chat_member %s in a private chat is a block (%s) or an unblock', (status, blocked) => {
    const update = {
      update_id: 10,
      my_chat_member: {
        chat: { id: 42, type: 'private', first_name: 'Ivan' },
        from: { id: 42, first_name: 'Ivan' },
        date: 1_764_000_000,
        old_chat_member: { status: 'member' },
        new_chat_member: { status },
      },
    };
    expect(readTelegramUpdate(CHANNEL, update)).toEqual({
      kind: 'membership',
      updateId: 10,
      change: {
        channelId: CHANNEL,
        chatId: '42',
        blocked,
        at: new Date(1_764_000_000_000),
        sender: { displayName: 'Ivan' },
      },
    });
  });

  test('a chat without a type is a private chat', () => {
    expect(
      readTelegramUpdate(
        CHANNEL,
        textUpdate({ chat: { id: 42, first_name: 'Ivan' }, from: { id: 42, first_name: 'Ivan' } }),
      ),
    ).toMatchObject({ kind: 'message', inbound: { from: '42', sender: { displayName: 'Ivan' } } });
  });

  test('a photo carries its largest size to fetch, a document its name and type', () => {
    const photo = [
      { file_id: 'small', file_unique_id: 's', width: 90, height: 90, file_size: 1_000 },
      { file_id: 'large', file_unique_id: 'l', width: 1280, height: 960, file_size: 90_000 },
    ];
    expect(readTelegramUpdate(CHANNEL, textUpdate({ text: undefined, photo }))).toMatchObject({
      inbound: { files: [{ source: 'large', contentType: 'image/jpeg', size: 90_000 }] },
    });
    const document = {
      file_id: 'doc',
      file_unique_id: 'd',
      file_name: 'a.pdf',
      mime_type: 'application/pdf',
    };
    expect(readTelegramUpdate(CHANNEL, textUpdate({ text: undefined, document }))).toMatchObject({
      inbound: {
        text: '[document]',
        files: [{ source: 'doc', contentType: 'application/pdf', filename: 'a.pdf' }],
      },
    });
  });

  test.each([['a channel post', { update_id: 9, channel_post: textUpdate().message }]])(
    '%s is not a customer writing: ignored',
    (_name, update) => {
      expect(readTelegramUpdate(CHANNEL, update)).toMatchObject({ kind: 'ignored' });
    },
  );

  test('a service message (no text, nothing sent) is ignored', () => {
    expect(
      readTelegramUpdate(CHANNEL, textUpdate({ text: undefined, new_chat_title: 'Renamed' })),
    ).toMatchObject({ kind: 'ignored' });
  });

  test.each([
    ['not an object', 'hello'],
    ['no update_id', { message: textUpdate().message }],
    ['a chat without an id', textUpdate({ chat: { type: 'private' } })],
    ['a chat id of 0', textUpdate({ chat: { id: 0, type: 'private' } })],
    ['a message id that is text', textUpdate({ message_id: '17' })],
    ['no date', textUpdate({ date: undefined })],
  ])('%s is malformed, and says what is wrong', (_name, body) => {
    const reading = readTelegramUpdate(CHANNEL, body);
    expect(reading.kind).toBe('malformed');
    if (reading.kind === 'malformed') expect(reading.problem).not.toBe('');
  });

  test('what the stand-in sends reads back as the message the customer wrote', async () => {
    const standIn = await startTelegramStandIn({ token: '1:t', now: () => 1_764_000_123_000 });
    try {
      const { update } = await standIn.customerWrites(555, 'Hello bot', {
        first_name: 'Olga',
        last_name: 'Ivanova',
        username: 'olga_i',
      });
      expect(readTelegramUpdate(CHANNEL, JSON.parse(JSON.stringify(update)))).toEqual({
        kind: 'message',
        updateId: update.update_id,
        inbound: {
          channelId: CHANNEL,
          from: '555',
          text: 'Hello bot',
          providerMessageId: '555:1',
          sender: { username: 'olga_i', displayName: 'Olga Ivanova' },
          receivedAt: new Date(1_764_000_123_000),
        },
      });
    } finally {
      await standIn.stop();
    }
  });
});
