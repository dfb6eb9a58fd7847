// @ts-check
// Every string the page shows, in one catalogue.

/**
 * @typedef {Record<string, string | number>} Vars
 * @typedef {string | ((vars: Vars) => string)} Entry
 */

const EN = {
  appName: 'Live Chats',
  language: 'Language',
  skipToContent: 'Skip to content',
  signIn: 'Sign in',
  loginLabel: 'Operator id or email',
  passwordLabel: 'Password',
  signOut: 'Sign out',
  mySessions: 'My Sessions',
  newSession: '+New Session',
  findCustomer: 'Find a customer',
  search: 'Search',
  searchPlaceholder: 'Name, phone or email',
  customersFoundList: 'Customers found',
  noSessionSelected: 'No session selected',
  chooseSessionHint: 'Choose a session from My Sessions, or start one with +New Session.',
  closeSession: 'Close session',
  reply: 'Reply',
  send: 'Send',
  widgetTitle: 'Live Chat Messages',
  showConversationsWith: 'Show conversations with',
  newSessionTitle: 'New session',
  liveChat: 'Live chat',
  channel: 'Channel',
  customer: 'Customer',
  modeContact: 'Find a customer',
  modeNew: 'New customer',
  modeAccount: 'Account only',
  searchChatCustomers: "Search the live chat's customers",
  searchCustomers: 'Search customers',
  account: 'Account',
  name: 'Name',
  phoneLabel: 'Phone (WhatsApp), with + and country code',
  email: 'Email',
  telegramId: 'Telegram chat id',
  accountLabel: 'Phone number, email address or Telegram chat id',
  subjectLabel: "Subject (also the session's name)",
  firstMessage: 'First message',
  cancel: 'Cancel',
  create: 'Create',
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
  attachFiles: 'Attach files',
  optedOut: 'Opted out',
  optedIn: 'Opted in',
  scopeLegend: 'Which sessions',
  scopeMine: 'Mine',
  scopeUnassigned: 'Unassigned',
  scopeAll: 'All',
  stateLabel: 'Open or closed',
  stateOpenOption: 'Open',
  stateClosedOption: 'Closed',
  sessionSearch: 'Search sessions',
  sessionSearchPlaceholder: 'Customer, account or session',
  sound: 'Sound for new customer messages',
  noSessions: 'No sessions here.',
  /** @param {Vars} v */
  unreadCount: (v) => `${v.count} unread`,
  templateLegend: 'Outside the 24-hour window: an approved template',
  template: 'Template',
  preview: 'What the customer reads',
  /** @param {Vars} v */
  variable: (v) => `Variable {{${v.name}}}`,
  /** @param {Vars} v */
  fillVariable: (v) => `Fill in the variable {{${v.name}}}.`,
  /** @param {Vars} v */
  windowOpen: (v) => `WhatsApp window open: ${v.left} left for free text.`,
  windowClosed:
    'WhatsApp window closed: the customer has not written for 24 hours; only approved templates go.',
  windowNever: 'WhatsApp window closed: the customer has not written yet; only approved templates go.',
  /** @param {Vars} v */
  hoursMinutes: (v) => `${v.h} h ${v.m} min`,
  /** @param {Vars} v */
  minutes: (v) => `${v.m} min`,
};

/** @typedef {keyof typeof EN} Key */

/** Russian: every key of EN (the type says so). @type {Record<Key, Entry>} */
const RU = {
  appName: 'Живые чаты',
  language: 'Язык',
  skipToContent: 'К содержимому',
  signIn: 'Войти',
  loginLabel: 'Id оператора или email',
  passwordLabel: 'Пароль',
  signOut: 'Выйти',
  mySessions: 'Мои сессии',
  newSession: '+Новая сессия',
  findCustomer: 'Найти клиента',
  search: 'Найти',
  searchPlaceholder: 'Имя, телефон или email',
  customersFoundList: 'Найденные клиенты',
  noSessionSelected: 'Сессия не выбрана',
  chooseSessionHint: 'Выберите сессию в «Мои сессии» или начните новую кнопкой «+Новая сессия».',
  closeSession: 'Закрыть сессию',
  reply: 'Ответ',
  send: 'Отправить',
  widgetTitle: 'Сообщения живых чатов',
  showConversationsWith: 'Показать переписку с',
  newSessionTitle: 'Новая сессия',
  liveChat: 'Живой чат',
  channel: 'Канал',
  customer: 'Клиент',
  modeContact: 'Найти клиента',
  modeNew: 'Новый клиент',
  modeAccount: 'Только аккаунт',
  searchChatCustomers: 'Поиск среди клиентов живого чата',
  searchCustomers: 'Найти клиентов',
  account: 'Аккаунт',
  name: 'Имя',
  phoneLabel: 'Телефон (WhatsApp), с + и кодом страны',
  email: 'Email',
  telegramId: 'Id чата в Telegram',
  accountLabel: 'Номер телефона, адрес email или id чата в Telegram',
  subjectLabel: 'Тема (она же название сессии)',
  firstMessage: 'Первое сообщение',
  cancel: 'Отмена',
  create: 'Создать',
  loading: 'Загрузка…',
  signedOut: 'Вы вышли.',
  sessionEnded: 'Ваш сеанс закончился; войдите снова.',
  enterLogin: 'Введите id оператора или email и пароль.',
  online: 'В сети',
  busy: 'Занят',
  offline: 'Не в сети',
  youAre: (v) => `Ваш статус: ${v.status}.`,
  'status.pending': 'Ожидает',
  'status.sent': 'Отправлено',
  'status.delivered': 'Доставлено',
  'status.read': 'Прочитано',
  'status.failed': 'Не доставлено',
  'status.cancelled': 'Отменено',
  scheduledFor: (v) => `Запланировано на ${v.time}`,
  viewInTemporal: 'Открыть в Temporal UI',
  attachments: 'Вложения',
  subjectLine: (v) => `Тема: ${v.subject}`,
  newMessageSaid: (v) => `Новое сообщение. ${v.author}: ${v.text}`,
  sessionNotAvailable: 'Сессия недоступна',
  stateOpen: 'открыта',
  stateClosed: 'закрыта',
  badgeOpen: 'Открыта',
  badgeClosed: 'Закрыта',
  assignedTo: (v) => `назначена: ${v.name}`,
  unassigned: 'не назначена',
  writeFirst: 'Сначала напишите сообщение.',
  sessionClosed: 'Сессия закрыта.',
  customerNotAvailable: 'Клиент недоступен',
  everyAccount: 'всеми аккаунтами',
  noConversations: 'Переписки пока нет.',
  customersFound: (v) => `Найдено клиентов: ${v.count}.`,
  noCustomerFound: 'Клиент не найден.',
  chooseCustomerFirst: 'Сначала выберите клиента',
  accountOption: (v) => `${v.value} (${v.kind}, поле ${v.field})`,
  channelOption: (v) => `${v.name} (${v.label})`,
  channelCustomersOnly: (v) => `${v.name} (${v.label}: сессии начинают только клиенты)`,
  notAnOperatorAnywhere: 'Вы не оператор ни одного живого чата и не можете начинать сессии.',
  chooseCustomer: 'Выберите клиента: найдите его или создайте нового.',
  enterNewName: 'Введите имя нового клиента.',
  enterAccount: 'Введите номер телефона, адрес email или id чата в Telegram клиента.',
  chooseChatAndChannel: 'Выберите живой чат и канал.',
  openThatSession: 'Открыть эту сессию',
  sessionStarted: (v) => `Сессия «${v.name}» начата.`,
  sessionStarting: 'Сессия начинается; через мгновение она появится в «Мои сессии».',
  'refusal.OperatorOffline': 'Вы не в сети.',
  'refusal.SessionAlreadyOpen': 'Сессия уже открыта.',
  'refusal.AccountKindMismatch': 'Этот аккаунт не подходит к каналу.',
  'refusal.InvalidPhoneNumber': 'Номер телефона неверен.',
  'refusal.InvalidEmail': 'Адрес email неверен.',
  'refusal.TelegramChatUnknown': 'Этот человек не писал боту.',
  'refusal.ChannelCannotInitiate': 'В этом канале нельзя начинать сессии.',
  'refusal.ContactHasNoAccount': 'У клиента нет такого аккаунта.',
  'refusal.NotAnOperator': 'Вы не оператор этого живого чата.',
  'refusal.default': 'Не удалось создать сессию.',
  attachFiles: 'Прикрепить файлы',
  optedOut: 'Отписан',
  optedIn: 'Подписан',
  scopeLegend: 'Какие сессии',
  scopeMine: 'Мои',
  scopeUnassigned: 'Без оператора',
  scopeAll: 'Все',
  stateLabel: 'Открытые или закрытые',
  stateOpenOption: 'Открытые',
  stateClosedOption: 'Закрытые',
  sessionSearch: 'Поиск сессий',
  sessionSearchPlaceholder: 'Клиент, аккаунт или сессия',
  sound: 'Звук при новом сообщении клиента',
  noSessions: 'Здесь сессий нет.',
  unreadCount: (v) => `непрочитанных: ${v.count}`,
  templateLegend: 'Вне 24-часового окна: утверждённый шаблон',
  template: 'Шаблон',
  preview: 'Что прочтёт клиент',
  variable: (v) => `Переменная {{${v.name}}}`,
  fillVariable: (v) => `Заполните переменную {{${v.name}}}.`,
  windowOpen: (v) => `Окно WhatsApp открыто: свободный текст ещё ${v.left}.`,
  windowClosed: 'Окно WhatsApp закрыто: клиент не писал 24 часа; можно только утверждённые шаблоны.',
  windowNever: 'Окно WhatsApp закрыто: клиент ещё не писал; можно только утверждённые шаблоны.',
  hoursMinutes: (v) => `${v.h} ч ${v.m} мин`,
  minutes: (v) => `${v.m} мин`,
};

/** @type {Record<string, Record<Key, Entry>>} */
const CATALOGUES = { en: EN, ru: RU };

export const LANGUAGES = Object.keys(CATALOGUES);
const STORED = 'livechat.language';

/** The operator's choice if they made one, else the first of the browser's languages we have. */
function initialLanguage() {
  try {
    const stored = localStorage.getItem(STORED);
    if (stored && stored in CATALOGUES) return stored;
  } catch {
    // Storage may be refused (private mode): the browser's language then.
  }
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0] ?? '';
    if (base in CATALOGUES) return base;
  }
  return 'en';
}

let language = initialLanguage();

/** @type {Set<() => void>} */
const listeners = new Set();

/** Calls `render` whenever the language changes (screens put their dynamic text anew). @param {() => void} render */
export function onLanguageChange(render) {
  listeners.add(render);
}

/** Switches the page's language (and remembers it). @param {string} next */
export function setLanguage(next) {
  if (!(next in CATALOGUES) || next === language) return;
  language = next;
  try {
    localStorage.setItem(STORED, next);
  } catch {
    // Not remembered: the choice lasts for this page.
  }
  translateStatic();
  for (const render of listeners) render();
}

/**
 * The page's own text in the language: elements marked `data-i18n` (their text),
 * `data-i18n-placeholder` and `data-i18n-aria-label`, the title and `<html lang>`.
 */
export function translateStatic(root = document) {
  document.documentElement.lang = language;
  // The title also counts what waits (the session list sets it again with its badge).
  document.title = t('appName');
  for (const element of root.querySelectorAll('[data-i18n]')) {
    const key = element.getAttribute('data-i18n') ?? '';
    if (hasKey(key)) element.textContent = t(key);
  }
  for (const [attribute, name] of [
    ['data-i18n-placeholder', 'placeholder'],
    ['data-i18n-aria-label', 'aria-label'],
  ]) {
    if (!attribute || !name) continue;
    for (const element of root.querySelectorAll(`[${attribute}]`)) {
      const key = element.getAttribute(attribute) ?? '';
      if (hasKey(key)) element.setAttribute(name, t(key));
    }
  }
}

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
