import { ApplicationFailure } from '@temporalio/common';
import {
  AccountKindMismatch,
  InvalidInput,
  InvalidPhoneNumber,
  LIVE_CHAT_ERRORS,
  LiveChatError,
  NON_RETRYABLE_ERROR_TYPES,
  OperatorOffline,
  SessionAlreadyOpen,
  isLiveChatError,
  isLiveChatErrorType,
  type LiveChatErrorType,
} from '../../../domain';
import * as errors from '../../../domain/errors';

/** One example of every error; the Record type makes a new error without an example a compile error. */
const examples: Record<LiveChatErrorType, () => LiveChatError> = {
  OperatorOffline: () => new errors.OperatorOffline({ userId: 'u1', liveChatId: 'lc1', status: 'offline' }),
  NotAnOperator: () => new errors.NotAnOperator({ userId: 'u1', liveChatId: 'lc1' }),
  NotAllowedAuthor: () => new errors.NotAllowedAuthor({ userId: 'u1', liveChatId: 'lc1' }),
  AccountKindMismatch: () =>
    new errors.AccountKindMismatch({ channelKind: 'email', expected: 'email', given: 'phone' }),
  InvalidPhoneNumber: () => new errors.InvalidPhoneNumber({ value: '123', reason: 'missing-plus' }),
  InvalidEmail: () => new errors.InvalidEmail({ value: 'x', reason: 'invalid-format' }),
  TelegramChatUnknown: () => new errors.TelegramChatUnknown({ chatId: '42' }),
  TelegramChatBlocked: () =>
    new errors.TelegramChatBlocked({ chatId: '42', blockedAt: '2026-12-04T03:00:00.000Z' }),
  SessionAlreadyOpen: () =>
    new errors.SessionAlreadyOpen({ sessionId: 's1', account: '+4915123456789', channelKind: 'whatsapp' }),
  ChannelCannotInitiate: () => new errors.ChannelCannotInitiate({ channelKind: 'livechat' }),
  LiveChatNotFound: () => new errors.LiveChatNotFound({ liveChatId: 'lc1' }),
  ChannelNotFound: () => new errors.ChannelNotFound({ channelId: 'ch1' }),
  ChannelNotInLiveChat: () => new errors.ChannelNotInLiveChat({ channelId: 'ch1', liveChatId: 'lc1' }),
  ContactNotFound: () => new errors.ContactNotFound({ contactId: 'c1' }),
  ContactHasNoAccount: () => new errors.ContactHasNoAccount({ contactId: 'c1', accountKind: 'phone' }),
  OperatorNotFound: () => new errors.OperatorNotFound({ userId: 'u1' }),
  SessionNotFound: () => new errors.SessionNotFound({ sessionId: 's1' }),
  SessionClosed: () => new errors.SessionClosed({ sessionId: 's1' }),
  SessionAssignedToAnother: () =>
    new errors.SessionAssignedToAnother({ sessionId: 's1', assignedOperatorId: 'anna' }),
  InvalidInput: () => new errors.InvalidInput({ path: 'text', message: 'is required' }),
  MessageTooLong: () => new errors.MessageTooLong({ length: 5000, max: 4096 }),
  EmptyMessage: () => new errors.EmptyMessage(),
  TemplateVariableMissing: () => new errors.TemplateVariableMissing({ variable: 'orderId' }),
  TemplateInvalid: () => new errors.TemplateInvalid({ reason: 'Parse error on line 1' }),
  DeliveryFailed: () =>
    new errors.DeliveryFailed({
      messageId: 'm1',
      sessionId: 's1',
      reason: 'bot was blocked by the user',
      providerCode: '403',
    }),
  AllChannelsFailed: () =>
    new errors.AllChannelsFailed({
      attempts: [
        {
          channelId: 'whatsapp',
          outcome: 'refused',
          refusal: { type: 'DeliveryFailed', message: 'invalid number' },
        },
      ],
    }),
  EmptyAudience: () =>
    new errors.EmptyAudience({ liveChatId: 'lc1', channelId: 'wa', where: { city: 'Berlin' } }),
  BulkNotFound: () => new errors.BulkNotFound({ bulkId: 'bulk-1' }),
  BulkAlreadyFinished: () => new errors.BulkAlreadyFinished({ bulkId: 'bulk-1', state: 'completed' }),
  ScheduledTimeInPast: () =>
    new errors.ScheduledTimeInPast({ sendAt: '2026-01-01T09:00:00.000Z', now: '2026-06-01T09:00:00.000Z' }),
  SendNotScheduled: () => new errors.SendNotScheduled({ workflowId: 'order-1042', status: 'sent' }),
  AttachmentTooLarge: () =>
    new errors.AttachmentTooLarge({
      filename: 'contract.pdf',
      size: 17_000_000,
      limit: 16_000_000,
      scope: 'file',
      limitLabel: '16 MB',
      channelKind: 'whatsapp',
    }),
  AttachmentTypeNotAllowed: () =>
    new errors.AttachmentTypeNotAllowed({
      filename: 'notes.txt',
      contentType: 'text/plain',
      channelKind: 'whatsapp',
      allowed: ['application/pdf'],
    }),
  TooManyAttachments: () => new errors.TooManyAttachments({ count: 2, max: 1, channelKind: 'whatsapp' }),
  AttachmentUnavailable: () =>
    new errors.AttachmentUnavailable({
      url: 'https://files.example/a.pdf',
      reason: 'the server answered 404',
      status: 404,
    }),
};

describe('domain errors', () => {
  test.each(Object.entries(examples))('%s: type, name and class name are the same', (key, make) => {
    const error = make();
    expect(error.type).toBe(key);
    expect(error.name).toBe(key);
    expect(error.constructor.name).toBe(key);
    expect(LIVE_CHAT_ERRORS[key as LiveChatErrorType]).toBe(error.constructor);
  });

  test.each(Object.entries(examples))(
    '%s: is a non-retryable LiveChatError with a sentence for a message',
    (_, make) => {
      const error = make();
      expect(error).toBeInstanceOf(Error);
      expect(isLiveChatError(error)).toBe(true);
      expect(error.nonRetryable).toBe(true);
      expect(error.message).toMatch(/^[A-Z].*\.$/s);
      expect(error.message).not.toContain('undefined');
    },
  );

  test.each(Object.entries(examples))('%s: details survive a JSON round trip unchanged', (_, make) => {
    const { details } = make();
    expect(JSON.parse(JSON.stringify(details))).toEqual(details);
  });

  test('NON_RETRYABLE_ERROR_TYPES lists every error type exactly once', () => {
    expect([...NON_RETRYABLE_ERROR_TYPES].sort()).toEqual(Object.keys(examples).sort());
    expect(new Set(NON_RETRYABLE_ERROR_TYPES).size).toBe(NON_RETRYABLE_ERROR_TYPES.length);
  });

  test('a process sees the class name as the ApplicationFailure type when an activity throws one', () => {
    const failure = ApplicationFailure.fromError(new OperatorOffline({ userId: 'u1', status: 'offline' }));
    expect(failure.type).toBe('OperatorOffline');
    expect(NON_RETRYABLE_ERROR_TYPES).toContain(failure.type);
  });

  test('undefined details are dropped, so the error is the same after serialisation', () => {
    const error = new OperatorOffline({ userId: 'u1', liveChatId: undefined, status: 'offline' });
    expect(error.details).toEqual({ userId: 'u1', status: 'offline' });
    expect(Object.keys(error.details)).not.toContain('liveChatId');
  });

  test('isLiveChatError refuses plain errors and non-errors', () => {
    expect(isLiveChatError(new Error('x'))).toBe(false);
    expect(isLiveChatError({ type: 'OperatorOffline' })).toBe(false);
    expect(isLiveChatError(undefined)).toBe(false);
  });

  test('isLiveChatErrorType recognises failure types and nothing inherited', () => {
    expect(isLiveChatErrorType('SessionAlreadyOpen')).toBe(true);
    expect(isLiveChatErrorType('Error')).toBe(false);
    expect(isLiveChatErrorType('toString')).toBe(false);
    expect(isLiveChatErrorType(42)).toBe(false);
  });

  test('rule 1: an offline operator is told why they cannot start a session', () => {
    expect(new OperatorOffline({ userId: 'anna', status: 'offline' }).message).toBe(
      'Operator "anna" is offline; only an online operator can start a new session.',
    );
  });

  test('rule 4: an account kind mismatch says which kind was expected and which was given', () => {
    const error = new AccountKindMismatch({ channelKind: 'email', expected: 'email', given: 'phone' });
    expect(error.message).toContain('expects an email address (account kind "email")');
    expect(error.message).toContain('a phone number (account kind "phone") was given');
    expect(error.details).toEqual({ channelKind: 'email', expected: 'email', given: 'phone' });
  });

  test('rule 7: a second open messenger session is refused and the error names the open session', () => {
    const error = new SessionAlreadyOpen({
      sessionId: 'sess-42',
      sessionName: 'Anna · WhatsApp',
      account: '+4915123456789',
      channelKind: 'whatsapp',
    });
    expect(error.message).toContain('"sess-42"');
    expect(error.message).toContain('"Anna · WhatsApp"');
    expect(error.details.sessionId).toBe('sess-42');
  });

  test('rule 10: a phone error carries a machine-readable reason and a clear sentence', () => {
    const error = new InvalidPhoneNumber({ value: '4915123456789', reason: 'missing-plus' });
    expect(error.details.reason).toBe('missing-plus');
    expect(error.message).toContain('must start with + and the country code');
  });

  test('InvalidInput lists every issue with its path', () => {
    const error = new InvalidInput([
      { path: 'to', message: 'is required' },
      { path: '', message: 'channelId or a session is needed' },
    ]);
    expect(error.message).toBe('The input is not valid: to: is required; channelId or a session is needed.');
    expect(error.details.issues).toHaveLength(2);
  });
});
