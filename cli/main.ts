#!/usr/bin/env node
/**
 * `livechat`: the command line of administrators and workflow designers (`npm run livechat -- ...`).
 * Parses arguments and prints; the work is in the client/ modules. It talks to a running Temporal
 * server and worker (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, LIVECHAT_TASK_QUEUE) and to PostgreSQL
 * (DATABASE_URL), read once by `loadConfig()`. Exit codes: 0 done, 1 unexpected, 2 refused.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { liveChatDataConverter } from '../codec/data-converter';
import { ContactNotFound, SessionNotFound } from '../domain/errors';
import type { BulkProgress } from '../domain/types';
import { loadConfig, type Config } from '../config/environment';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { bulkProgress, cancelBulk, pauseBulk, resumeBulk, startBulkNotify } from '../client/bulk-notify';
import { watchBulk } from './bulk-watch';
import {
  bulkInputFromOptions,
  historyQueryFromOptions,
  initiateInputFromOptions,
  sendInputFromOptions,
  UsageError,
  type BulkOptions,
  type HistoryOptions,
  type InitiateOptions,
  type SendOptions,
} from './inputs';
import { applyConfigFile } from '../client/config-file';
import { Connections } from '../client/connections';
import { describeFailure, type DescribedFailure } from '../client/failure';
import {
  formatAccountHistory,
  formatContactHistory,
  formatHistory,
  getAccountHistory,
  getContactHistory,
  getHistory,
} from '../client/history';
import { initiateSession } from '../client/initiate-session';
import {
  EXIT_CODES,
  exitCodeOf,
  failureJson,
  formatBulkProgress,
  formatConfigSummary,
  formatFailure,
  formatInitiated,
  formatScheduled,
  formatSent,
  toJson,
  type ExitCode,
  type InitiatedReport,
  type SentReport,
} from './output';
import { cancelScheduledSend, sendOrSchedule } from '../client/scheduled-send';
import { sendWithFallback } from '../client/send-with-fallback';
import { getSessionSummary, type SessionSummary } from '../client/session-summary';

/** What a command prints on success: as text, or as JSON with `--json`. */
interface Printable {
  human: string;
  json: unknown;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const HELP_AFTER = `
Environment:
  TEMPORAL_ADDRESS     Temporal frontend host:port (default 127.0.0.1:7233)
  TEMPORAL_NAMESPACE   Temporal namespace (default "default")
  LIVECHAT_TASK_QUEUE  task queue of the livechat worker (default "livechat")
  DATABASE_URL         PostgreSQL URL (default postgres://postgres@127.0.0.1:5432/livechat)
  TEMPORAL_TLS, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA, TEMPORAL_TLS_SERVER_NAME,
  TEMPORAL_API_KEY     TLS and API key for Temporal (see config/temporal-connection.ts)

Exit codes: 0 done, 1 unexpected error (e.g. a server unreachable), 2 refused (a domain rule was
broken, or the command line is wrong); the error line starts with its type, e.g. InvalidPhoneNumber.`;

interface Context {
  config(): Config;
  connections(): Connections;
  print(output: Printable): void;
}

function buildProgram({ config: configOf, connections, print }: Context): Command {
  const program = new Command('livechat')
    .description(
      'Send live chat messages, notify many customers, start sessions, read histories and apply configuration.',
    )
    .option('--json', 'print machine-readable JSON instead of text')
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError()
    .addHelpText('after', HELP_AFTER);

  const taskQueue = (): string => configOf().LIVECHAT_TASK_QUEUE;
  /** The session a workflow returned, for printing; a failed read only loses the detail. */
  const sessionOf = async (sessionId: string): Promise<SessionSummary | undefined> => {
    try {
      return await getSessionSummary(await connections().db(), sessionId);
    } catch (error) {
      console.error(`warning: could not read session ${sessionId}: ${describeFailure(error).message}`);
      return undefined;
    }
  };

  program
    .command('send')
    .description('send a message as a business process (Send Live Chat Message) and wait for it')
    .requiredOption('--live-chat <id>', 'the live chat')
    .requiredOption('--channel <id>', 'the channel of the live chat to send through')
    .option('--contact <id>', 'to this contact of the bound app')
    .option('--field <name>', "with --contact: which of the contact's fields to use")
    .option('--account <value>', 'to this account (+4915123456789, name@example.com, a Telegram chat id)')
    .option('--session <id>', 'into this open session')
    .requiredOption('--text <text>', 'the message; a template with --var ("Order {{number}} is ready")')
    .option('--subject <subject>', 'email: the subject, which also names a new session')
    .option('--var <key=value>', 'a template variable (repeatable)', collect, [])
    .option('--as <userId>', 'write on behalf of this operator or supervisor (default: the system)')
    .option('--reuse-open-session', "email: write into the address's open session instead of a new one")
    .option(
      '--at <time>',
      'send at this time (ISO 8601 with a zone, e.g. 2026-12-24T09:00:00+01:00), not now',
    )
    .option('--urgent', "send even in the customer's quiet hours")
    .option(
      '--attach <path-or-url>',
      'send this file with the message (repeatable): a path (up to 256 KiB, sent inline) or an http(s) URL the worker fetches',
      collect,
      [],
    )
    .option(
      '--fallback <channelId>',
      'if --channel cannot reach the customer, try this channel next (repeatable, in order)',
      collect,
      [],
    )
    .option('--id <workflowId>', 'workflow id, also the idempotency key (default: a new one)')
    .action(async (options: SendOptions & { id?: string; fallback: string[] }) => {
      const { channelId, ...input } = sendInputFromOptions(options, (file) => fs.readFileSync(file));
      const workflowId = options.id ?? `livechat-send-${randomUUID()}`;
      const client = await connections().temporal();
      const start = { taskQueue: taskQueue(), workflowId };
      const result =
        options.fallback.length > 0
          ? await sendWithFallback(
              client,
              { ...input, channels: [options.channel, ...options.fallback] },
              start,
            )
          : await sendOrSchedule(client, { ...input, ...(channelId ? { channelId } : {}) }, start);
      if ('kind' in result && result.kind === 'scheduled') {
        const report = { workflowId, status: 'pending', ...result.state };
        print({ human: formatScheduled(report), json: report });
        return;
      }
      const sent = 'kind' in result ? result.result : result;
      const session = await sessionOf(sent.sessionId);
      const report: SentReport = {
        ...sent,
        workflowId,
        ...(session ? { sessionName: session.name, account: session.account } : {}),
      };
      print({ human: formatSent(report), json: report });
    });

  program
    .command('cancel-send <workflowId>')
    .description('cancel a scheduled message before its time (it is never sent)')
    .action(async (workflowId: string) => {
      const state = await cancelScheduledSend(await connections().temporal(), workflowId);
      print({
        human: `Cancelled: message ${state.messageId ?? '(unknown)'} will not be sent (${state.status ?? state.state})`,
        json: { workflowId, ...state },
      });
    });

  program
    .command('initiate')
    .description('an operator starts a session with a customer (Initiate Session) and waits for it')
    .requiredOption('--live-chat <id>', 'the live chat')
    .requiredOption('--operator <id>', 'the operator who starts it (and gets it assigned)')
    .requiredOption('--channel <id>', 'the channel of the live chat')
    .option('--contact <id>', 'with this contact of the bound app')
    .option('--field <name>', "with --contact: which of the contact's fields to use")
    .option('--account <value>', 'with this account')
    .option('--new-contact <name>', 'with a contact created now, with this name')
    .option('--phone <number>', 'with --new-contact: its phone number (+ and country code)')
    .option('--email <address>', 'with --new-contact: its email address')
    .option('--telegram <chatId>', 'with --new-contact: its Telegram chat id')
    .option('--subject <subject>', "email: the subject, which is also the session's name")
    .option('--message <text>', 'a first message, sent at once')
    .option('--id <workflowId>', 'workflow id, also the idempotency key (default: a new one)')
    .action(async (options: InitiateOptions & { id?: string }) => {
      const input = initiateInputFromOptions(options);
      const workflowId = options.id ?? `livechat-initiate-${randomUUID()}`;
      const client = await connections().temporal();
      const result = await initiateSession(client, input, { taskQueue: taskQueue(), workflowId });
      const session = await sessionOf(result.sessionId);
      const report: InitiatedReport = {
        ...result,
        workflowId,
        ...(session ? { account: session.account } : {}),
      };
      print({ human: formatInitiated(report), json: report });
    });

  program
    .command('history')
    .description('print the chat history of a session, a contact (all sessions) or an account')
    .option('--session <id>', 'one session')
    .option('--contact <id>', 'every session of this contact, open and closed, newest first')
    .option('--account <value>', 'every session with this account, newest first')
    .action(async (options: HistoryOptions) => {
      const query = historyQueryFromOptions(options);
      const db = await connections().db();
      if ('session' in query) {
        const history = await getHistory(db, query.session);
        if (!history) throw new SessionNotFound({ sessionId: query.session });
        print({ human: formatHistory(history), json: history });
      } else if ('contact' in query) {
        const history = await getContactHistory(db, query.contact);
        if (!history) throw new ContactNotFound({ contactId: query.contact });
        print({ human: formatContactHistory(history), json: history });
      } else {
        const history = await getAccountHistory(db, query.account);
        print({ human: formatAccountHistory(history), json: history });
      }
    });

  const bulk = program
    .command('bulk')
    .description('notify many customers with one message (Bulk Notify), and follow or steer it');
  const printProgress = (progress: BulkProgress) =>
    print({ human: formatBulkProgress(progress), json: progress });
  bulk
    .command('start')
    .description('start a bulk notification and follow it with a progress bar until it ends')
    .requiredOption('--live-chat <id>', 'the live chat')
    .requiredOption('--channel <id>', 'the channel of the live chat to send through')
    .option('--contact <id>', 'to this contact of the bound app (repeatable)', collect, [])
    .option('--account <value>', 'to this account (repeatable)', collect, [])
    .option('--contacts-file <path>', 'to the contacts listed in this file, one id per line')
    .option('--accounts-file <path>', 'to the accounts listed in this file, one per line')
    .option('--all', "to every contact of the bound app with an account of the channel's kind")
    .option(
      '--where <key=value>',
      'with --all: only contacts whose field equals this (repeatable)',
      collect,
      [],
    )
    .requiredOption('--text <text>', 'the message; a template with --var ("Order {{number}} is ready")')
    .option('--subject <subject>', 'email: the subject')
    .option('--var <key=value>', 'a template variable (repeatable)', collect, [])
    .option('--as <userId>', 'write on behalf of this operator or supervisor (default: the system)')
    .option('--concurrency <n>', 'sends in flight at once (1 to 200, default 20)')
    .option('--detach', 'print the bulk id and return at once; follow it with `livechat bulk watch`')
    .option('--id <bulkId>', 'the bulk id (its workflow id and idempotency key; default: a new one)')
    .action(async (options: BulkOptions & { id?: string; detach?: boolean }) => {
      const input = bulkInputFromOptions(options, (file) => fs.readFileSync(file, 'utf8'));
      const bulkId = options.id ?? `livechat-bulk-${randomUUID()}`;
      const client = await connections().temporal();
      await startBulkNotify(client, input, { taskQueue: taskQueue(), workflowId: bulkId });
      if (options.detach) {
        print({ human: `Started bulk ${bulkId}`, json: { bulkId } });
        return;
      }
      printProgress(await watchBulk(client, bulkId));
    });
  bulk
    .command('watch <bulkId>')
    .description('follow a bulk notification with a progress bar until it ends')
    .action(async (bulkId: string) => printProgress(await watchBulk(await connections().temporal(), bulkId)));
  bulk
    .command('status <bulkId>')
    .description('total, sent, failed and pending now (the final counts once it has ended)')
    .action(async (bulkId: string) =>
      printProgress(await bulkProgress(await connections().temporal(), bulkId)),
    );
  for (const [name, steer, what] of [
    ['pause', pauseBulk, 'let the sends in flight finish and start no more until resumed'],
    ['resume', resumeBulk, 'go on with a paused bulk notification'],
    ['cancel', cancelBulk, 'let the sends in flight finish and end it; the rest are not sent'],
  ] as const) {
    bulk
      .command(`${name} <bulkId>`)
      .description(what)
      .action(async (bulkId: string) => printProgress(await steer(await connections().temporal(), bulkId)));
  }

  const config = program.command('config').description('administer the declarative configuration');
  config
    .command('apply')
    .description('apply a YAML or JSON file of operators, live chats, channels and contacts')
    .requiredOption('-f, --file <path>', 'the file')
    .action(async (options: { file: string }) => {
      const summary = await applyConfigFile(await connections().db(), options.file);
      print({ human: formatConfigSummary(options.file, summary), json: { applied: summary } });
    });

  return program;
}

/** A command-line mistake, as commander reports it; undefined for help and version output. */
function usageFailure(error: CommanderError): DescribedFailure | undefined {
  const shownHelp = error.code === 'commander.helpDisplayed' || error.code === 'commander.version';
  if (shownHelp || (error.code === 'commander.help' && error.exitCode === 0)) return undefined;
  const message = error.code === 'commander.help' ? 'give a command' : error.message.replace(/^error: /, '');
  return { type: 'UsageError', message, details: null, refusal: true };
}

function describe(error: unknown): DescribedFailure | undefined {
  if (error instanceof CommanderError) return usageFailure(error);
  if (error instanceof UsageError)
    return { type: 'UsageError', message: error.message, details: null, refusal: true };
  return describeFailure(error);
}

export async function main(argv: readonly string[]): Promise<ExitCode> {
  let config: Config | undefined;
  let opened: Connections | undefined;
  let json = argv.includes('--json');
  const context: Context = {
    config: () => (config ??= loadConfig()),
    connections: () =>
      (opened ??= new Connections({
        databaseUrl: context.config().DATABASE_URL,
        temporal: () => ({
          ...temporalConnectionOptions(process.env),
          dataConverter: liveChatDataConverter(),
        }),
      })),
    print: (output) => console.log(json ? toJson(output.json) : output.human),
  };
  const program = buildProgram(context);
  program.hook('preAction', (_program, action) => {
    json = action.optsWithGlobals<{ json?: boolean }>().json === true;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_CODES.ok;
  } catch (error) {
    const failure = describe(error);
    if (!failure) return EXIT_CODES.ok;
    if (json) console.log(toJson(failureJson(failure)));
    else console.error(formatFailure(failure));
    return exitCodeOf(failure);
  } finally {
    await opened?.close();
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
