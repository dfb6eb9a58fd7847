import type { Knex } from 'knex';
import { getSession } from '../db/sessions';
import type { AccountKind, SessionState } from '../domain/types';

/** What a caller shows about a session a workflow returned the id of. */
export interface SessionSummary {
  id: string;
  name: string;
  state: SessionState;
  channelId: string;
  accountKind: AccountKind;
  /** Normalised: E.164 phone, email address, Telegram chat id. */
  account: string;
  contactId: string | null;
  assignedOperatorId: string | null;
}

export async function getSessionSummary(db: Knex, sessionId: string): Promise<SessionSummary | undefined> {
  const session = await getSession(db, sessionId);
  if (!session) return undefined;
  return {
    id: session.id,
    name: session.name,
    state: session.state,
    channelId: session.channel_id,
    accountKind: session.account_kind,
    account: session.account,
    contactId: session.contact_id,
    assignedOperatorId: session.assigned_operator_id,
  };
}
