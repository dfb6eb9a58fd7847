import type { Knex } from 'knex';
import { sessionHistory, type HistoryEntry } from '../db/messages';
import type { SessionRow } from '../db/rows';
import { getSession } from '../db/sessions';

export interface SessionHistory {
  session: SessionRow;
  messages: HistoryEntry[];
}

/** A session and its messages, as the operators' chat history shows them. */
export async function getHistory(db: Knex, sessionId: string): Promise<SessionHistory | undefined> {
  const session = await getSession(db, sessionId);
  if (!session) return undefined;
  return { session, messages: await sessionHistory(db, sessionId) };
}

function authorOf(message: HistoryEntry): string {
  switch (message.author_kind) {
    case 'operator':
      return `operator ${message.author_name ?? message.author_id ?? '?'}`;
    case 'customer':
      return 'customer';
    case 'process': {
      const onBehalf = message.author_id ? ` for ${message.author_name ?? message.author_id}` : '';
      return `process ${message.process_workflow_id ?? '?'}${onBehalf}`;
    }
  }
}

/** Plain-text rendering of a history for terminals. */
export function formatHistory({ session, messages }: SessionHistory): string {
  const lines = [
    `Session "${session.name}" (${session.state}) with ${session.account} [${session.id}]`,
    ...messages.map((m) => {
      const status = m.status === 'failed' ? `failed: ${m.failure_reason ?? ''}` : m.status;
      return `  ${m.created_at.toISOString()}  ${authorOf(m)}  [${status}]\n    ${m.text.replace(/\n/g, '\n    ')}`;
    }),
  ];
  return lines.join('\n');
}
