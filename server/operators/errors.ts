import { describeWorkflowFailure } from '../../client/failure';
import { isLiveChatError, isLiveChatErrorType, type LiveChatErrorType } from '../../domain/errors';

/** The body of every error answer: `{ error: { type, message, details } }`. */
export interface ErrorBody {
  error: {
    type: string;
    message: string;
    details: unknown;
    /** Where to look next, e.g. the session that is already open (a workspace path). */
    link?: string;
  };
}

/** An answer other than success, thrown by routes and turned into JSON by the error handler. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly type: string,
    message: string,
    readonly details: unknown = null,
    readonly link?: string,
  ) {
    super(message);
    this.name = type;
  }

  body(): ErrorBody {
    return {
      error: {
        type: this.type,
        message: this.message,
        details: this.details,
        ...(this.link ? { link: this.link } : {}),
      },
    };
  }
}

export const unauthenticated = (): ApiError =>
  new ApiError(401, 'Unauthenticated', 'Sign in to use the workspace; your session may have expired.');

/**
 * A live chat, channel, session or contact the operator may not reach: one that exists in a live chat
 * they do not serve gets the same answer as one that does not exist, so they learn nothing of it.
 */
export const outOfReach = (type: LiveChatErrorType, what: string): ApiError =>
  new ApiError(403, type, `There is no ${what} in the live chats you serve.`);

const STATUS_OF: Partial<Record<LiveChatErrorType, number>> = {
  InvalidInput: 400,
  NotAnOperator: 403,
  NotAllowedAuthor: 403,
  LiveChatNotFound: 404,
  ChannelNotFound: 404,
  ContactNotFound: 404,
  OperatorNotFound: 404,
  SessionNotFound: 404,
  OperatorOffline: 409,
  SessionAlreadyOpen: 409,
  SessionClosed: 409,
  SessionAssignedToAnother: 403,
};

/** A domain rule broken; a rule not listed above is a well-formed request the rules refuse (422). */
function statusOfRefusal(type: LiveChatErrorType): number {
  return STATUS_OF[type] ?? 422;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The workspace path of a session a refusal names, so the page can offer to open it. */
function linkOf(type: string, details: unknown): string | undefined {
  if (type === 'SessionAlreadyOpen' && isRecord(details) && typeof details.sessionId === 'string') {
    return `/#/sessions/${encodeURIComponent(details.sessionId)}`;
  }
  return undefined;
}

/**
 * A refusal from a workflow (`WorkflowFailedError` → … → `ApplicationFailure`) or a domain error
 * thrown here, as an `ApiError`; undefined for anything else (the caller reports those as 500).
 */
export function refusalToApiError(error: unknown): ApiError | undefined {
  const refusal =
    describeWorkflowFailure(error) ??
    (isLiveChatError(error)
      ? { type: error.type, message: error.message, details: error.details }
      : undefined);
  if (!refusal || !isLiveChatErrorType(refusal.type)) return undefined;
  return new ApiError(
    statusOfRefusal(refusal.type),
    refusal.type,
    refusal.message,
    refusal.details,
    linkOf(refusal.type, refusal.details),
  );
}
