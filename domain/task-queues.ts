import type { ChannelKind } from './types';

/**
 * Dispatch runs on a task queue per channel kind, so Temporal itself holds each provider to its
 * rate limit (`maxTaskQueueActivitiesPerSecond`, enforced by the server across all workers) and a
 * slow provider never starves the others.
 */
export function dispatchTaskQueue(baseTaskQueue: string, kind: ChannelKind): string {
  return `${baseTaskQueue}-dispatch-${kind}`;
}
