import { formatAccountHistory, formatContactHistory, type SessionHistory } from '../../../client/history';
import type { HistoryEntry } from '../../../db/messages';
import type { ContactRow, SessionRow } from '../../../db/rows';

const at = (iso: string): Date => new Date(iso);

function session(id: string, state: SessionRow['state'], name: string): SessionRow {
  return {
    id,
    live_chat_id: 'support',
    channel_id: 'support-whatsapp',
    contact_id: 'maria',
    account_kind: 'phone',
    account: '+4915123456789',
    state,
    exclusive: true,
    assigned_operator_id: null,
    origin: 'process',
    started_by: null,
    name,
    idempotency_key: null,
    opened_at: at('2025-03-01T10:00:00.000Z'),
    closed_at: state === 'closed' ? at('2025-03-01T12:00:00.000Z') : null,
    last_message_at: at('2025-03-01T10:00:00.000Z'),
    last_inbound_at: null,
  };
}

function message(sessionId: string, text: string, overrides: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id: `${sessionId}-m`,
    session_id: sessionId,
    direction: 'outbound',
    author_kind: 'process',
    author_id: null,
    author_name: null,
    process_workflow_id: 'order-1042-ready',
    process_run_id: 'run',
    text,
    full_text: null,
    subject: null,
    files: [],
    attachments: [],
    status: 'sent',
    failure_reason: null,
    provider_message_id: 'p-1',
    idempotency_key: null,
    dispatch_lease_until: null,
    whatsapp_template: null,
    created_at: at('2025-03-02T09:30:00.000Z'),
    updated_at: at('2025-03-02T09:30:00.000Z'),
    sent_at: at('2025-03-02T09:30:00.000Z'),
    scheduled_for: null,
    edited_at: null,
    inbound_kind: null,
    provider_status_message: null,
    provider_error_code: null,
    ...overrides,
  };
}

const contact: ContactRow = {
  id: 'maria',
  app: 'contacts',
  name: 'Maria Schmidt',
  data: {},
  time_zone: null,
  created_at: at('2025-01-01'),
};

const newer: SessionHistory = {
  session: session('s-2', 'open', 'Maria Schmidt'),
  messages: [message('s-2', 'Your order #1043 is ready.')],
};
const older: SessionHistory = {
  session: session('s-1', 'closed', 'Maria Schmidt'),
  messages: [
    message('s-1', 'Hello Maria,\nwe are on it.', {
      author_kind: 'operator',
      author_id: 'anna',
      author_name: 'Anna Weber',
      process_workflow_id: null,
      status: 'failed',
      failure_reason: 'blocked by the user',
    }),
  ],
};

test('a contact history lists every session in the order given (newest first), closed ones too', () => {
  expect(formatContactHistory({ contact, sessions: [newer, older] })).toBe(
    [
      'Contact "Maria Schmidt" [maria]: 2 sessions',
      '',
      'Session "Maria Schmidt" (open) with +4915123456789 [s-2]',
      '  2025-03-02T09:30:00.000Z  process order-1042-ready  [sent]',
      '    Your order #1043 is ready.',
      '',
      'Session "Maria Schmidt" (closed) with +4915123456789 [s-1]',
      '  2025-03-02T09:30:00.000Z  operator Anna Weber  [failed: blocked by the user]',
      '    Hello Maria,',
      '    we are on it.',
    ].join('\n'),
  );
});

test('a contact without sessions says so', () => {
  expect(formatContactHistory({ contact, sessions: [] })).toBe('Contact "Maria Schmidt" [maria]: 0 sessions');
});

test('an account history names the accounts it looked up', () => {
  expect(
    formatAccountHistory({ accounts: [{ kind: 'phone', value: '+4915123456789' }], sessions: [older] }).split(
      '\n',
    )[0],
  ).toBe('Account +4915123456789 (phone): 1 session');
  expect(formatAccountHistory({ accounts: [], sessions: [] })).toBe('Account no valid account: 0 sessions');
});

test('a message with files lists each by name, size and type under its text', () => {
  const withFiles: SessionHistory = {
    session: session('s-3', 'open', 'Maria Schmidt'),
    messages: [
      message('s-3', 'The contract for review.', {
        attachments: [
          {
            position: 0,
            filename: 'contract.pdf',
            contentType: 'application/pdf',
            size: 123456,
            sha256: 'a'.repeat(64),
          },
          { position: 1, filename: 'terms.txt', contentType: 'text/plain', size: 42, sha256: 'b'.repeat(64) },
        ],
      }),
    ],
  };
  expect(
    formatContactHistory({ contact, sessions: [withFiles] })
      .split('\n')
      .slice(-3),
  ).toEqual([
    '    The contract for review.',
    '    attached: contract.pdf (123,456 bytes, application/pdf)',
    '    attached: terms.txt (42 bytes, text/plain)',
  ]);
});
