import type { Knex } from 'knex';
import { z } from 'zod';
import { InvalidInput, OperatorNotFound } from '../domain/errors';
import { setOperatorPassword } from '../server/operators/passwords';

export const OPERATOR_STATUSES = ['online', 'offline', 'busy'] as const;
export type OperatorStatusValue = (typeof OPERATOR_STATUSES)[number];

const NewOperator = z.strictObject({
  id: z.string().trim().min(1).max(200),
  name: z.string().trim().min(1),
  email: z.email().optional(),
  status: z.enum(OPERATOR_STATUSES).default('offline'),
});

export interface OperatorSummary {
  id: string;
  name: string;
  email: string | null;
  status: OperatorStatusValue;
  /** Whether a password is set (the operator can sign in to the workspace). */
  hasPassword: boolean;
  /** The live chats they serve, with their role in each. */
  liveChats: { liveChatId: string; role: 'operator' | 'supervisor' }[];
}

function invalid(error: z.ZodError): InvalidInput {
  return new InvalidInput(error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
}

/** Creates an operator (`livechat operator add`); an id already taken is `InvalidInput`, nothing changed. */
export async function addOperator(db: Knex, input: z.input<typeof NewOperator>): Promise<OperatorSummary> {
  const parsed = NewOperator.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error);
  const operator = parsed.data;
  const inserted = await db('operators')
    .insert({ id: operator.id, name: operator.name, email: operator.email ?? null, status: operator.status })
    .onConflict('id')
    .ignore()
    .returning('id');
  if (inserted.length === 0)
    throw new InvalidInput({
      path: 'id',
      message: `an operator ${JSON.stringify(operator.id)} exists already`,
    });
  return getOperator(db, operator.id);
}

/** One operator, with whether they have a password and the live chats they serve. */
export async function getOperator(db: Knex, operatorId: string): Promise<OperatorSummary> {
  const row = await db('operators').where({ id: operatorId }).first<{
    id: string;
    name: string;
    email: string | null;
    status: OperatorStatusValue;
    password_hash: string | null;
  }>('id', 'name', 'email', 'status', 'password_hash');
  if (!row) throw new OperatorNotFound({ userId: operatorId });
  const memberships = await db('live_chat_members')
    .where({ operator_id: operatorId })
    .orderBy('live_chat_id')
    .select<{ live_chat_id: string; role: 'operator' | 'supervisor' }[]>('live_chat_id', 'role');
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    status: row.status,
    hasPassword: row.password_hash !== null,
    liveChats: memberships.map((m) => ({ liveChatId: m.live_chat_id, role: m.role })),
  };
}

/** Sets an operator's status (`livechat operator status ID online`). */
export async function setStatus(db: Knex, operatorId: string, status: string): Promise<OperatorSummary> {
  const parsed = z.enum(OPERATOR_STATUSES).safeParse(status);
  if (!parsed.success)
    throw new InvalidInput({ path: 'status', message: `must be one of ${OPERATOR_STATUSES.join(', ')}` });
  const updated = await db('operators').where({ id: operatorId }).update({ status: parsed.data });
  if (updated === 0) throw new OperatorNotFound({ userId: operatorId });
  return getOperator(db, operatorId);
}

/** Sets a password (scrypt) and signs the operator out everywhere; see `setOperatorPassword`. */
export async function setPassword(db: Knex, operatorId: string, password: string): Promise<OperatorSummary> {
  await setOperatorPassword(db, operatorId, password);
  return getOperator(db, operatorId);
}
