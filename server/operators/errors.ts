import { describeWorkflowFailure } from '../../client/failure';
import {
  isLiveChatError,
  isRefusalType,
  LIVE_CHAT_ERRORS,
  type LiveChatErrorType,
} from '../../domain/errors';

/**
 * The answers of the workspace API that are not refusals of the domain (those come from the
 * catalogue in domain/errors.ts): each declared once, with its status and its title.
 */
const WORKSPACE_ERRORS = {
  Unauthenticated: { status: 401, title: 'Please sign in.' },
  InvalidCredentials: { status: 401, title: 'Sign-in failed.' },
  TooManySignInAttempts: { status: 429, title: 'Too many sign-in attempts.' },
  CrossOriginRequest: { status: 403, title: 'Request refused.' },
  /** fastify's own 4xx (malformed JSON, a body too large…): the status is fastify's. */
  BadRequest: { status: 400, title: 'The request could not be read.' },
  RouteNotFound: { status: 404, title: 'Not found.' },
  InternalError: { status: 500, title: 'Something went wrong.' },
} as const;

export type WorkspaceErrorType = keyof typeof WORKSPACE_ERRORS;
export type ApiErrorType = LiveChatErrorType | WorkspaceErrorType;

function presentationOf(type: ApiErrorType): { status: number; title: string } {
  return type in WORKSPACE_ERRORS
    ? WORKSPACE_ERRORS[type as WorkspaceErrorType]
    : LIVE_CHAT_ERRORS[type as LiveChatErrorType];
}

/**
 * The body of every error answer: `{ error: { type, title, message, details } }`. `title` is the
 * catalogue's heading for the type, for the page to show above the message.
 */
export interface ErrorBody {
  error: {
    type: string;
    title: string;
    message: string;
    details: unknown;
    /** Where to look next, e.g. the session that is already open (a workspace path). */
    link?: string;
  };
}

/** An answer other than success, thrown by routes and turned into JSON by the error handler. */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly title: string;
  readonly details: unknown;
  readonly link?: string;

  constructor(
    readonly type: ApiErrorType,
    message: string,
    options: { details?: unknown; link?: string; statusCode?: number } = {},
  ) {
    super(message);
    this.name = type;
    const { status, title } = presentationOf(type);
    this.statusCode = options.statusCode ?? status;
    this.title = title;
    this.details = options.details ?? null;
    if (options.link !== undefined) this.link = options.link;
  }

  body(): ErrorBody {
    return {
      error: {
        type: this.type,
        title: this.title,
        message: this.message,
        details: this.details,
        ...(this.link ? { link: this.link } : {}),
      },
    };
  }
}

export const unauthenticated = (): ApiError =>
  new ApiError('Unauthenticated', 'Sign in to use the workspace; your session may have expired.');

/**
 * A live chat, channel, session or contact the operator may not reach: one that exists in a live chat
 * they do not serve gets the same answer as one that does not exist, so they learn nothing of it.
 */
export const outOfReach = (type: LiveChatErrorType, what: string): ApiError =>
  new ApiError(type, `There is no ${what} in the live chats you serve.`, { statusCode: 403 });

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
  if (!refusal || !isRefusalType(refusal.type)) return undefined;
  const link = linkOf(refusal.type, refusal.details);
  return new ApiError(refusal.type, refusal.message, {
    details: refusal.details,
    ...(link !== undefined ? { link } : {}),
  });
}
