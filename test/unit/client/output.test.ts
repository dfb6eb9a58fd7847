import {
  EXIT_CODES,
  exitCodeOf,
  failureJson,
  formatBulkProgress,
  formatConfigSummary,
  formatFailure,
  formatInitiated,
  formatSent,
  toJson,
} from '../../../cli/output';
import { InvalidPhoneNumber } from '../../../domain/errors';

const sent = {
  sessionId: '5f0c8a52-0d1f-4c52-9a57-3b8f0d1e2a11',
  messageId: '9d2f3c1a-2b4e-4f6a-8c0d-1e2f3a4b5c6d',
  status: 'sent' as const,
  sessionReused: false,
  workflowId: 'order-1042-ready',
};

describe('formatSent', () => {
  test('says to whom, in which session and with which status', () => {
    expect(formatSent({ ...sent, account: '+4915123456789', sessionName: 'Maria Schmidt' })).toBe(
      'Sent to +4915123456789 in session "Maria Schmidt" (5f0c8a52-0d1f-4c52-9a57-3b8f0d1e2a11): sent',
    );
  });

  test('still gives the session id and status when the session could not be read', () => {
    expect(formatSent({ ...sent, status: 'failed' })).toBe(
      'Sent in session (5f0c8a52-0d1f-4c52-9a57-3b8f0d1e2a11): failed',
    );
  });
});

describe('formatInitiated', () => {
  const started = {
    sessionId: 's-1',
    name: 'Order 1042',
    assignedOperatorId: 'anna',
    contactId: 'maria',
    workflowId: 'w',
  };

  test('names the session, the customer and the operator; the first message status when there is one', () => {
    expect(
      formatInitiated({
        ...started,
        account: 'maria@example.com',
        firstMessage: { messageId: 'm-1', status: 'sent' },
      }),
    ).toBe(
      'Started session "Order 1042" (s-1) with maria@example.com, assigned to anna; first message: sent',
    );
    expect(formatInitiated(started)).toBe('Started session "Order 1042" (s-1), assigned to anna');
  });
});

describe('formatConfigSummary', () => {
  test('counts each kind of thing, singular and plural', () => {
    expect(
      formatConfigSummary('config.yaml', {
        operators: 2,
        liveChats: 1,
        members: 2,
        channels: 3,
        contacts: 1,
        telegramChats: 0,
      }),
    ).toBe(
      'Applied config.yaml: 2 operators, 1 live chat (2 members), 3 channels, 1 contact, 0 Telegram chats',
    );
  });
});

describe('failures', () => {
  const error = new InvalidPhoneNumber({ value: '015123456789', reason: 'missing-plus' });
  const failure = { type: error.type, message: error.message, details: error.details };

  test('the human line starts with the type', () => {
    expect(formatFailure(failure)).toBe(
      'InvalidPhoneNumber: The phone number "015123456789" must start with + and the country code, ' +
        'in full international format (for example +4915123456789).',
    );
  });

  test('the JSON is { error: { type, message, details } } and survives a round trip', () => {
    expect(JSON.parse(toJson(failureJson(failure)))).toEqual({
      error: {
        type: 'InvalidPhoneNumber',
        message: error.message,
        details: { value: '015123456789', reason: 'missing-plus' },
      },
    });
  });

  test('refusals exit 2, anything else 1', () => {
    expect(exitCodeOf({ ...failure, refusal: true })).toBe(2);
    expect(exitCodeOf({ type: 'TransportError', message: 'down', details: null, refusal: false })).toBe(1);
    expect(EXIT_CODES).toEqual({ ok: 0, unexpected: 1, refused: 2 });
  });
});

describe('toJson', () => {
  test('writes dates as ISO strings', () => {
    expect(toJson({ at: new Date('2025-01-02T03:04:05.000Z') })).toBe(
      '{\n  "at": "2025-01-02T03:04:05.000Z"\n}',
    );
  });
});

describe('formatBulkProgress', () => {
  const progress = {
    bulkId: 'spring-sale',
    total: 10_000,
    sent: 9_000,
    failed: 12,
    scheduled: 0,
    pending: 988,
    failuresByType: { TelegramChatUnknown: 2, ContactHasNoAccount: 10 },
    continuedAsNew: 3,
  };
  test('running: counts, and the refusals by reason, most frequent first', () => {
    expect(formatBulkProgress({ ...progress, state: 'running' })).toBe(
      'Bulk spring-sale running: 10000 recipients, 9000 sent, 12 failed (ContactHasNoAccount 10, TelegramChatUnknown 2), 988 pending',
    );
  });
  test('cancelled: those never sent are called cancelled, not pending', () => {
    expect(formatBulkProgress({ ...progress, state: 'cancelled', failed: 0, failuresByType: {} })).toBe(
      'Bulk spring-sale cancelled: 10000 recipients, 9000 sent, 0 failed, 988 cancelled',
    );
  });
});
