import {
  ATTACHMENT_LIMITS,
  AttachmentTooLarge,
  AttachmentTypeNotAllowed,
  checkChannelLimits,
  checkInlineSizes,
  InvalidInput,
  MAX_INLINE_FILE_BYTES,
  MAX_INLINE_TOTAL_BYTES,
  TooManyAttachments,
} from '../../../domain';
import { parseSendLiveChatMessageInput } from '../../../domain/inputs';

const base = { liveChatId: 'support', channelId: 'email', to: { account: 'a@example.com' }, text: 'Hi' };

function issuesOf(attachments: unknown): { path: string; message: string }[] {
  try {
    parseSendLiveChatMessageInput({ ...base, attachments });
  } catch (error) {
    if (error instanceof InvalidInput) return error.details.issues;
    throw error;
  }
  throw new Error('expected InvalidInput');
}

describe('attachment input', () => {
  test('inline content and URLs are accepted as given', () => {
    const input = parseSendLiveChatMessageInput({
      ...base,
      attachments: [
        { filename: 'contract.pdf', content: Buffer.from('%PDF-1.7').toString('base64') },
        { url: 'https://files.example/contract.pdf', contentType: 'application/pdf' },
      ],
    });
    expect(input.attachments).toHaveLength(2);
  });

  test.each([
    ['an empty filename', [{ filename: '  ', content: 'QQ==' }], 'attachments.0.filename'],
    ['a path for a filename', [{ filename: '../etc/passwd', content: 'QQ==' }], 'attachments.0.filename'],
    ['a line break in a filename', [{ filename: 'a\nb.pdf', content: 'QQ==' }], 'attachments.0.filename'],
    ['content that is not base64', [{ filename: 'a.txt', content: 'not base64!' }], 'attachments.0.content'],
    ['base64 without its padding', [{ filename: 'a.txt', content: 'QQ' }], 'attachments.0.content'],
    ['inline content without a filename', [{ content: 'QQ==' }], 'attachments.0.filename'],
    [
      'both content and url',
      [{ filename: 'a', content: 'QQ==', url: 'https://x.example/a' }],
      'attachments.0',
    ],
    ['neither content nor url', [{ filename: 'a.txt' }], 'attachments.0'],
    ['an ftp URL', [{ url: 'ftp://files.example/a.pdf' }], 'attachments.0.url'],
    ['not a URL', [{ url: 'contract.pdf' }], 'attachments.0.url'],
    ['a URL with a password', [{ url: 'https://u:secret@files.example/a.pdf' }], 'attachments.0.url'],
    [
      'a malformed media type',
      [{ url: 'https://files.example/a', contentType: 'pdf' }],
      'attachments.0.contentType',
    ],
    ['an unknown field', [{ url: 'https://files.example/a', size: 3 }], 'attachments.0'],
  ])('%s is InvalidInput naming the field', (_, attachments, path) => {
    expect(issuesOf(attachments).map((i) => i.path)).toContain(path);
  });
});

describe('inline limits', () => {
  test('one file over 256 KiB is refused with its name, size and the limit', () => {
    const error = (() => {
      try {
        checkInlineSizes([{ filename: 'big.pdf', size: MAX_INLINE_FILE_BYTES + 1 }]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AttachmentTooLarge);
    expect((error as AttachmentTooLarge).details).toMatchObject({
      filename: 'big.pdf',
      size: MAX_INLINE_FILE_BYTES + 1,
      limit: MAX_INLINE_FILE_BYTES,
      scope: 'inline-file',
    });
    expect((error as Error).message).toContain('give a larger file by url');
  });

  test('files of 256 KiB each are fine up to 1 MiB in all', () => {
    const four = Array.from({ length: 4 }, (_, i) => ({ filename: `f${i}`, size: MAX_INLINE_FILE_BYTES }));
    expect(() => checkInlineSizes(four)).not.toThrow();
    expect(() => checkInlineSizes([...four, { filename: 'f4', size: 1 }])).toThrow(
      expect.objectContaining({
        type: 'AttachmentTooLarge',
        details: expect.objectContaining({ scope: 'inline-total', limit: MAX_INLINE_TOTAL_BYTES }),
      }),
    );
  });

  test('more than 10 files is TooManyAttachments', () => {
    const eleven = Array.from({ length: 11 }, (_, i) => ({ filename: `f${i}`, size: 1 }));
    expect(() => checkInlineSizes(eleven)).toThrow(TooManyAttachments);
  });
});

describe('channel limits', () => {
  const pdf = (size: number, filename = 'contract.pdf') => ({
    filename,
    contentType: 'application/pdf',
    size,
  });

  test('email takes 10 MiB in all', () => {
    expect(() => checkChannelLimits([pdf(10 * 1024 * 1024)], 'email')).not.toThrow();
    expect(() =>
      checkChannelLimits([pdf(6 * 1024 * 1024, 'a.pdf'), pdf(5 * 1024 * 1024, 'b.pdf')], 'email'),
    ).toThrow(
      expect.objectContaining({
        details: expect.objectContaining({ scope: 'total', filename: 'b.pdf', channelKind: 'email' }),
      }),
    );
  });

  test('WhatsApp: one file of at most 16 MB, images at most 5 MB, only the types Twilio lists', () => {
    expect(() => checkChannelLimits([pdf(16_000_000)], 'whatsapp')).not.toThrow();
    expect(() => checkChannelLimits([pdf(16_000_001)], 'whatsapp')).toThrow(
      expect.objectContaining({ message: expect.stringContaining('at most 16 MB') }),
    );
    expect(() => checkChannelLimits([pdf(1, 'a.pdf'), pdf(1, 'b.pdf')], 'whatsapp')).toThrow(
      TooManyAttachments,
    );
    expect(() =>
      checkChannelLimits([{ filename: 'photo.png', contentType: 'image/png', size: 5_000_001 }], 'whatsapp'),
    ).toThrow(
      expect.objectContaining({
        details: expect.objectContaining({ limit: 5_000_000, contentType: 'image/png' }),
      }),
    );
    expect(() =>
      checkChannelLimits(
        [{ filename: 'notes.txt', contentType: 'text/plain; charset=utf-8', size: 10 }],
        'whatsapp',
      ),
    ).toThrow(AttachmentTypeNotAllowed);
  });

  test('Telegram takes documents of up to 50 MB, of any type', () => {
    expect(ATTACHMENT_LIMITS.telegram.maxFileBytes).toBe(50_000_000);
    expect(() =>
      checkChannelLimits(
        [{ filename: 'notes.txt', contentType: 'text/plain', size: 50_000_000 }],
        'telegram',
      ),
    ).not.toThrow();
    expect(() => checkChannelLimits([pdf(50_000_001)], 'telegram')).toThrow(AttachmentTooLarge);
  });
});
