import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
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
  isRefusalType,
  liveChatErrorOf,
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
  ProviderUnavailable: () =>
    new errors.ProviderUnavailable({ messageId: 'm1', reason: 'Service Unavailable', retryAfterMs: 7000 }),
  DispatchInProgress: () => new errors.DispatchInProgress({ messageId: 'm1' }),
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
  UnsubscribeLinkInvalid: () => new errors.UnsubscribeLinkInvalid(),
  NotASupervisor: () => new errors.NotASupervisor({ userId: 'anna', action: 'erase a customer' }),
  RecipientOptedOut: () =>
    new errors.RecipientOptedOut({
      liveChatId: 'lc1',
      reason: 'opted-out',
      method: 'keyword',
      optedOutAt: '2026-06-01T09:00:00.000Z',
    }),
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

  /** The catalogue's only retryable errors: a provider down for now, a send another attempt is doing. */
  const RETRYABLE: LiveChatErrorType[] = ['ProviderUnavailable', 'DispatchInProgress'];

  test.each(Object.entries(examples))(
    '%s: is a LiveChatError, retryable only when transient, with a sentence for a message',
    (key, make) => {
      const error = make();
      expect(error).toBeInstanceOf(Error);
      expect(isLiveChatError(error)).toBe(true);
      expect(error.nonRetryable).toBe(!RETRYABLE.includes(key as LiveChatErrorType));
      expect(error.message).toMatch(/^[A-Z].*\.$/s);
      expect(error.message).not.toContain('undefined');
    },
  );

  test.each(Object.entries(examples))(
    "%s: has an HTTP status and a title for the operators' page, on the class and the error",
    (key, make) => {
      const error = make();
      const entry = LIVE_CHAT_ERRORS[key as LiveChatErrorType];
      expect(Number.isInteger(entry.status)).toBe(true);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
      expect(entry.title).toMatch(/^[A-Z].*\.$/);
      expect(entry.title.length).toBeLessThan(60);
      expect({ status: error.status, title: error.title }).toEqual({
        status: entry.status,
        title: entry.title,
      });
    },
  );

  test.each(Object.entries(examples))(
    '%s: its ApplicationFailure carries type, message and details, and a client gets the same error back',
    (key, make) => {
      const error = make();
      const failure = error.toFailure();
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({
        type: key,
        message: error.message,
        nonRetryable: error.nonRetryable,
      });
      expect(failure.details).toEqual([error.details]);
      // What a client decodes: the details after Temporal's JSON converter.
      const revived = liveChatErrorOf({
        type: failure.type,
        details: JSON.parse(JSON.stringify(failure.details)) as unknown[],
      });
      expect(revived).toBeInstanceOf(LIVE_CHAT_ERRORS[key as LiveChatErrorType]);
      expect(revived).toMatchObject({ type: key, message: error.message, details: error.details });
    },
  );

  test('a retryable failure waits as the provider asked before the next attempt', () => {
    expect(examples.ProviderUnavailable().toFailure()).toMatchObject({
      nonRetryable: false,
      nextRetryDelay: 7000,
    });
    const unknownWait = new errors.ProviderUnavailable({ messageId: 'm1', reason: 'timeout' }).toFailure();
    expect(unknownWait.nextRetryDelay).toBeUndefined();
  });

  test('liveChatErrorOf leaves types outside the catalogue and failures without details alone', () => {
    expect(liveChatErrorOf({ type: 'SomethingElse', details: [{}] })).toBeUndefined();
    expect(liveChatErrorOf({ type: 'SendNotScheduled', details: [] })).toBeUndefined();
    expect(liveChatErrorOf({ type: 'SendNotScheduled', details: null })).toBeUndefined();
  });

  test.each(Object.entries(examples))('%s: details survive a JSON round trip unchanged', (_, make) => {
    const { details } = make();
    expect(JSON.parse(JSON.stringify(details))).toEqual(details);
  });

  test('NON_RETRYABLE_ERROR_TYPES lists every error type but the retryable ones, exactly once', () => {
    expect([...NON_RETRYABLE_ERROR_TYPES].sort()).toEqual(
      Object.keys(examples)
        .filter((type) => !RETRYABLE.includes(type as LiveChatErrorType))
        .sort(),
    );
    expect(new Set(NON_RETRYABLE_ERROR_TYPES).size).toBe(NON_RETRYABLE_ERROR_TYPES.length);
    expect(RETRYABLE.map(isRefusalType)).toEqual([false, false]);
    expect(isRefusalType('DeliveryFailed')).toBe(true);
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

  test('InvalidInput always lists its issues, however many were given', () => {
    expect(new InvalidInput({ path: '', message: 'expected an object' }).details).toEqual({
      issues: [{ path: '', message: 'expected an object' }],
    });
    expect(new InvalidInput({ path: 'to', message: 'is required' }).toFailure().details).toEqual([
      { issues: [{ path: 'to', message: 'is required' }] },
    ]);
  });

  test('no failure is built by hand outside the catalogue (domain/errors.ts)', () => {
    const root = join(__dirname, '../../..');
    const shipped = [
      'activities',
      'channels',
      'cli',
      'client',
      'codec',
      'config',
      'db',
      'domain',
      'inbound',
      'infra',
      'server',
      'worker',
      'workflows',
    ];
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? files(join(dir, entry.name))
          : /\.(ts|js)$/.test(entry.name)
            ? [join(dir, entry.name)]
            : [],
      );
    const byHand =
      /ApplicationFailure\s*\.\s*(create|nonRetryable|retryable|fromError)\s*\(|new\s+ApplicationFailure\s*\(/;
    const sources = [...shipped.flatMap((dir) => files(join(root, dir))), join(root, 'index.ts')].map(
      (file) => relative(root, file),
    );
    expect(sources).toContain('domain/errors.ts');
    expect(sources.length).toBeGreaterThan(50);
    const offenders = sources.filter(
      (file) => file !== 'domain/errors.ts' && byHand.test(readFileSync(join(root, file), 'utf8')),
    );
    expect(offenders).toEqual([]);
    expect(byHand.test(readFileSync(join(root, 'domain/errors.ts'), 'utf8'))).toBe(true);
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
