import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { countRows } from './fixtures';
import type { Harness } from './harness';

/**
 * What a process sees when one of our activities refuses a request. Temporal delivers it as
 * `WorkflowFailedError` → cause `ActivityFailure` (which activity) → cause `ApplicationFailure`
 * (whose `type` is the domain error's class name and whose `details[0]` its details).
 */
export interface Refusal {
  type: string;
  message: string;
  nonRetryable: boolean;
  details: Record<string, unknown>;
  /** The activity that refused, or null when the failure did not come from an activity. */
  activityType: string | null;
  /** Why Temporal stopped retrying the activity (`NON_RETRYABLE_FAILURE` for our refusals). */
  retryState: string | null;
  /** Class names from the error the client got down to the ApplicationFailure, for messages. */
  chain: string[];
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Walks the cause chain of what the client got back and describes the refusal in it. */
export function refusalFrom(error: unknown): Refusal {
  if (!(error instanceof WorkflowFailedError)) throw error;
  const chain: string[] = [];
  let activityType: string | null = null;
  let retryState: string | null = null;
  let current: unknown = error;
  while (current instanceof Error) {
    chain.push(current.constructor.name);
    if (current instanceof ActivityFailure) {
      activityType = current.activityType;
      retryState = current.retryState ?? null;
    }
    if (current instanceof ApplicationFailure) {
      const first = current.details?.[0];
      return {
        type: current.type ?? '',
        message: current.message,
        nonRetryable: current.nonRetryable === true,
        details: isRecord(first) ? first : {},
        activityType,
        retryState,
        chain,
      };
    }
    current = current.cause;
  }
  throw new Error(`the workflow failed without an ApplicationFailure (${chain.join(' → ')})`, {
    cause: error,
  });
}

/** Awaits a workflow that must fail, and returns the refusal it failed with. */
export async function refusalOf(run: Promise<unknown>): Promise<Refusal> {
  let result: unknown;
  try {
    result = await run;
  } catch (error) {
    return refusalFrom(error);
  }
  throw new Error(`expected the workflow to be refused, but it completed with ${JSON.stringify(result)}`);
}

/** Everything a refusal must leave untouched: rows in the database and messages handed to providers. */
export async function footprint(harness: Harness) {
  return {
    rows: await countRows(harness.db),
    delivered: {
      email: harness.outbox.email.received.length,
      whatsapp: harness.outbox.whatsapp.received.length,
      telegram: harness.outbox.telegram.received.length,
      livechat: harness.outbox.livechat.received.length,
    },
  };
}

/**
 * Runs a request that must be refused by one of our activities and checks that the refusal left
 * nothing behind: no session, message or contact row, and nothing sent. Returns the refusal.
 */
export async function expectRefusedWithoutTrace(
  harness: Harness,
  start: () => Promise<unknown>,
): Promise<Refusal> {
  const before = await footprint(harness);
  const refusal = await refusalOf(start());
  expect(await footprint(harness)).toEqual(before);
  return refusal;
}
