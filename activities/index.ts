import { Context } from '@temporalio/activity';
import type { ChannelAdapters } from '../channels/adapter';
import type { Db } from '../db/knex';
import { dispatchMessage, type DispatchResult } from './dispatch-message';
import { asProcessFailure } from './failures';
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
}

/**
 * The activities the worker registers, built from their dependencies. Workflows see only their types
 * (`import type * as activities`), so nothing here is bundled into workflow code.
 */
export function createActivities(deps: ActivityDeps) {
  const clock = deps.clock ?? (() => new Date());
  return {
    prepareMessage: (input: PrepareMessageInput): Promise<PreparedMessage> =>
      asProcessFailure(() => prepareMessage(deps.db, input, clock())),
    dispatchMessage: (input: { messageId: string }): Promise<DispatchResult> =>
      asProcessFailure(() =>
        dispatchMessage(deps.db, deps.channels, input.messageId, clock, () => Context.current().heartbeat()),
      ),
    startOperatorSession: (input: StartOperatorSessionInput): Promise<StartedSession> =>
      asProcessFailure(() => startOperatorSession(deps.db, input, clock())),
    recordOperatorReply: (input: RecordOperatorReplyInput): Promise<RecordedReply> =>
      asProcessFailure(() => recordOperatorReply(deps.db, input, clock())),
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
};
