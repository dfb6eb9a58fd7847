import { Context } from '@temporalio/activity';
import type { ChannelAdapters } from '../channels/adapter';
import {
  bulkRecipientsAfter,
  cancelHeldRecipients,
  finishBulkRun,
  heldRecipientsDue,
  recordBulkOutcomes,
  type BulkOutcome,
} from '../db/bulk-runs';
import type { Db } from '../db/knex';
import { cancelPendingMessage } from '../db/messages';
import type { BulkRecipient, ChannelKind, DeliveryStatus } from '../domain/types';
import { silentLogger, type Logger } from '../infra/logger';
import type { LiveChatMetrics } from '../infra/metrics';
import type { HostAllowList } from '../infra/url-hosts';
import { consentKeyFrom } from '../config/consent-key';
import { contactTagsOfRequest } from './contact-tags';
import { dispatchMessage, type DispatchResult } from './dispatch-message';
import { asProcessFailure } from './failures';
import { planBulk, type PlanBulkInput, type PlannedBulk } from './plan-bulk';
import { sharedRateGate } from './rate-gate';
import { sendBulkPage, type BulkPageInput, type BulkPageProgress } from './send-bulk-page';
import { prepareMessage, type PrepareMessageInput, type PreparedMessage } from './prepare-message';
import {
  recordOperatorReply,
  type RecordedReply,
  type RecordOperatorReplyInput,
} from './record-operator-reply';
import {
  startOperatorSession,
  type StartedSession,
  type StartOperatorSessionInput,
} from './start-operator-session';

export interface ActivityDeps {
  db: Db;
  channels: ChannelAdapters;
  /** Injected so tests can fix the time; defaults to the wall clock. */
  clock?: () => Date;
  /**
   * The process's structured logger (`createLogger()`); default: none. Inside an activity its lines
   * carry the workflow id, the activity and the attempt; the steps add message and session ids.
   */
  logger?: Logger;
  /** Our Prometheus series (`createMetrics()`); default: not counted. */
  metrics?: LiveChatMetrics;
  /** Hosts attachments given by URL may be fetched from (`ATTACHMENT_URL_HOSTS`); default: none. */
  attachmentUrlHosts?: HostAllowList;
  /** Attempts of the prepare step after which a file server that keeps failing refuses the message (default 10, about 3 minutes). */
  attachmentFetchAttempts?: number;
  /**
   * Messages per second per channel kind, held across every worker by a token bucket in the
   * database (activities/rate-gate.ts): what a bulk's pages keep to, and single sends too.
   */
  rateLimits?: Partial<Record<ChannelKind, number>>;
  /** A bulk page's time budget and in-page retry (activities/send-bulk-page.ts); tests shorten them. */
  bulkPage?: { budgetMs?: number; inPageRetryMs?: number };
  /**
   * The namespace has the `LiveChatContacts` search attribute (domain/search-attributes.ts): the
   * steps return the keyed hashes of the customer, and the workflows carry them, so that an erasure
   * finds their executions. Default: off (a workflow setting an unregistered attribute would fail).
   */
  contactSearchAttribute?: boolean | (() => boolean);
  /** The key of the keyed hashes (`LIVECHAT_CONSENT_KEY`); default: from the environment. */
  consentKey?: Buffer;
}

const DEFAULT_FETCH_ATTEMPTS = 10;

/** The logger with the running activity's ids, when there is one (not when a step is called directly). */
function activityLogger(logger: Logger): Logger {
  let info;
  try {
    info = Context.current().info;
  } catch {
    return logger;
  }
  return logger.child({
    workflowId: info.workflowExecution?.workflowId,
    runId: info.workflowExecution?.runId,
    activityType: info.activityType,
    attempt: info.attempt,
  });
}

/** Set when this activity attempt is the `limit`-th or later. */
function lastAttempt(limit: number): { attempt: number } | undefined {
  const { attempt } = Context.current().info;
  return attempt >= limit ? { attempt } : undefined;
}

/**
 * The activities the worker registers, built from their dependencies. Workflows see only their types
 * (`import type * as activities`), so nothing here is bundled into workflow code.
 */
export function createActivities(deps: ActivityDeps) {
  const clock = deps.clock ?? (() => new Date());
  const logger = deps.logger ?? silentLogger;
  const metrics = deps.metrics;
  const gates = sharedRateGate(deps.db, deps.rateLimits ?? {});
  /** The rate of the dispatch queue this attempt runs on. */
  const gate = () => gates(Context.current().info.taskQueue);
  const consentKey = deps.consentKey ?? consentKeyFrom();
  const contactAttributeOn = (): boolean =>
    typeof deps.contactSearchAttribute === 'function'
      ? deps.contactSearchAttribute()
      : deps.contactSearchAttribute === true;
  /**
   * The result with the customer's keyed hashes, for the workflow's search attribute, when it is on:
   * read from the request (a contact id or an account value costs no query; a session, one).
   */
  const tagged = async <R extends object>(
    result: R,
    request: { to?: unknown },
  ): Promise<R & { contactTags?: string[] }> =>
    contactAttributeOn()
      ? { ...result, contactTags: await contactTagsOfRequest(deps.db, request, consentKey) }
      : result;
  return {
    prepareMessage: (input: PrepareMessageInput): Promise<PreparedMessage & { contactTags?: string[] }> =>
      asProcessFailure(async () =>
        tagged(
          await prepareMessage(
            deps.db,
            input,
            clock(),
            {
              allowedHosts: deps.attachmentUrlHosts ?? [],
              lastAttempt: lastAttempt(deps.attachmentFetchAttempts ?? DEFAULT_FETCH_ATTEMPTS),
            },
            consentKey,
          ),
          { to: input.to },
        ),
      ),
    /**
     * The customer's keyed hashes for a request that was refused before it made a session (its
     * history still holds who it was for): what the contact search attribute carries. Never fails.
     */
    contactTagsOf: async (input: { to?: unknown; customer?: unknown }): Promise<string[]> => {
      if (!contactAttributeOn()) return [];
      try {
        return await contactTagsOfRequest(deps.db, input, consentKey);
      } catch {
        return [];
      }
    },
    dispatchMessage: (input: { messageId: string }): Promise<DispatchResult> =>
      asProcessFailure(() =>
        dispatchMessage(
          deps.db,
          deps.channels,
          input.messageId,
          clock,
          () => Context.current().heartbeat(),
          { logger: activityLogger(logger), ...(metrics ? { metrics } : {}) },
          gate(),
        ),
      ),
    /** A page of a bulk's recipients prepared and dispatched, resuming at the last attempt's checkpoint. */
    sendBulkPage: (input: BulkPageInput): Promise<BulkPageProgress> => {
      const context = Context.current();
      return asProcessFailure(() =>
        sendBulkPage(
          {
            db: deps.db,
            channels: deps.channels,
            clock,
            gate: gate(),
            telemetry: { logger: activityLogger(logger), ...(metrics ? { metrics } : {}) },
            resumeFrom: context.info.heartbeatDetails as BulkPageProgress | undefined,
            checkpoint: (progress) => context.heartbeat(progress),
            signal: context.cancellationSignal,
            budgetMs: deps.bulkPage?.budgetMs,
            inPageRetryMs: deps.bulkPage?.inPageRetryMs,
          },
          input,
        ),
      );
    },
    startOperatorSession: (
      input: StartOperatorSessionInput,
    ): Promise<StartedSession & { contactTags?: string[] }> =>
      asProcessFailure(async () => {
        const started = await startOperatorSession(deps.db, input, clock());
        // A contact made on the spot has its id only now.
        return tagged(started, { to: started.contactId ? { contactId: started.contactId } : input.customer });
      }),
    recordOperatorReply: (
      input: RecordOperatorReplyInput,
    ): Promise<RecordedReply & { contactTags?: string[] }> =>
      asProcessFailure(async () =>
        tagged(await recordOperatorReply(deps.db, input, clock()), { to: { sessionId: input.sessionId } }),
      ),
    /** A scheduled message cancelled before its time: marked so, unless it has gone already. */
    cancelScheduledMessage: (input: { messageId: string }): Promise<{ status: DeliveryStatus }> =>
      cancelPendingMessage(deps.db, input.messageId),
    planBulk: (input: PlanBulkInput): Promise<PlannedBulk> =>
      asProcessFailure(() => planBulk(deps.db, input)),
    /** The next page of a bulk run's audience. */
    bulkRecipientsAfter: (input: {
      bulkId: string;
      after: number;
      limit: number;
    }): Promise<{ position: number; recipient: BulkRecipient }[]> =>
      bulkRecipientsAfter(deps.db, input.bulkId, input.after, input.limit),
    /** A bulk run's recipients held for quiet hours whose time has come, or when the next one's does. */
    heldRecipientsDue: (input: {
      bulkId: string;
      limit: number;
    }): Promise<{ due: { position: number; messageId: string }[]; nextAt: string | null }> =>
      heldRecipientsDue(deps.db, input.bulkId, input.limit),
    cancelHeldRecipients: (input: { bulkId: string }): Promise<{ cancelled: number }> =>
      cancelHeldRecipients(deps.db, input.bulkId),
    recordBulkOutcomes: async (input: { bulkId: string; outcomes: BulkOutcome[] }): Promise<void> => {
      // Counted as recorded: a retried page changes nothing and counts nothing.
      const changed = await recordBulkOutcomes(deps.db, input.bulkId, input.outcomes);
      for (const status of changed) metrics?.bulkRecipients.inc({ status });
      activityLogger(logger).debug(
        { bulkId: input.bulkId, recipients: changed.length },
        'bulk outcomes recorded',
      );
    },
    finishBulk: async (input: { bulkId: string; state: 'completed' | 'cancelled' }): Promise<void> => {
      await finishBulkRun(deps.db, input.bulkId, input.state, clock());
      metrics?.bulkRuns.inc({ state: input.state });
      activityLogger(logger).info({ bulkId: input.bulkId, state: input.state }, 'bulk run finished');
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type {
  PrepareMessageInput,
  PreparedMessage,
  DispatchResult,
  StartOperatorSessionInput,
  StartedSession,
  RecordOperatorReplyInput,
  RecordedReply,
  PlanBulkInput,
  PlannedBulk,
  BulkOutcome,
  BulkPageInput,
  BulkPageProgress,
};
