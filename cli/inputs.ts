/**
 * From the `livechat` command line's options to the workflows' typed inputs. Pure, so every rule of
 * the command line (exactly one recipient, `key=value` variables, ...) is unit-tested without a shell.
 */
import path from 'node:path';
import { checkAttachmentInputs } from '../domain/attachments';
import type {
  AccountValue,
  BulkNotifyInput,
  BulkRecipient,
  AttachmentInput,
  InitiateSessionInput,
  Recipient,
  SendLiveChatMessageInput,
  SessionCustomer,
} from '../domain/types';

/** The command line was used wrongly: a missing, conflicting or malformed option. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Options of `livechat send`, as commander parses them. */
export interface SendOptions {
  liveChat: string;
  channel: string;
  contact?: string;
  field?: string;
  account?: string;
  session?: string;
  text: string;
  subject?: string;
  var?: string[];
  as?: string;
  reuseOpenSession?: boolean;
  at?: string;
  urgent?: boolean;
  /** `--attach` (repeatable): a file's path, or an http(s) URL the worker fetches. */
  attach?: string[];
}

/** Options of `livechat initiate`. */
export interface InitiateOptions {
  liveChat: string;
  operator: string;
  channel: string;
  contact?: string;
  field?: string;
  account?: string;
  newContact?: string;
  phone?: string;
  email?: string;
  telegram?: string;
  subject?: string;
  message?: string;
}

/** Options of `livechat history`. */
export interface HistoryOptions {
  session?: string;
  contact?: string;
  account?: string;
}

export type HistoryQuery = { session: string } | { contact: string } | { account: string };

/** The one option of a group that is set, and its value; `flags` names them as the user types them. */
function exactlyOne<K extends string>(
  given: Partial<Record<K, string>>,
  flags: Record<K, string>,
): { key: K; value: string } {
  const keys = Object.keys(flags) as K[];
  const set = keys.flatMap((key) => {
    const value = given[key];
    return value === undefined ? [] : [{ key, value }];
  });
  const [only, ...others] = set;
  if (only === undefined) throw new UsageError(`give one of ${keys.map((key) => flags[key]).join(', ')}`);
  if (others.length > 0) {
    throw new UsageError(`give only one of ${set.map(({ key }) => flags[key]).join(', ')}`);
  }
  return only;
}

function onlyWith(flag: string, value: unknown, required: string, present: boolean): void {
  if (value !== undefined && !present) throw new UsageError(`${flag} goes with ${required}`);
}

/** `--var key=value` (repeatable) as template variables; the value may itself contain `=`. */
export function parseVariables(
  pairs: readonly string[] = [],
  flag = '--var',
): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const variables: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`${flag} takes key=value, not ${JSON.stringify(pair)}`);
    variables[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return variables;
}

/**
 * `--attach` values as attachments: an http(s) URL as it is (the worker fetches it), anything else a
 * file read now and sent inline, named by its base name; inline limits are checked here, before a
 * workflow starts with a history too large for Temporal.
 */
export function attachmentsFromOptions(
  values: readonly string[] = [],
  readFile: (path: string) => Buffer,
): AttachmentInput[] | undefined {
  if (values.length === 0) return undefined;
  const attachments = values.map((value): AttachmentInput => {
    if (/^https?:\/\//i.test(value)) return { url: value };
    let content: Buffer;
    try {
      content = readFile(value);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new UsageError(
        `--attach ${JSON.stringify(value)}: cannot read the file (${String(code ?? error)})`,
      );
    }
    return { filename: path.basename(value), content: content.toString('base64') };
  });
  checkAttachmentInputs(attachments);
  return attachments;
}

/** For callers without files to read: an `--attach` of a path is then a usage error. */
const noFiles = (file: string): Buffer => {
  throw new UsageError(`--attach ${JSON.stringify(file)}: files cannot be read here`);
};

export function sendInputFromOptions(
  options: SendOptions,
  readFile: (path: string) => Buffer = noFiles,
): SendLiveChatMessageInput {
  const { key, value } = exactlyOne(
    { contact: options.contact, account: options.account, session: options.session },
    { contact: '--contact', account: '--account', session: '--session' },
  );
  onlyWith('--field', options.field, '--contact', key === 'contact');
  let to: Recipient;
  if (key === 'contact') {
    to = { contactId: value, ...(options.field !== undefined ? { field: options.field } : {}) };
  } else if (key === 'account') {
    to = { account: value };
  } else {
    to = { sessionId: value };
  }
  const variables = parseVariables(options.var);
  const attachments = attachmentsFromOptions(options.attach, readFile);
  return {
    liveChatId: options.liveChat,
    channelId: options.channel,
    to,
    text: options.text,
    ...(options.subject !== undefined ? { subject: options.subject } : {}),
    ...(variables ? { variables } : {}),
    ...(options.as !== undefined ? { author: { kind: 'user' as const, userId: options.as } } : {}),
    ...(options.reuseOpenSession ? { reuseOpenSession: true } : {}),
    ...(options.at !== undefined ? { sendAt: options.at } : {}),
    ...(options.urgent ? { urgent: true } : {}),
    ...(attachments ? { attachments } : {}),
  };
}

export function initiateInputFromOptions(options: InitiateOptions): InitiateSessionInput {
  const { key, value } = exactlyOne(
    { contact: options.contact, account: options.account, newContact: options.newContact },
    { contact: '--contact', account: '--account', newContact: '--new-contact' },
  );
  onlyWith('--field', options.field, '--contact', key === 'contact');
  for (const [flag, given] of [
    ['--phone', options.phone],
    ['--email', options.email],
    ['--telegram', options.telegram],
  ] as const) {
    onlyWith(flag, given, '--new-contact', key === 'newContact');
  }
  let customer: SessionCustomer;
  if (key === 'contact') {
    customer = { contactId: value, ...(options.field !== undefined ? { field: options.field } : {}) };
  } else if (key === 'account') {
    customer = { account: value };
  } else {
    const accounts: AccountValue[] = [
      ...(options.phone !== undefined ? [{ kind: 'phone' as const, value: options.phone }] : []),
      ...(options.telegram !== undefined ? [{ kind: 'telegram' as const, value: options.telegram }] : []),
    ];
    customer = {
      newContact: {
        name: value,
        ...(accounts.length > 0 ? { accounts } : {}),
        ...(options.email !== undefined ? { emails: [options.email] } : {}),
      },
    };
  }
  return {
    liveChatId: options.liveChat,
    operatorId: options.operator,
    channelId: options.channel,
    customer,
    ...(options.subject !== undefined ? { subject: options.subject } : {}),
    ...(options.message !== undefined ? { firstMessage: options.message } : {}),
  };
}

export function historyQueryFromOptions(options: HistoryOptions): HistoryQuery {
  const { key, value } = exactlyOne(
    { session: options.session, contact: options.contact, account: options.account },
    { session: '--session', contact: '--contact', account: '--account' },
  );
  if (key === 'session') return { session: value };
  if (key === 'contact') return { contact: value };
  return { account: value };
}

/** Options of `livechat bulk start`. */
export interface BulkOptions {
  liveChat: string;
  channel: string;
  contact: string[];
  account: string[];
  contactsFile?: string;
  accountsFile?: string;
  all?: boolean;
  where: string[];
  text: string;
  subject?: string;
  var?: string[];
  as?: string;
  concurrency?: string;
}

/** The lines of a recipients file that are not empty or comments (`#`). */
function listedIn(contents: string): string[] {
  return contents
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * `livechat bulk start`'s audience is exactly one of: `--contact` / `--account` (repeatable, may be
 * mixed), `--contacts-file` / `--accounts-file` (one per line), or `--all` (the bound app's contacts
 * with an account of the channel's kind, narrowed by `--where key=value`).
 */
export function bulkInputFromOptions(
  options: BulkOptions,
  readFile: (path: string) => string,
): BulkNotifyInput {
  const given = [
    options.contact.length + options.account.length > 0 ? '--contact/--account' : undefined,
    options.contactsFile !== undefined ? '--contacts-file' : undefined,
    options.accountsFile !== undefined ? '--accounts-file' : undefined,
    options.all ? '--all' : undefined,
  ].filter((flag) => flag !== undefined);
  if (given.length === 0)
    throw new UsageError(
      'give the recipients: --contact/--account, --contacts-file, --accounts-file or --all',
    );
  if (given.length > 1) throw new UsageError(`give only one of ${given.join(', ')}`);
  if (options.where.length > 0 && !options.all) throw new UsageError('--where goes with --all');
  let audience: BulkNotifyInput['audience'];
  if (options.all) {
    const where = parseVariables(options.where, '--where');
    audience = { query: where ? { where } : {} };
  } else {
    const recipients: BulkRecipient[] =
      options.contactsFile !== undefined
        ? listedIn(readFile(options.contactsFile)).map((contactId) => ({ contactId }))
        : options.accountsFile !== undefined
          ? listedIn(readFile(options.accountsFile)).map((account) => ({ account }))
          : [
              ...options.contact.map((contactId) => ({ contactId })),
              ...options.account.map((account) => ({ account })),
            ];
    audience = { recipients };
  }
  const concurrency = options.concurrency === undefined ? undefined : Number(options.concurrency);
  if (concurrency !== undefined && !Number.isInteger(concurrency))
    throw new UsageError(`--concurrency takes a whole number, not ${JSON.stringify(options.concurrency)}`);
  const variables = parseVariables(options.var);
  return {
    liveChatId: options.liveChat,
    channelId: options.channel,
    audience,
    text: options.text,
    ...(options.subject !== undefined ? { subject: options.subject } : {}),
    ...(variables ? { variables } : {}),
    ...(options.as !== undefined ? { author: { kind: 'user' as const, userId: options.as } } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
  };
}
