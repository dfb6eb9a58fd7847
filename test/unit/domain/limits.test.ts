import {
  EmptyMessage,
  InvalidInput,
  MAX_MESSAGE_TEXT_LENGTH,
  MAX_SUBJECT_LENGTH,
  MessageTooLong,
  channelRules,
  validateMessageText,
  validateSubject,
} from '../../../domain';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('message limits', () => {
  test.each(['', ' ', '\n\t  \r\n'])('an empty or blank message (%j) is refused', (text) => {
    expect(thrown(() => validateMessageText(text))).toBeInstanceOf(EmptyMessage);
  });

  test('text is returned unchanged, including indentation and line breaks', () => {
    const text = '  Order #1042\r\n\tis ready.\n';
    expect(validateMessageText(text)).toBe(text);
  });

  test('a message of exactly the limit passes; one character more is MessageTooLong', () => {
    expect(MAX_MESSAGE_TEXT_LENGTH).toBe(4096);
    expect(() => validateMessageText('a'.repeat(4096))).not.toThrow();
    const error = thrown(() => validateMessageText('a'.repeat(4097)));
    expect(error).toBeInstanceOf(MessageTooLong);
    expect((error as MessageTooLong).details).toEqual({ length: 4097, max: 4096 });
    expect((error as MessageTooLong).message).toContain('the most this channel accepts is 4096');
  });

  test('a channel’s own limit applies (WhatsApp through Twilio: 1600)', () => {
    const max = channelRules('whatsapp').maxTextLength;
    expect(() => validateMessageText('a'.repeat(1600), max)).not.toThrow();
    expect(thrown(() => validateMessageText('a'.repeat(1601), max))).toBeInstanceOf(MessageTooLong);
  });

  test.each(['\u0000', '\u0007', '\u001b[31m', '\u007f', '\u0085'])(
    'control character %j is refused',
    (c) => {
      const error = thrown(() => validateMessageText(`Hello ${c} world`));
      expect(error).toBeInstanceOf(InvalidInput);
      expect((error as InvalidInput).message).toMatch(/control character U\+[0-9A-F]{4} at position 6/);
    },
  );

  test('emoji and other scripts are fine', () => {
    expect(validateMessageText('Заказ готов 🎉 طلبك جاهز')).toBe('Заказ готов 🎉 طلبك جاهز');
  });
});

describe('subject limits (rule 5)', () => {
  test('a blank subject means none, so the template names the session', () => {
    expect(validateSubject(undefined)).toBeUndefined();
    expect(validateSubject(null)).toBeUndefined();
    expect(validateSubject('   ')).toBeUndefined();
  });

  test('a subject is trimmed', () => {
    expect(validateSubject('  Your order  ')).toBe('Your order');
  });

  test('a subject with a line break is refused: it would inject a mail header', () => {
    const error = thrown(() => validateSubject('Hi\r\nBcc: everyone@example.com'));
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as InvalidInput).details.issues[0]?.path).toBe('subject');
  });

  test('a subject longer than the limit is refused', () => {
    expect(validateSubject('a'.repeat(MAX_SUBJECT_LENGTH))).toHaveLength(255);
    expect(thrown(() => validateSubject('a'.repeat(MAX_SUBJECT_LENGTH + 1)))).toBeInstanceOf(InvalidInput);
  });
});
