import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { isLiveChatError, isRefusalType } from '../domain/errors';

/** A failure as callers and the CLI report it: the domain error type, its sentence, its details. */
export interface FailureReport {
  /** The `ApplicationFailure` type, e.g. `InvalidPhoneNumber`: the rule that was broken. */
  type: string;
  message: string;
  /**
   * What the failure carries: a domain error's details object (`{ value, reason }`, ...). An
   * `ApplicationFailure` with several details gives them as an array; with none, `null`.
   */
  details: unknown;
}

/** Causes deeper than this are not followed (a cause chain is short; this only guards against cycles). */
const MAX_CAUSE_DEPTH = 16;

/**
 * The `ApplicationFailure` behind a workflow's failure. A domain refusal reaches the client as
 * `WorkflowFailedError` → `ActivityFailure` → `ApplicationFailure` (or directly as the cause when a
 * workflow throws one itself), so the cause chain is followed to the first `ApplicationFailure`.
 */
export function applicationFailureOf(error: unknown): ApplicationFailure | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current instanceof Error; depth++) {
    if (current instanceof ApplicationFailure) return current;
    current = current.cause;
  }
  return undefined;
}

function detailsOf(failure: ApplicationFailure): unknown {
  const details = failure.details ?? [];
  if (details.length === 0) return null;
  return details.length === 1 ? details[0] : [...details];
}

/**
 * `{ type, message, details }` of a `WorkflowFailedError` whose cause is an `ApplicationFailure`
 * (however deep); undefined for anything else (a timeout, a termination, a connection error).
 */
export function describeWorkflowFailure(error: unknown): FailureReport | undefined {
  if (!(error instanceof WorkflowFailedError)) return undefined;
  const failure = applicationFailureOf(error.cause);
  if (!failure) return undefined;
  return {
    type: failure.type ?? 'ApplicationFailure',
    message: failure.message,
    details: detailsOf(failure),
  };
}

/** A failure and whether it is a refusal (a broken domain rule) rather than something unexpected. */
export interface DescribedFailure extends FailureReport {
  /** True for the domain's typed errors: the request was refused and retrying it cannot help. */
  refusal: boolean;
}

/**
 * Any error, as a report: a workflow's domain refusal, a domain error thrown in this process (e.g. by
 * `applyConfig`), or anything else under its name (`WorkflowFailedError` with a timeout cause reports
 * the cause's name, e.g. `TimeoutFailure`).
 */
export function describeFailure(error: unknown): DescribedFailure {
  const fromWorkflow = describeWorkflowFailure(error);
  if (fromWorkflow) return { ...fromWorkflow, refusal: isRefusalType(fromWorkflow.type) };
  if (isLiveChatError(error)) {
    return { type: error.type, message: error.message, details: error.details, refusal: error.nonRetryable };
  }
  if (error instanceof WorkflowFailedError && error.cause) {
    const cause = error.cause;
    return { type: cause.name, message: `${error.message}: ${cause.message}`, details: null, refusal: false };
  }
  if (error instanceof Error) {
    return { type: error.name || 'Error', message: error.message, details: null, refusal: false };
  }
  return { type: 'Error', message: String(error), details: null, refusal: false };
}
