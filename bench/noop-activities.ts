import { Context } from '@temporalio/activity';
import type { ChannelKind } from '../domain/types';

/** Activities that do nothing but note when the "provider" got the message, for latency. */
export function createNoopActivities(delivered: Map<string, number>) {
  return {
    noopPrepare: async (input: { channelKind: ChannelKind }) => ({
      messageId: 'noop',
      channelKind: input.channelKind,
    }),
    noopDispatch: async (_input: { messageId: string }) => {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      delivered.set(workflowId, Date.now());
      return { status: 'sent' };
    },
  };
}

export type NoopActivities = ReturnType<typeof createNoopActivities>;
