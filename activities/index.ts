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
import type { HostAllowList } from '../infra/url-hosts';
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
}

const DEFAULT_FETCH_ATTEMPTS = 10;

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
  const gates = sharedRateGate(deps.db, deps.rateLimits ?? {});
  /** The rate of the dispatch queue this attempt runs on. */
  const gate = () => gates(Context.current().info.taskQueue);
  return {
    prepareMessage: (input: PrepareMessageInput): Promise<PreparedMessage> =>
      asProcessFailure(() =>
        prepareMessage(deps.db, input, clock(), {
          allowedHosts: deps.attachmentUrlHosts ?? [],
          lastAttempt: lastAttempt(deps.attachmentFetchAttempts ?? DEFAULT_FETCH_ATTEMPTS),
        }),
      ),
    dispatchMessage: (input: { messageId: string }): Promise<DispatchResult> =>
      asProcessFailure(() =>
        dispatchMessage(
          deps.db,
          deps.channels,
          input.messageId,
          clock,
          () => Context.current().heartbeat(),
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
    startOperatorSession: (input: StartOperatorSessionInput): Promise<StartedSession> =>
      asProcessFailure(() => startOperatorSession(deps.db, input, clock())),
    recordOperatorReply: (input: RecordOperatorReplyInput): Promise<RecordedReply> =>
      asProcessFailure(() => recordOperatorReply(deps.db, input, clock())),
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
    recordBulkOutcomes: (input: { bulkId: string; outcomes: BulkOutcome[] }): Promise<void> =>
      recordBulkOutcomes(deps.db, input.bulkId, input.outcomes),
    finishBulk: (input: { bulkId: string; state: 'completed' | 'cancelled' }): Promise<void> =>
      finishBulkRun(deps.db, input.bulkId, input.state, clock()),
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
