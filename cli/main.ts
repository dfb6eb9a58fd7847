#!/usr/bin/env node
/**
 * `livechat`: the command line of administrators and workflow designers (`npm run livechat -- ...`).
 * Parses arguments and prints; the work is in the client/ modules. It talks to a running Temporal
 * server and worker (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, LIVECHAT_TASK_QUEUE) and to PostgreSQL
 * (DATABASE_URL), read once by `loadConfig()`. Exit codes: 0 done, 1 unexpected, 2 refused.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { Command, CommanderError } from 'commander';
import { liveChatDataConverter } from '../codec/data-converter';
import { ChannelNotFound, ContactNotFound, SessionNotFound } from '../domain/errors';
import { describeDatabaseUrl } from '../client/connections';
import type { BulkProgress } from '../domain/types';
import { DEFAULT_DATABASE_URL, loadConfig, type Config } from '../config/environment';
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
import { accountOf, consentStatus, formatConsent, recordOptIn } from '../client/consent';
import { eraseContact, formatErasure } from '../client/erase-contact';
import { runDoctor } from '../client/doctor';
import { migrate, migrationStatus } from '../client/migrations';
import { addOperator, getOperator, setPassword, setStatus, type OperatorSummary } from '../client/operators';
import { checkProvider } from '../client/provider-checks';
import { loadProviderConfig } from '../config/providers';
import { getChannel } from '../db/live-chats';
import { readNewPassword, textOption } from './text-input';
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
import { telemetryClientInterceptors, tracingFromEnv } from '../infra/telemetry';

/** `livechat channel test`: the provider refused our credentials or the test message. */
class ChannelCheckFailed extends Error {
  override readonly name = 'ChannelCheckFailed';
  constructor(
    message: string,
    readonly details: unknown,
  ) {
    super(message);
  }
}

/** `livechat doctor` found something wrong (each problem is on its own line above). */
class DoctorFoundProblems extends Error {
  override readonly name = 'DoctorFoundProblems';
  constructor(readonly checks: string[]) {
    super(`${checks.length} check(s) failed: ${checks.join(', ')}`);
  }
}

/** What a command prints on success: as text, or as JSON with `--json`. */
interface Printable {
  human: string;
  json: unknown;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** A command's options with `--text` or `--text-file` (checked: exactly one). */
type TextOptions<O extends { text: string }> = Omit<O, 'text'> & { text?: string; textFile?: string };
const TEXT_FLAGS = { text: '--text', file: '--text-file' };

const formatOperator = (o: OperatorSummary): string =>
  `Operator ${o.id} (${o.name}${o.email ? `, ${o.email}` : ''}): ${o.status}, ` +
  `${o.hasPassword ? 'can sign in' : 'no password set'}` +
  (o.liveChats.length > 0 ? `; ${o.liveChats.map((c) => `${c.role} of ${c.liveChatId}`).join(', ')}` : '');

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
    .option('--text <text>', 'the message; a template with --var ("Order {{number}} is ready")')
    .option('--text-file <path>', 'the message from this file (- for stdin), for long texts')
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
    .action(async (options: TextOptions<SendOptions> & { id?: string; fallback: string[] }) => {
      const text = textOption(options, TEXT_FLAGS, true) ?? '';
      const { channelId, ...input } = sendInputFromOptions({ ...options, text }, (file) =>
        fs.readFileSync(file),
      );
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
    .option('--text-file <path>', 'the first message from this file (- for stdin), for long texts')
    .option('--id <workflowId>', 'workflow id, also the idempotency key (default: a new one)')
    .action(async (options: InitiateOptions & { id?: string; textFile?: string }) => {
      const message = textOption(
        { text: options.message, textFile: options.textFile },
        { text: '--message', file: '--text-file' },
        false,
      );
      const input = initiateInputFromOptions({ ...options, ...(message !== undefined ? { message } : {}) });
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

  const consent = program
    .command('consent')
    .description("a customer's opt-out or opt-in (per account and live chat)");
  consent
    .command('opt-in')
    .description('record an opt-in given outside the chat (it never lifts an opt-out the customer gave)')
    .requiredOption('--live-chat <id>', 'the live chat')
    .requiredOption('--account <value>', 'the account: +phone, an email address or a Telegram chat id')
    .option('--kind <kind>', 'phone, email or telegram (default: read from the value)')
    .action(async (options: { liveChat: string; account: string; kind?: string }) => {
      const db = await connections().db();
      const result = await recordOptIn(db, {
        liveChatId: options.liveChat,
        account: accountOf(options.account, options.kind),
      });
      print({ human: formatConsent([result]), json: result });
    });
  consent
    .command('status')
    .description("an account's consent in each live chat")
    .requiredOption('--account <value>', 'the account: +phone, an email address or a Telegram chat id')
    .option('--kind <kind>', 'phone, email or telegram (default: read from the value)')
    .option('--live-chat <id>', 'only in this live chat')
    .action(async (options: { account: string; kind?: string; liveChat?: string }) => {
      const db = await connections().db();
      const result = await consentStatus(db, {
        account: accountOf(options.account, options.kind),
        ...(options.liveChat !== undefined ? { liveChatId: options.liveChat } : {}),
      });
      print({ human: formatConsent(result), json: result });
    });

  const contact = program.command('contact').description("a customer's data");
  contact
    .command('erase <contactId>')
    .description(
      "erase a customer: their executions in Temporal, their messages' texts and files, their Telegram chats (opt-outs stay as keyed hashes)",
    )
    .option('--by <who>', 'who asks, for the audit entry (default: this user)')
    .action(async (contactId: string, options: { by?: string }) => {
      const db = await connections().db();
      const client = await connections().temporal();
      const report = await eraseContact(
        { db, client },
        { contactId, erasedBy: options.by ?? `cli:${os.userInfo().username}` },
      );
      print({ human: formatErasure(report), json: report });
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
    .option('--text <text>', 'the message; a template with --var ("Order {{number}} is ready")')
    .option('--text-file <path>', 'the message from this file (- for stdin), for long texts')
    .option('--subject <subject>', 'email: the subject')
    .option('--var <key=value>', 'a template variable (repeatable)', collect, [])
    .option('--as <userId>', 'write on behalf of this operator or supervisor (default: the system)')
    .option('--concurrency <n>', 'sends in flight at once (1 to 200, default 20)')
    .option('--detach', 'print the bulk id and return at once; follow it with `livechat bulk watch`')
    .option('--id <bulkId>', 'the bulk id (its workflow id and idempotency key; default: a new one)')
    .action(async (options: TextOptions<BulkOptions> & { id?: string; detach?: boolean }) => {
      const text = textOption(options, TEXT_FLAGS, true) ?? '';
      const input = bulkInputFromOptions({ ...options, text }, (file) => fs.readFileSync(file, 'utf8'));
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

  const databaseName = () => describeDatabaseUrl(configOf().DATABASE_URL ?? DEFAULT_DATABASE_URL);
  const migrateCommand = program
    .command('migrate')
    .description("set up or update the database's schema (applies every pending migration)")
    .action(async () => {
      const result = await migrate(await connections().db());
      const ran = result.ran.length > 0 ? `applied ${result.ran.join(', ')}` : 'already up to date';
      print({
        human: `Migrated ${databaseName()}: ${ran} (${result.applied.length} applied, ${result.pending.length} pending)`,
        json: result,
      });
    });
  migrateCommand
    .command('status')
    .description('which migrations the database has, and which are pending')
    .action(async () => {
      const status = await migrationStatus(await connections().db());
      const lines = [
        ...status.applied.map((name) => `applied  ${name}`),
        ...status.pending.map((name) => `pending  ${name}`),
        status.pending.length > 0
          ? `${databaseName()}: ${status.pending.length} pending: run \`livechat migrate\``
          : `${databaseName()}: up to date`,
      ];
      print({ human: lines.join('\n'), json: status });
    });

  const operator = program.command('operator').description('administer operators and their passwords');
  operator
    .command('add <id>')
    .description('create an operator (then add them to live chats in the config file)')
    .requiredOption('--name <name>', 'their name, as operators and customers see it')
    .option('--email <address>', 'their email address (they may sign in with it)')
    .option('--status <status>', 'online, offline (default) or busy')
    .action(async (id: string, options: { name: string; email?: string; status?: string }) => {
      const added = await addOperator(await connections().db(), { id, ...options } as Parameters<
        typeof addOperator
      >[1]);
      print({ human: `Added ${formatOperator(added)}`, json: added });
    });
  operator
    .command('set-password <id>')
    .description(
      'set the password an operator signs in with (asked at the terminal, never an argument); signs them out everywhere',
    )
    .option('--password-stdin', 'read the password from stdin (its first line) instead of asking')
    .action(async (id: string, options: { passwordStdin?: boolean }) => {
      const db = await connections().db();
      await getOperator(db, id); // an unknown operator is refused before a password is asked for
      const password = await readNewPassword(options.passwordStdin === true);
      const updated = await setPassword(db, id, password);
      print({ human: `Password set: ${formatOperator(updated)}`, json: updated });
    });
  operator
    .command('status <id> [status]')
    .description('show an operator, or set their status (online, offline, busy)')
    .action(async (id: string, status: string | undefined) => {
      const db = await connections().db();
      const summary = status === undefined ? await getOperator(db, id) : await setStatus(db, id, status);
      print({ human: formatOperator(summary), json: summary });
    });

  program
    .command('channel')
    .description('check the channels of live chats')
    .command('test <channelId>')
    .description(
      "check the channel's provider credentials through its SDK, and send a test message with --send-to",
    )
    .option(
      '--send-to <account>',
      'also send a test message to this account (+4915123456789, an address, a chat id)',
    )
    .option('--text <text>', 'the test message', 'Test message from livechat: this channel can send.')
    .action(async (channelId: string, options: { sendTo?: string; text: string }) => {
      const providers = loadProviderConfig();
      const channel = await getChannel(await connections().db(), channelId);
      if (!channel) throw new ChannelNotFound({ channelId });
      const message = options.sendTo !== undefined ? { to: options.sendTo, text: options.text } : undefined;
      const result = await checkProvider(channel.kind, providers, channel, message);
      const report = { channelId, kind: channel.kind, ...result };
      if (!result.ok)
        throw new ChannelCheckFailed(`channel ${channelId} (${channel.kind}): ${result.message}`, report);
      print({ human: `ok: channel ${channelId} (${channel.kind}): ${result.message}`, json: report });
    });

  program
    .command('doctor')
    .description(
      'check configuration, PostgreSQL, migrations, Temporal, worker, providers, channels and the Telegram webhook',
    )
    .action(async () => {
      const verdicts = await runDoctor(process.env);
      const label = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' } as const;
      const failed = verdicts.filter((v) => v.state === 'fail');
      print({
        human: verdicts.map((v) => `${label[v.state]}  ${v.check}: ${v.message}`).join('\n'),
        json: { ok: failed.length === 0, verdicts },
      });
      if (failed.length > 0) throw new DoctorFoundProblems(failed.map((v) => v.check));
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
  if (error instanceof ChannelCheckFailed)
    return { type: error.name, message: error.message, details: error.details, refusal: false };
  if (error instanceof DoctorFoundProblems)
    return { type: error.name, message: error.message, details: { failed: error.checks }, refusal: false };
  if (error instanceof UsageError)
    return { type: 'UsageError', message: error.message, details: null, refusal: true };
  return describeFailure(error);
}

export async function main(argv: readonly string[]): Promise<ExitCode> {
  let config: Config | undefined;
  let opened: Connections | undefined;
  // Off unless OTEL_* asks for it: then a started workflow's trace begins here.
  const tracing = tracingFromEnv('livechat-cli');
  let json = argv.includes('--json');
  const context: Context = {
    config: () => (config ??= loadConfig()),
    connections: () =>
      (opened ??= new Connections({
        databaseUrl: context.config().DATABASE_URL,
        temporal: () => ({
          ...temporalConnectionOptions(process.env),
          dataConverter: liveChatDataConverter(),
          ...(tracing ? { interceptors: telemetryClientInterceptors() } : {}),
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
    // The doctor's verdicts are its JSON already.
    if (json && error instanceof DoctorFoundProblems) return exitCodeOf(failure);
    if (json) console.log(toJson(failureJson(failure)));
    else console.error(formatFailure(failure));
    return exitCodeOf(failure);
  } finally {
    await opened?.close();
    await tracing?.shutdown();
  }
}

if (require.main === module) {
  // Output piped into a reader that stops early (`livechat history … | head`): stop quietly, as Unix tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
