import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { MessageFeedOptions } from './message-feed';

/** What the operators' workspace (API and page) runs on. */
export interface WorkspaceDeps {
  db: Knex;
  /** Starts Initiate Session and Send Live Chat Message on behalf of the signed-in operator. */
  client: Client;
  /** The task queue the plugin's worker polls. */
  taskQueue: string;
  /** Base URL of Temporal UI (TEMPORAL_UI_URL): process messages link to their run there. */
  temporalUiUrl?: string | undefined;
  /** Injected so tests can fix the time (session expiry, closing). */
  clock?: () => Date;
  /** How long a sign-in lasts; default 12 hours. */
  sessionTtlMs?: number;
  /** Mark the session cookie `Secure` (and name it `__Host-…`): on whenever the page is served over HTTPS. */
  secureCookies?: boolean;
  /**
   * How long a request waits for its workflow (a new session, a reply) before answering 202 with
   * what exists so far; the workflow goes on and the page sees the rest through the live feed.
   */
  workflowWaitMs?: number;
  feed?: MessageFeedOptions;
  /** Failed sign-ins per login name within 15 minutes before further attempts are refused. */
  maxFailedSignIns?: number;
  /** Where unexpected errors are reported (their name and message only); default console.error. */
  log?: (line: string) => void;
}
