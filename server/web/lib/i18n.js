// @ts-check
// Every string the page shows, in one catalogue.

/**
 * @typedef {Record<string, string | number>} Vars
 * @typedef {string | ((vars: Vars) => string)} Entry
 */

const EN = {
  loading: 'Loading…',
  signedOut: 'You are signed out.',
  sessionEnded: 'Your session has ended; sign in again.',
  enterLogin: 'Enter your operator id or email and your password.',
  online: 'Online',
  busy: 'Busy',
  offline: 'Offline',
  /** @param {Vars} v */
  youAre: (v) => `You are ${v.status}.`,
  'status.pending': 'Pending',
  'status.sent': 'Sent',
  'status.delivered': 'Delivered',
  'status.read': 'Read',
  'status.failed': 'Failed',
  'status.cancelled': 'Cancelled',
  /** @param {Vars} v */
  scheduledFor: (v) => `Scheduled for ${v.time}`,
  viewInTemporal: 'View in Temporal UI',
  attachments: 'Attachments',
  /** @param {Vars} v */
  subjectLine: (v) => `Subject: ${v.subject}`,
  /** @param {Vars} v */
  newMessageSaid: (v) => `New message. ${v.author}: ${v.text}`,
  sessionNotAvailable: 'Session not available',
  stateOpen: 'open',
  stateClosed: 'closed',
  badgeOpen: 'Open',
  badgeClosed: 'Closed',
  /** @param {Vars} v */
  assignedTo: (v) => `assigned to ${v.name}`,
  unassigned: 'unassigned',
  writeFirst: 'Write a message first.',
  sessionClosed: 'The session is closed.',
  customerNotAvailable: 'Customer not available',
  everyAccount: 'every account',
  noConversations: 'No conversations yet.',
  /** @param {Vars} v */
  customersFound: (v) => `${v.count} customer${v.count === 1 ? '' : 's'} found.`,
  noCustomerFound: 'No customer found.',
  chooseCustomerFirst: 'Choose a customer first',
  /** @param {Vars} v */
  accountOption: (v) => `${v.value} (${v.kind}, field ${v.field})`,
  /** @param {Vars} v */
  channelOption: (v) => `${v.name} (${v.label})`,
  /** @param {Vars} v */
  channelCustomersOnly: (v) => `${v.name} (${v.label}: only customers start sessions)`,
  notAnOperatorAnywhere: 'You are not an operator of any live chat, so you cannot start sessions.',
  chooseCustomer: 'Choose a customer: search for them, or create a new one.',
  enterNewName: "Enter the new customer's name.",
  enterAccount: 'Enter the customer’s phone number, email address or Telegram chat id.',
  chooseChatAndChannel: 'Choose a live chat and a channel.',
  openThatSession: 'Open that session',
  /** @param {Vars} v */
  sessionStarted: (v) => `Session ${v.name} started.`,
  sessionStarting: 'The session is being started; it appears in My Sessions in a moment.',
  'refusal.OperatorOffline': 'You are offline.',
  'refusal.SessionAlreadyOpen': 'A session is already open.',
  'refusal.AccountKindMismatch': 'This account does not fit the channel.',
  'refusal.InvalidPhoneNumber': 'The phone number is not valid.',
  'refusal.InvalidEmail': 'The email address is not valid.',
  'refusal.TelegramChatUnknown': 'This person has not written to the bot.',
  'refusal.ChannelCannotInitiate': 'Sessions cannot be started on this channel.',
  'refusal.ContactHasNoAccount': 'The customer has no such account.',
  'refusal.NotAnOperator': 'You are not an operator of this live chat.',
  'refusal.default': 'Could not create the session.',
};

/** @typedef {keyof typeof EN} Key */

/** @type {Record<string, Record<Key, Entry>>} */
const CATALOGUES = { en: EN };

/** @type {string} */
let language = 'en';

/**
 * The text of `key` in the page's language, with `vars` filled in.
 * @param {Key} key
 * @param {Vars} [vars]
 * @returns {string}
 */
export function t(key, vars = {}) {
  const entry = CATALOGUES[language]?.[key] ?? EN[key];
  return typeof entry === 'function' ? entry(vars) : entry;
}

/** Whether the catalogue has this key (the refusal titles are looked up by error type). @param {string} key @returns {key is Key} */
export const hasKey = (key) => key in EN;

export const currentLanguage = () => language;

/** Dates and times in the page's language. @param {string} iso */
export const formatTime = (iso) => new Date(iso).toLocaleString(language);

/** @param {number} bytes */
export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} ${language === 'ru' ? 'байт' : 'bytes'}`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
