import type { ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';

/** Database steps: short, retried quickly; a broken rule is final. */
export const DATABASE_STEP: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '30 seconds', nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
};

/**
 * The provider call, separate so an outage retries only the send. Providers can be slow or down for
 * a while: retry with backoff for up to a day before giving up.
 */
export const PROVIDER_STEP: ActivityOptions = {
  startToCloseTimeout: '60 seconds',
  // A live attempt heartbeats every 5 s (activities/dispatch-message.ts): a killed worker's attempt
  // is retried after this, not after the whole start-to-close timeout.
  heartbeatTimeout: '20 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { maximumInterval: '5 minutes', nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
};
