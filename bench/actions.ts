import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const T = temporal.api.enums.v1.EventType;

const millis = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  t ? Number(t.seconds ?? 0) * 1_000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;

/**
 * Billable Temporal actions of one run, counted by Temporal Cloud's published rules from what the
 * server recorded: the run's start (a client start or a continue-as-new), every activity attempt
 * (the Started event carries the attempt number), the heartbeats that reached the server (not in
 * the history: estimated from each attempt's duration, one at its first second and then one per
 * throttle interval, 0.8 × its heartbeat timeout, as the SDK sends them), timers, signals,
 * updates, a child workflow as 2, local activities as 1 per workflow task. Queries are not in the
 * history: callers add those they made. Version markers (`patched`) are not billed.
 */
export function billableActions(events: HistoryEvent[]): { actions: number; heartbeats: number } {
  let actions = 0;
  let heartbeats = 0;
  const scheduled = new Map<number, HistoryEvent>();
  const started = new Map<number, HistoryEvent>();
  const localActivityTasks = new Set<number>();
  for (const event of events) {
    const id = Number(event.eventId);
    switch (event.eventType) {
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
      case T.EVENT_TYPE_TIMER_STARTED:
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        actions++;
        break;
      case T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        actions += 2;
        break;
      case T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        scheduled.set(id, event);
        break;
      case T.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const attrs = event.activityTaskStartedEventAttributes;
        started.set(Number(attrs?.scheduledEventId), event);
        break;
      }
      case T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      case T.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case T.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      case T.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const attrs =
          event.activityTaskCompletedEventAttributes ??
          event.activityTaskFailedEventAttributes ??
          event.activityTaskTimedOutEventAttributes ??
          event.activityTaskCanceledEventAttributes;
        const scheduledId = Number(attrs?.scheduledEventId);
        const start = started.get(scheduledId);
        const timeout = millis(
          scheduled.get(scheduledId)?.activityTaskScheduledEventAttributes?.heartbeatTimeout,
        );
        if (start && timeout > 0) {
          const ran = millis(event.eventTime) - millis(start.eventTime);
          if (ran >= 1_000) heartbeats += 1 + Math.floor((ran - 1_000) / (0.8 * timeout));
        }
        break;
      }
      case T.EVENT_TYPE_MARKER_RECORDED: {
        const attrs = event.markerRecordedEventAttributes;
        if (attrs?.markerName === 'core_local_activity')
          localActivityTasks.add(Number(attrs.workflowTaskCompletedEventId));
        break;
      }
      default:
        break;
    }
  }
  for (const [scheduledId] of scheduled) {
    const attempt = started.get(scheduledId)?.activityTaskStartedEventAttributes?.attempt ?? 1;
    actions += Math.max(1, attempt);
  }
  return { actions: actions + heartbeats + localActivityTasks.size, heartbeats };
}

/** Actions and history bytes of a workflow's every run, from the first, following continue-as-new. */
export async function workflowCost(
  client: Client,
  workflowId: string,
  firstRunId?: string,
): Promise<{ actions: number; heartbeats: number; bytes: number; runs: number }> {
  const cost = { actions: 0, heartbeats: 0, bytes: 0, runs: 0 };
  let runId: string | null | undefined = firstRunId;
  for (;;) {
    const history: temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(workflowId, runId ?? undefined)
      .fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    const counted = billableActions(events);
    cost.actions += counted.actions;
    cost.heartbeats += counted.heartbeats;
    cost.bytes += temporal.api.history.v1.History.encode(history).finish().length;
    cost.runs++;
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!runId) return cost;
  }
}
