import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  TimeoutFailure,
} from '@temporalio/workflow';

/** Why a step (an activity or a child workflow) could not do its work. */
export interface Refusal {
  /** The domain error's type (`DeliveryFailed`, `ContactHasNoAccount`, …), or `Timeout`. */
  type: string;
  message: string;
  /** The message it concerned, when one was recorded (a refused delivery stays in the history as failed). */
  messageId?: string;
}

/**
 * The refusal a failed step ended with: the first typed cause in its chain. Undefined for anything
 * else (the workflow being cancelled, a bug), which the caller should let through.
 */
export function refusalOf(error: unknown): Refusal | undefined {
  if (!(error instanceof ChildWorkflowFailure || error instanceof ActivityFailure)) return undefined;
  let cause: unknown = error.cause;
  while (cause instanceof Error) {
    if (cause instanceof ApplicationFailure && cause.type) {
      const details = cause.details?.[0] as { messageId?: unknown } | undefined;
      return {
        type: cause.type,
        message: cause.message,
        ...(typeof details?.messageId === 'string' ? { messageId: details.messageId } : {}),
      };
    }
    if (cause instanceof TimeoutFailure) return { type: 'Timeout', message: cause.message };
    cause = cause.cause;
  }
  return undefined;
}
