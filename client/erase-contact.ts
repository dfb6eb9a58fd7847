import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { consentKeyFrom } from '../config/consent-key';
import { accountHash, contactHash, type ConsentAccount } from '../db/consent';
import { ContactNotFound } from '../domain/errors';
import { CONTACT_SEARCH_ATTRIBUTE } from '../domain/search-attributes';
import type { AccountKind } from '../domain/types';

/** What an erasure removed or anonymised, by kind; all zero when there was nothing (left) to erase. */
export interface ErasureCounts {
  /** Executions of Temporal that carried the customer and were still running: cancelled first. */
  executionsCancelled: number;
  /** Executions of Temporal that carried the customer, deleted with their histories. */
  executionsDeleted: number;
  /** Messages not sent yet (scheduled, held), cancelled before anything else. */
  sendsCancelled: number;
  sessions: number;
  messages: number;
  /** Stored files no other customer's message shares, deleted. */
  files: number;
  telegramChats: number;
  contactFields: number;
  bulkRecipients: number;
  /** Opt-outs kept as suppression entries (the keyed hash only, the account itself removed). */
  suppressions: number;
  /** Opt-ins removed. */
  optIns: number;
}

export interface ErasureReport {
  contactId: string;
  /** True when the contact had been erased before and nothing was left to do. */
  alreadyErased: boolean;
  counts: ErasureCounts;
}

export interface EraseContactDeps {
  db: Knex;
  /** The Temporal client of the namespace the workflows run in (its data converter need not decode). */
  client: Client;
  /** The consent key (default `LIVECHAT_CONSENT_KEY`). */
  key?: Buffer;
  /** How long a cancelled execution is waited for before it is deleted anyway (default 10 s). */
  cancelWaitMs?: number;
  /**
   * How long the deletions are waited for: Temporal deletes in the background (a dev server takes
   * some 20 seconds). Default 60 s; what is still there then goes on being deleted by Temporal.
   */
  deleteWaitMs?: number;
}

const ZERO: ErasureCounts = {
  executionsCancelled: 0,
  executionsDeleted: 0,
  sendsCancelled: 0,
  sessions: 0,
  messages: 0,
  files: 0,
  telegramChats: 0,
  contactFields: 0,
  bulkRecipients: 0,
  suppressions: 0,
  optIns: 0,
};

/**
 * Erases a customer (a GDPR erasure request): their pending sends are cancelled, then the Temporal
 * executions that carried them (found by the keyed hashes of the `LiveChatContacts` search
 * attribute, never an id or a value) are cancelled when running and deleted with their histories;
 * then, in one transaction, the contact and its fields, the texts, subjects and provider details of
 * every message of their sessions, the files no one else's message shares, their Telegram chats
 * and their bulk recipients' entries are removed or anonymised. An opt-out stays as a suppression
 * entry (its keyed hash only), so re-importing the customer does not lift it. An audit entry
 * records who erased which contact id and when, with the counts. Running it again changes nothing.
 */
export async function eraseContact(
  deps: EraseContactDeps,
  input: { contactId: string; erasedBy: string },
): Promise<ErasureReport> {
  const { db } = deps;
  const key = deps.key ?? consentKeyFrom();
  const contact = await db('contacts').where({ id: input.contactId }).first<{ id: string } | undefined>('id');
  if (!contact) {
    const erased = await db('erasures').where({ contact_id: input.contactId }).first('id');
    if (!erased) throw new ContactNotFound({ contactId: input.contactId });
  }
  const accounts: ConsentAccount[] = contact
    ? await db('contact_fields')
        .where({ contact_id: input.contactId })
        .distinct<{ kind: AccountKind; value: string }[]>('kind', 'value')
        .then((rows) => rows.map((r) => ({ kind: r.kind, value: r.value })))
    : [];
  const sessions: { id: string; account_kind: AccountKind; account: string }[] = contact
    ? await db('sessions')
        .where({ contact_id: input.contactId })
        .orWhere((q) => {
          for (const a of accounts) q.orWhere({ account_kind: a.kind, account: a.value });
          if (accounts.length === 0) q.whereRaw('false');
        })
        .select('id', 'account_kind', 'account')
    : [];
  for (const s of sessions) {
    if (!accounts.some((a) => a.kind === s.account_kind && a.value === s.account))
      accounts.push({ kind: s.account_kind, value: s.account });
  }
  const sessionIds = sessions.map((s) => s.id);
  const counts: ErasureCounts = { ...ZERO };

  // 1. Nothing more goes out to them: their pending messages are cancelled before anything else.
  if (sessionIds.length > 0) {
    counts.sendsCancelled = Number(
      await db('messages')
        .whereIn('session_id', sessionIds)
        .where({ status: 'pending' })
        .update({ status: 'cancelled', dispatch_lease_until: null, updated_at: db.fn.now() }),
    );
  }

  // 2. The executions that carried them: running ones cancelled (their sends stop), then all deleted.
  const tags = [contactHash(key, input.contactId), ...accounts.map((a) => accountHash(key, a))];
  const executions = await executionsTagged(deps.client, tags);
  const running = executions.filter((e) => e.running);
  for (const e of running) {
    await deps.client.workflow
      .getHandle(e.workflowId, e.runId)
      .cancel()
      .catch(() => undefined);
  }
  await waitClosed(deps.client, running, deps.cancelWaitMs ?? 10_000);
  counts.executionsCancelled = running.length;
  for (const e of executions) {
    try {
      await deps.client.workflowService.deleteWorkflowExecution({
        namespace: deps.client.options.namespace,
        workflowExecution: { workflowId: e.workflowId, runId: e.runId },
      });
      counts.executionsDeleted++;
    } catch (error) {
      // Deleted already (a repeated erasure, or visibility not caught up): nothing is left of it.
      if (!isNotFound(error)) throw error;
    }
  }
  // Temporal deletes in the background: the report says deleted once they are gone.
  await waitGone(deps.client, executions, deps.deleteWaitMs ?? 60_000);

  // 3. The database, in one transaction.
  await db.transaction(async (trx) => {
    if (sessionIds.length > 0) {
      const messageIds: string[] = await trx('messages').whereIn('session_id', sessionIds).pluck('id');
      if (messageIds.length > 0) {
        const files: string[] = await trx('message_attachments')
          .whereIn('message_id', messageIds)
          .distinct()
          .pluck('attachment_sha256');
        await trx('message_attachments').whereIn('message_id', messageIds).delete();
        if (files.length > 0) {
          counts.files = Number(
            await trx('attachments')
              .whereIn('sha256', files)
              .whereNotExists((q) =>
                q
                  .select(trx.raw('1'))
                  .from('message_attachments as ma')
                  .whereRaw('ma.attachment_sha256 = attachments.sha256'),
              )
              .delete(),
          );
        }
        await trx('inbound_files').whereIn('message_id', messageIds).delete();
        await trx('message_versions').whereIn('message_id', messageIds).delete();
        counts.bulkRecipients += Number(
          await trx('bulk_recipients')
            .whereIn('message_id', messageIds)
            .update({ recipient: JSON.stringify({ erased: true }), failure_reason: null }),
        );
        counts.messages = Number(
          await trx('messages')
            .whereIn('id', messageIds)
            .update({
              text: '',
              full_text: null,
              subject: null,
              files: '[]',
              whatsapp_template: null,
              failure_reason: trx.raw(`case when status = 'failed' then 'erased' else null end`),
              provider_status_message: null,
              provider_message_id: null,
              // Inbound keys carry the provider's id, which for Telegram holds the chat id.
              idempotency_key: trx.raw(`'erased:' || id`),
              updated_at: trx.fn.now(),
            }),
        );
      }
      counts.sessions = Number(
        await trx('sessions')
          .whereIn('id', sessionIds)
          .update({
            contact_id: null,
            account: trx.raw(`'erased:' || id`),
            name: 'Erased customer',
            state: 'closed',
            closed_at: trx.raw('coalesce(closed_at, now())'),
          }),
      );
    }
    // Bulk entries that named them but made no message (refused before).
    const values = accounts.map((a) => a.value);
    counts.bulkRecipients += Number(
      await trx('bulk_recipients')
        .where((q) => {
          q.whereRaw(`recipient->>'contactId' = ?`, [input.contactId]);
          if (values.length > 0) q.orWhereRaw(`recipient->>'account' = any(?)`, [values]);
        })
        .update({ recipient: JSON.stringify({ erased: true }), failure_reason: null }),
    );
    const telegram = accounts.filter((a) => a.kind === 'telegram').map((a) => a.value);
    if (telegram.length > 0) {
      counts.telegramChats = Number(await trx('telegram_chats').whereIn('chat_id', telegram).delete());
    }
    const hashes = accounts.map((a) => accountHash(key, a));
    if (hashes.length > 0 || values.length > 0) {
      const theirs = (q: Knex.QueryBuilder) =>
        q.where((w) => {
          if (hashes.length > 0) w.whereIn('account_hash', hashes);
          if (values.length > 0) w.orWhereIn('account', values);
        });
      counts.optIns = Number(await theirs(trx('consents')).where({ state: 'opted-in' }).delete());
      // Kept as suppression entries: the keyed hash finds them again, nothing reads the account back.
      counts.suppressions = Number(
        await theirs(trx('consents'))
          .where({ state: 'opted-out' })
          .whereNotNull('account')
          .update({ account: null }),
      );
    }
    if (contact) {
      counts.contactFields = Number(
        await trx('contact_fields').where({ contact_id: input.contactId }).delete(),
      );
      await trx('contacts').where({ id: input.contactId }).delete();
    }
    const changed = contact !== undefined || Object.values(counts).some((n) => n > 0);
    if (changed) {
      await trx('erasures').insert({
        contact_id: input.contactId,
        erased_by: input.erasedBy,
        counts: JSON.stringify(counts),
      });
    }
  });
  return { contactId: input.contactId, alreadyErased: contact === undefined, counts };
}

/** Our workflows that start Send Live Chat Message as a child and hold the same request in their input. */
const PARENT_TYPES: readonly string[] = ['sendWithFallback', 'notifyCustomer'];

/**
 * Every execution, open or closed, whose search attribute holds one of these hashes, and the
 * parents of ours among their parents (Send With Fallback, Notify Customer: their input names the
 * same customer).
 */
async function executionsTagged(client: Client, tags: string[]): Promise<Execution[]> {
  if (tags.length === 0) return [];
  const query = `${CONTACT_SEARCH_ATTRIBUTE} IN (${tags.map((t) => `'${t}'`).join(', ')})`;
  const found = new Map<string, Execution>();
  const parents: { workflowId: string; runId: string }[] = [];
  for await (const e of client.workflow.list({ query })) {
    found.set(e.runId, { workflowId: e.workflowId, runId: e.runId, running: e.status.name === 'RUNNING' });
    const parent = e.parentExecution;
    if (parent?.workflowId && parent.runId)
      parents.push({ workflowId: parent.workflowId, runId: parent.runId });
  }
  for (const parent of parents) {
    if (found.has(parent.runId)) continue;
    const described = await client.workflow
      .getHandle(parent.workflowId, parent.runId)
      .describe()
      .catch(() => undefined);
    if (described && PARENT_TYPES.includes(described.type)) {
      found.set(parent.runId, { ...parent, running: described.status.name === 'RUNNING' });
    }
  }
  return [...found.values()];
}

/** One execution an erasure deletes. */
interface Execution {
  workflowId: string;
  runId: string;
  running: boolean;
}

async function waitClosed(client: Client, executions: Execution[], waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (const e of executions) {
    const handle = client.workflow.getHandle(e.workflowId, e.runId);
    while (Date.now() < deadline) {
      const described = await handle.describe().catch(() => undefined);
      if (!described || described.status.name !== 'RUNNING') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function waitGone(client: Client, executions: Execution[], waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  await Promise.all(
    executions.map(async (e) => {
      const handle = client.workflow.getHandle(e.workflowId, e.runId);
      while (Date.now() < deadline) {
        const gone = await handle.describe().then(
          () => false,
          () => true,
        );
        if (gone) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }),
  );
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 5;
}

/** The report as the CLI prints it: one line per kind that is not zero. */
export function formatErasure(report: ErasureReport): string {
  const lines = Object.entries(report.counts)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `  ${kind}: ${n}`);
  const head = report.alreadyErased
    ? `Contact ${report.contactId} was erased before`
    : `Contact ${report.contactId} erased`;
  return lines.length > 0 ? `${head}:\n${lines.join('\n')}` : `${head}; nothing (left) to erase.`;
}
