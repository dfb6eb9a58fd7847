/**
 * What differs between channel kinds, in one table. Activities ask the table ("which account kind?",
 * "one open session per account?") instead of branching on the kind, so a new kind (Viber, VK, …)
 * is one more `ChannelKind` member and one more row here; the compiler points at the missing row.
 */
import { normaliseEmail } from './email';
import { AccountKindMismatch, ChannelCannotInitiate, InvalidInput } from './errors';
import { MAX_MESSAGE_TEXT_LENGTH } from './limits';
import { toE164 } from './phone';
import { normaliseTelegramChatId } from './telegram';
import type { AccountKind, AccountValue, ChannelKind } from './types';

/** Messengers keep one conversation per person (rule 7); email threads are independent (rule 8). */
export type OpenSessionPolicy = 'one-per-account' | 'many-per-account';

export interface ChannelRules {
  readonly kind: ChannelKind;
  /** How people name the channel, e.g. in session names. */
  readonly label: string;
  /** The account kind it sends to; `null` when the channel identifies people itself (the widget). */
  readonly accountKind: AccountKind | null;
  /** Whether operators and processes may start sessions on it (rule 12). */
  readonly canInitiate: boolean;
  readonly openSessionPolicy: OpenSessionPolicy;
  /** Only people who wrote to us before can be reached, so the system must remember them (rule 9). */
  readonly requiresKnownChat: boolean;
  /** Messages carry a subject, which also names a new session (rule 5). */
  readonly hasSubject: boolean;
  /** The longest text the provider accepts. */
  readonly maxTextLength: number;
  /** The canonical form of an address on this channel; throws a typed error when it is not one. */
  normaliseAddress(raw: string): string;
}

/** The widget's visitor ids are opaque: we only insist that there is one. */
function normaliseVisitorId(raw: string): string {
  const value = raw.trim();
  if (value === '')
    throw new InvalidInput({ path: 'account', message: 'a website visitor id must not be empty' });
  return value;
}

const CHANNELS: { readonly [K in ChannelKind]: ChannelRules & { readonly kind: K } } = {
  email: {
    kind: 'email',
    label: 'Email',
    accountKind: 'email',
    canInitiate: true,
    openSessionPolicy: 'many-per-account',
    requiresKnownChat: false,
    hasSubject: true,
    maxTextLength: MAX_MESSAGE_TEXT_LENGTH,
    normaliseAddress: normaliseEmail,
  },
  whatsapp: {
    kind: 'whatsapp',
    label: 'WhatsApp',
    accountKind: 'phone',
    canInitiate: true,
    openSessionPolicy: 'one-per-account',
    requiresKnownChat: false,
    hasSubject: false,
    // Twilio's Messages API refuses a Body longer than 1600 characters (error 21617).
    maxTextLength: 1600,
    normaliseAddress: toE164,
  },
  telegram: {
    kind: 'telegram',
    label: 'Telegram',
    accountKind: 'telegram',
    canInitiate: true,
    openSessionPolicy: 'one-per-account',
    requiresKnownChat: true,
    hasSubject: false,
    maxTextLength: MAX_MESSAGE_TEXT_LENGTH,
    normaliseAddress: normaliseTelegramChatId,
  },
  livechat: {
    kind: 'livechat',
    label: 'Live chat',
    accountKind: null,
    canInitiate: false,
    openSessionPolicy: 'one-per-account',
    requiresKnownChat: false,
    hasSubject: false,
    maxTextLength: MAX_MESSAGE_TEXT_LENGTH,
    normaliseAddress: normaliseVisitorId,
  },
};

export const CHANNEL_KINDS: readonly ChannelKind[] = Object.freeze(Object.keys(CHANNELS) as ChannelKind[]);

export function isChannelKind(x: unknown): x is ChannelKind {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(CHANNELS, x);
}

/** The rules of a channel kind; an unknown kind (e.g. from a database row or an API call) is `InvalidInput`. */
export function channelRules(kind: string): ChannelRules {
  if (!isChannelKind(kind)) {
    throw new InvalidInput({
      path: 'channelKind',
      message: `${JSON.stringify(kind)} is not a channel kind; known kinds are ${CHANNEL_KINDS.join(', ')}`,
    });
  }
  return CHANNELS[kind];
}

const ACCOUNT_NORMALISERS: Record<AccountKind, (raw: string) => string> = {
  phone: toE164,
  email: normaliseEmail,
  telegram: normaliseTelegramChatId,
};

/** Every account kind, from the table above (for input schemas and look-ups by every kind). */
export const ACCOUNT_KINDS = Object.freeze(
  Object.keys(ACCOUNT_NORMALISERS),
) as readonly AccountKind[] as readonly [AccountKind, ...AccountKind[]];

/** The channel kinds as a non-empty tuple, for `z.enum`. */
export const CHANNEL_KIND_LIST = CHANNEL_KINDS as readonly ChannelKind[] as readonly [
  ChannelKind,
  ...ChannelKind[],
];

/** The canonical form of an account value of a given kind (e.g. a contact's Account field). */
export function normaliseAccount(kind: AccountKind, raw: string): string {
  return ACCOUNT_NORMALISERS[kind](raw);
}

/**
 * Rule 4: the account kind must be the one the channel sends to. A channel that takes no account
 * (the widget) cannot be sent to at all, which is `ChannelCannotInitiate` (rule 12).
 */
export function checkAccountKind(channelKind: ChannelKind, accountKind: AccountKind): void {
  const expected = channelRules(channelKind).accountKind;
  if (expected === null) throw new ChannelCannotInitiate({ channelKind });
  if (accountKind !== expected) throw new AccountKindMismatch({ channelKind, expected, given: accountKind });
}

/**
 * The account kind of a bare value, for the `{ account: string }` recipient form. Only the shape is
 * read, never a country:
 * - an `@` after the first character: email (`@name` alone is a Telegram username, not an email);
 * - on a Telegram channel, a plain integer (possibly negative): a Telegram chat id;
 * - `+`, or digits with phone formatting: phone (a number without `+` is later refused by rule 10);
 * - anything else: the channel's own kind, so the user gets that kind's specific error.
 * Returns `null` only for a channel that takes no account (the widget).
 */
export function guessAccountKind(raw: string, channelKind: ChannelKind): AccountKind | null {
  const value = raw.trim();
  const own = channelRules(channelKind).accountKind;
  if (value.indexOf('@') > 0) return 'email';
  if (own === 'telegram' && /^-?\d+$/.test(value)) return 'telegram';
  if (value.startsWith('+') || /^[\d\s\-().]*\d[\d\s\-().]*$/.test(value)) return 'phone';
  return own;
}

/**
 * The account to send to on a channel when starting a session or sending a process message:
 * refuses channels that cannot start sessions (rule 12), checks the account kind (rule 4; a bare
 * string's kind is guessed), and returns the normalised value (rule 10 for phones).
 */
export function accountForChannel(channelKind: ChannelKind, account: AccountValue | string): AccountValue {
  const rules = channelRules(channelKind);
  if (!rules.canInitiate) throw new ChannelCannotInitiate({ channelKind });
  const raw = typeof account === 'string' ? account : account.value;
  const kind = typeof account === 'string' ? guessAccountKind(account, channelKind) : account.kind;
  if (kind === null) throw new ChannelCannotInitiate({ channelKind });
  checkAccountKind(channelKind, kind);
  return { kind, value: rules.normaliseAddress(raw) };
}
