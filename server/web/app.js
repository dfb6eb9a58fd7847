// The operators' workspace: one page, no framework, no build step. Everything shown comes from
// /api as JSON and is put into the page with textContent only, so nothing a customer writes can
// become markup.

const $ = (id) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
};

const state = {
  me: null,
  liveChats: [],
  sessions: [],
  /** What the main pane shows: { kind: 'session' | 'contact', id } or null. */
  view: null,
  events: null,
  newSession: { requestId: null, contact: null },
};

const STATUS_WORDS = {
  pending: 'Pending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

class ApiFailure extends Error {
  constructor(status, body) {
    const error = body && body.error ? body.error : { type: 'Error', message: `HTTP ${status}` };
    super(error.message);
    this.status = status;
    this.type = error.type;
    this.details = error.details;
    this.link = error.link;
  }
}

async function api(method, path, body) {
  const init = { method, headers: { accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  // Signed out behind our back (expired, signed out elsewhere): back to the sign-in form.
  if (response.status === 401 && state.me) showSignIn('Your session has ended; sign in again.');
  if (!response.ok) throw new ApiFailure(response.status, data);
  return { status: response.status, data };
}

function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'text') element.textContent = value;
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

function announce(text) {
  const announcer = $('announcer');
  announcer.textContent = '';
  // A fresh text node after a tick, so the same sentence twice is announced twice.
  setTimeout(() => (announcer.textContent = text), 50);
}

const formatTime = (iso) => new Date(iso).toLocaleString();

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// --- signing in and out ---------------------------------------------------------------------

function showSignIn(message) {
  state.me = null;
  if (state.events) state.events.close();
  state.events = null;
  $('loading').hidden = true;
  $('workspace').hidden = true;
  $('me').hidden = true;
  $('sign-in-view').hidden = false;
  $('sign-in-error').textContent = message || '';
  $('sign-in-login').focus();
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const login = $('sign-in-login').value.trim();
  const password = $('sign-in-password').value;
  if (!login || !password) {
    $('sign-in-error').textContent = 'Enter your operator id or email and your password.';
    return;
  }
  const body = login.includes('@') ? { email: login, password } : { operatorId: login, password };
  try {
    await api('POST', '/api/sign-in', body);
    $('sign-in-password').value = '';
    await start();
  } catch (error) {
    $('sign-in-error').textContent = error.message;
  }
});

$('sign-out').addEventListener('click', async () => {
  try {
    await api('POST', '/api/sign-out');
  } finally {
    showSignIn('You are signed out.');
  }
});

// --- status ---------------------------------------------------------------------------------

function renderStatus(status) {
  const online = status === 'online';
  const toggle = $('status-toggle');
  toggle.setAttribute('aria-checked', String(online));
  toggle.dataset.status = status;
  $('status-text').textContent = online ? 'Online' : status === 'busy' ? 'Busy' : 'Offline';
}

$('status-toggle').addEventListener('click', async () => {
  const next = $('status-toggle').getAttribute('aria-checked') === 'true' ? 'offline' : 'online';
  try {
    const { data } = await api('PUT', '/api/me/status', { status: next });
    renderStatus(data.status);
    announce(`You are ${data.status}.`);
  } catch (error) {
    announce(error.message);
  }
});

// --- start-up and routing -------------------------------------------------------------------

async function start() {
  let me;
  try {
    me = (await api('GET', '/api/me')).data;
  } catch (error) {
    showSignIn(error.status === 401 ? '' : error.message);
    return;
  }
  state.me = me;
  $('loading').hidden = true;
  $('sign-in-view').hidden = true;
  $('workspace').hidden = false;
  $('me').hidden = false;
  $('operator-name').textContent = me.operator.name;
  renderStatus(me.operator.status);
  state.liveChats = (await api('GET', '/api/live-chats')).data.liveChats;
  connectEvents();
  await Promise.all([loadSessions(), route()]);
}

function parseRoute() {
  const match = /^#\/(sessions|contacts)\/([^/]+)$/.exec(location.hash);
  if (!match) return null;
  return { kind: match[1] === 'sessions' ? 'session' : 'contact', id: decodeURIComponent(match[2]) };
}

async function route() {
  if (!state.me) return;
  state.view = parseRoute();
  $('empty-view').hidden = state.view !== null;
  $('session-view').hidden = state.view?.kind !== 'session';
  $('contact-view').hidden = state.view?.kind !== 'contact';
  markCurrentSession();
  if (state.view?.kind === 'session') await loadSession(state.view.id);
  if (state.view?.kind === 'contact') await loadContact(state.view.id);
}

window.addEventListener('hashchange', () => void route());

// --- live updates ---------------------------------------------------------------------------

function connectEvents() {
  if (state.events) state.events.close();
  const events = new EventSource('/api/events');
  state.events = events;
  // After every (re)connection the feed is listening: reload what is shown so nothing falls between.
  events.addEventListener('ready', () => {
    document.body.dataset.live = 'true';
    void loadSessions();
    void route();
  });
  events.addEventListener('message', (event) => {
    const { sessionId, message } = JSON.parse(event.data);
    if (state.view?.kind === 'session' && state.view.id === sessionId) upsertMessage(message, true);
    if (state.view?.kind === 'contact') scheduleContactReload();
    scheduleSessionsReload();
  });
  events.addEventListener('error', () => {
    document.body.dataset.live = 'false';
    // EventSource reconnects by itself; a closed stream after sign-out stays closed.
    if (!state.me) events.close();
  });
}

let sessionsTimer = null;
function scheduleSessionsReload() {
  clearTimeout(sessionsTimer);
  sessionsTimer = setTimeout(() => void loadSessions(), 300);
}

let contactTimer = null;
function scheduleContactReload() {
  clearTimeout(contactTimer);
  contactTimer = setTimeout(() => {
    if (state.view?.kind === 'contact') void loadContact(state.view.id);
  }, 300);
}

// --- My Sessions ----------------------------------------------------------------------------

async function loadSessions() {
  try {
    state.sessions = (await api('GET', '/api/my-sessions')).data.sessions;
  } catch {
    return;
  }
  const list = $('session-list');
  list.replaceChildren(
    ...state.sessions.map((s) =>
      el(
        'li',
        {},
        el(
          'a',
          { href: `#/sessions/${encodeURIComponent(s.id)}`, 'data-session-id': s.id, class: 'session-link' },
          el('span', { class: 'session-name', text: s.name }),
          el('span', {
            class: 'session-sub',
            text: `${s.channel.name} · ${s.contact ? s.contact.name : s.account}`,
          }),
          s.lastMessage ? el('span', { class: 'session-last', text: s.lastMessage.text }) : null,
        ),
      ),
    ),
  );
  $('sessions-empty').hidden = state.sessions.length > 0;
  markCurrentSession();
}

function markCurrentSession() {
  for (const link of document.querySelectorAll('.session-link')) {
    const current = state.view?.kind === 'session' && link.dataset.sessionId === state.view.id;
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

// --- a session's history --------------------------------------------------------------------

let currentSession = null;

async function loadSession(id) {
  let data;
  try {
    data = (await api('GET', `/api/sessions/${encodeURIComponent(id)}/messages`)).data;
  } catch (error) {
    $('session-title').textContent = 'Session not available';
    $('session-meta').textContent = error.message;
    $('history').replaceChildren();
    $('close-session').hidden = true;
    $('reply-form').hidden = true;
    return;
  }
  if (state.view?.kind !== 'session' || state.view.id !== id) return;
  currentSession = data.session;
  renderSessionHead(data.session);
  $('history').replaceChildren(...data.messages.map(messageItem));
  scrollHistory();
}

function renderSessionHead(session) {
  $('session-title').textContent = session.name;
  const meta = $('session-meta');
  const who = session.contact
    ? el('a', { href: `#/contacts/${encodeURIComponent(session.contact.id)}`, text: session.contact.name })
    : document.createTextNode(session.account);
  meta.replaceChildren(
    document.createTextNode(`${session.liveChat.name} · ${session.channel.name} · `),
    who,
    document.createTextNode(
      ` (${session.account}) · ${session.state === 'open' ? 'open' : 'closed'}` +
        (session.assignedOperator ? ` · assigned to ${session.assignedOperator.name}` : ' · unassigned'),
    ),
    ...(session.consent ? [consentBadge(session.consent)] : []),
  );
  const open = session.state === 'open';
  $('close-session').hidden = !open;
  $('reply-form').hidden = !open;
}

/** An account's opt-out or opt-in, as a badge (how and when in its title). */
function consentBadge(consent) {
  const out = consent.state === 'opted-out';
  return el('span', {
    class: `badge badge-${out ? 'failed' : 'delivered'}`,
    'data-consent': consent.state,
    title: `${consent.method}, ${new Date(consent.at).toLocaleString()}`,
    text: out ? 'Opted out' : 'Opted in',
  });
}

function statusBadge(message) {
  // A pending message with a time is waiting for it (a scheduled send, or the customer's quiet hours).
  const scheduled = message.status === 'pending' && message.scheduledFor;
  const badge = el('span', {
    class: `badge badge-${scheduled ? 'scheduled' : message.status}`,
    'data-status': scheduled ? 'scheduled' : message.status,
    text: scheduled
      ? `Scheduled for ${new Date(message.scheduledFor).toLocaleString()}`
      : STATUS_WORDS[message.status] || message.status,
  });
  const parts = [badge];
  if (message.status === 'failed' && message.failureReason) {
    parts.push(el('span', { class: 'failure-reason', text: message.failureReason }));
  }
  return parts;
}

function authorElement(author) {
  const label = el('span', { class: `author author-${author.kind}`, text: author.label });
  if (author.kind !== 'process' || !author.temporalUrl) return label;
  return el(
    'span',
    {},
    label,
    document.createTextNode(' '),
    el('a', {
      href: author.temporalUrl,
      target: '_blank',
      rel: 'noopener noreferrer',
      class: 'temporal-link',
      text: 'View in Temporal UI',
    }),
  );
}

function messageItem(message) {
  const status =
    message.direction === 'outbound' ? el('p', { class: 'message-status' }, ...statusBadge(message)) : null;
  return el(
    'li',
    {
      class: `message message-${message.direction} message-by-${message.author.kind}`,
      'data-message-id': message.id,
      'data-status': message.status,
    },
    el(
      'p',
      { class: 'message-head' },
      authorElement(message.author),
      document.createTextNode(' · '),
      el('time', { datetime: message.createdAt, text: formatTime(message.createdAt) }),
    ),
    message.subject ? el('p', { class: 'message-subject', text: `Subject: ${message.subject}` }) : null,
    el('p', { class: 'message-text', text: message.text }),
    attachmentList(message.attachments),
    status,
  );
}

/** The files sent with a message: name and size (operators see what went out, not the bytes). */
function attachmentList(attachments) {
  if (!attachments || attachments.length === 0) return null;
  return el(
    'ul',
    { class: 'message-attachments', 'aria-label': 'Attachments' },
    ...attachments.map((file) =>
      el('li', { class: 'message-attachment', text: `${file.filename} (${formatSize(file.size)})` }),
    ),
  );
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function upsertMessage(message, live) {
  const history = $('history');
  const existing = history.querySelector(`[data-message-id="${CSS.escape(message.id)}"]`);
  const item = messageItem(message);
  if (existing) {
    existing.replaceWith(item);
    return;
  }
  history.append(item);
  scrollHistory();
  if (live && message.author.kind !== 'operator') {
    announce(`New message. ${message.author.label}: ${message.text}`);
  }
}

function scrollHistory() {
  const history = $('history');
  history.scrollTop = history.scrollHeight;
}

$('reply-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!currentSession) return;
  const text = $('reply-text').value;
  $('reply-error').textContent = '';
  if (!text.trim()) {
    $('reply-error').textContent = 'Write a message first.';
    return;
  }
  const button = event.submitter || $('reply-form').querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const { data } = await api('POST', `/api/sessions/${encodeURIComponent(currentSession.id)}/messages`, {
      text,
      requestId: uuid(),
    });
    $('reply-text').value = '';
    if (data.message) upsertMessage(data.message, false);
  } catch (error) {
    $('reply-error').textContent = error.message;
  } finally {
    button.disabled = false;
  }
});

$('close-session').addEventListener('click', async () => {
  if (!currentSession) return;
  try {
    const { data } = await api('POST', `/api/sessions/${encodeURIComponent(currentSession.id)}/close`);
    currentSession = data.session;
    renderSessionHead(data.session);
    announce('The session is closed.');
    await loadSessions();
  } catch (error) {
    announce(error.message);
  }
});

// --- the customer's page --------------------------------------------------------------------

let currentContact = null;

async function loadContact(id) {
  // The widget shows the customer's whole history, or that of one of their accounts.
  const account = currentContact && currentContact.id === id ? $('contact-account-filter').value : '';
  let data;
  try {
    const query = account ? `?account=${encodeURIComponent(account)}` : '';
    data = (await api('GET', `/api/contacts/${encodeURIComponent(id)}/history${query}`)).data;
  } catch (error) {
    $('contact-title').textContent = 'Customer not available';
    $('contact-fields').replaceChildren(el('dd', { text: error.message }));
    $('contact-sessions').replaceChildren();
    return;
  }
  if (state.view?.kind !== 'contact' || state.view.id !== id) return;
  currentContact = data.contact;
  $('contact-title').textContent = data.contact.name;
  $('contact-account-filter').replaceChildren(
    el('option', { value: '', text: 'every account' }),
    ...[...new Set(data.contact.accounts.map((a) => a.value))].map((value) =>
      el('option', { value, text: value, selected: value === data.account }),
    ),
  );
  $('contact-fields').replaceChildren(
    ...data.contact.accounts.flatMap((a) => [
      el('dt', { text: `${a.field} (${a.kind})` }),
      el(
        'dd',
        {},
        document.createTextNode(a.value),
        ...(data.consent || [])
          .filter((c) => c.accountKind === a.kind && c.account === a.value)
          .flatMap((c) => [document.createTextNode(` · ${c.liveChatId} `), consentBadge(c)]),
      ),
    ]),
  );
  const sessions = data.sessions.map(({ session, messages }) =>
    el(
      'section',
      { class: 'widget-session', 'aria-label': session.name },
      el(
        'h4',
        {},
        el('a', { href: `#/sessions/${encodeURIComponent(session.id)}`, text: session.name }),
        el('span', {
          class: `badge badge-${session.state}`,
          text: session.state === 'open' ? 'Open' : 'Closed',
        }),
      ),
      el('p', {
        class: 'muted',
        text: `${session.liveChat.name} · ${session.channel.name} · ${session.account}`,
      }),
      el('ol', { class: 'history history-compact' }, ...messages.map(messageItem)),
    ),
  );
  $('contact-sessions').replaceChildren(
    ...(sessions.length > 0 ? sessions : [el('p', { class: 'muted', text: 'No conversations yet.' })]),
  );
}

$('customer-search-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const q = $('customer-search').value.trim();
  try {
    const { data } = await api('GET', `/api/contacts?q=${encodeURIComponent(q)}`);
    $('customer-results').replaceChildren(
      ...data.contacts.map((c) =>
        el('li', {}, el('a', { href: `#/contacts/${encodeURIComponent(c.id)}`, text: c.name })),
      ),
    );
    announce(`${data.contacts.length} customer${data.contacts.length === 1 ? '' : 's'} found.`);
  } catch (error) {
    announce(error.message);
  }
});

$('contact-account-filter').addEventListener('change', () => {
  if (currentContact) void loadContact(currentContact.id);
});

$('contact-new-session').addEventListener('click', () => {
  if (currentContact) openNewSession(currentContact);
});

// --- +New Session ---------------------------------------------------------------------------

const dialog = $('new-session-dialog');

function selectedLiveChat() {
  return state.liveChats.find((c) => c.id === $('ns-live-chat').value);
}

function selectedChannel() {
  const chat = selectedLiveChat();
  return chat ? chat.channels.find((c) => c.id === $('ns-channel').value) : undefined;
}

function mode() {
  const checked = dialog.querySelector('input[name="ns-mode"]:checked');
  return checked ? checked.value : 'contact';
}

function fillChannels() {
  const chat = selectedLiveChat();
  const channels = chat ? chat.channels : [];
  $('ns-channel').replaceChildren(
    ...channels.map((c) =>
      el('option', {
        value: c.id,
        disabled: !c.canInitiate,
        text: c.canInitiate
          ? `${c.name} (${c.label})`
          : `${c.name} (${c.label}: only customers start sessions)`,
      }),
    ),
  );
  const first = channels.find((c) => c.canInitiate);
  if (first) $('ns-channel').value = first.id;
  onChannelChange();
}

function onChannelChange() {
  const channel = selectedChannel();
  $('ns-subject-row').hidden = !(channel && channel.hasSubject);
  fillAccountFields();
}

function onModeChange() {
  $('ns-contact-mode').hidden = mode() !== 'contact';
  $('ns-new-mode').hidden = mode() !== 'new';
  $('ns-account-mode').hidden = mode() !== 'account';
}

function fillAccountFields() {
  const contact = state.newSession.contact;
  const channel = selectedChannel();
  const select = $('ns-account-field');
  if (!contact) {
    select.replaceChildren(el('option', { value: '', text: 'Choose a customer first' }));
    return;
  }
  // Every account is offered (the rules say clearly when one does not fit); a fitting one is preselected.
  select.replaceChildren(
    ...contact.accounts.map((a) =>
      el('option', { value: a.field, text: `${a.value} (${a.kind}, field ${a.field})` }),
    ),
  );
  const fitting = channel && contact.accounts.find((a) => a.kind === channel.accountKind);
  if (fitting) select.value = fitting.field;
}

function renderResults(contacts) {
  const chosen = state.newSession.contact;
  $('ns-results').replaceChildren(
    ...(contacts.length === 0
      ? [el('p', { class: 'muted', text: 'No customer found.' })]
      : contacts.map((c) => {
          const input = el('input', {
            type: 'radio',
            name: 'ns-contact',
            value: c.id,
            checked: chosen && chosen.id === c.id,
          });
          input.addEventListener('change', () => {
            state.newSession.contact = c;
            fillAccountFields();
          });
          const accounts = c.accounts.map((a) => a.value).join(', ');
          return el(
            'label',
            { class: 'result' },
            input,
            document.createTextNode(` ${c.name}${accounts ? ` — ${accounts}` : ''}`),
          );
        })),
  );
}

async function searchCustomers() {
  const chat = selectedLiveChat();
  if (!chat) return;
  const q = $('ns-search').value.trim();
  try {
    const { data } = await api(
      'GET',
      `/api/contacts?liveChatId=${encodeURIComponent(chat.id)}&q=${encodeURIComponent(q)}`,
    );
    renderResults(data.contacts);
    announce(`${data.contacts.length} customer${data.contacts.length === 1 ? '' : 's'} found.`);
  } catch (error) {
    $('ns-error').textContent = error.message;
  }
}

function openNewSession(contact) {
  const chats = state.liveChats.filter((c) => c.role === 'operator');
  $('ns-live-chat').replaceChildren(...chats.map((c) => el('option', { value: c.id, text: c.name })));
  state.newSession = { requestId: uuid(), contact: contact || null };
  $('new-session-form').reset();
  $('ns-error').replaceChildren();
  $('ns-results').replaceChildren();
  if (chats.length === 0) {
    $('ns-error').textContent = 'You are not an operator of any live chat, so you cannot start sessions.';
  }
  fillChannels();
  onModeChange();
  if (contact) renderResults([contact]);
  fillAccountFields();
  dialog.showModal();
  $('ns-live-chat').focus();
}

function customerOfForm() {
  const value = (id) => $(id).value.trim();
  switch (mode()) {
    case 'contact': {
      const contact = state.newSession.contact;
      if (!contact) return { problem: 'Choose a customer: search for them, or create a new one.' };
      const field = $('ns-account-field').value;
      return { customer: field ? { contactId: contact.id, field } : { contactId: contact.id } };
    }
    case 'new': {
      if (!value('ns-new-name')) return { problem: "Enter the new customer's name." };
      const newContact = { name: value('ns-new-name') };
      for (const [key, id] of [
        ['phone', 'ns-new-phone'],
        ['email', 'ns-new-email'],
        ['telegram', 'ns-new-telegram'],
      ]) {
        if (value(id)) newContact[key] = value(id);
      }
      return { customer: { newContact } };
    }
    default:
      if (!value('ns-account'))
        return { problem: 'Enter the customer’s phone number, email address or Telegram chat id.' };
      return { customer: { account: value('ns-account') } };
  }
}

function showNewSessionError(error) {
  const box = $('ns-error');
  box.replaceChildren(
    el('strong', { text: refusalTitle(error.type) }),
    document.createTextNode(` ${error.message}`),
  );
  if (error.link) {
    box.append(
      document.createTextNode(' '),
      el('a', {
        href: error.link,
        text: 'Open that session',
        onclick: () => dialog.close(),
      }),
    );
  }
}

const REFUSAL_TITLES = {
  OperatorOffline: 'You are offline.',
  SessionAlreadyOpen: 'A session is already open.',
  AccountKindMismatch: 'This account does not fit the channel.',
  InvalidPhoneNumber: 'The phone number is not valid.',
  InvalidEmail: 'The email address is not valid.',
  TelegramChatUnknown: 'This person has not written to the bot.',
  ChannelCannotInitiate: 'Sessions cannot be started on this channel.',
  ContactHasNoAccount: 'The customer has no such account.',
  NotAnOperator: 'You are not an operator of this live chat.',
};

const refusalTitle = (type) => REFUSAL_TITLES[type] || 'Could not create the session.';

$('new-session').addEventListener('click', () => openNewSession(null));
$('ns-cancel').addEventListener('click', () => dialog.close());
$('ns-live-chat').addEventListener('change', () => {
  state.newSession.contact = null;
  $('ns-results').replaceChildren();
  fillChannels();
});
$('ns-channel').addEventListener('change', onChannelChange);
for (const radio of dialog.querySelectorAll('input[name="ns-mode"]'))
  radio.addEventListener('change', onModeChange);
$('ns-search-button').addEventListener('click', () => void searchCustomers());
$('ns-search').addEventListener('keydown', (event) => {
  // Enter searches instead of submitting the whole form.
  if (event.key === 'Enter') {
    event.preventDefault();
    void searchCustomers();
  }
});

$('new-session-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('ns-error').replaceChildren();
  const chat = selectedLiveChat();
  const channel = selectedChannel();
  if (!chat || !channel) {
    $('ns-error').textContent = 'Choose a live chat and a channel.';
    return;
  }
  const { customer, problem } = customerOfForm();
  if (problem) {
    $('ns-error').textContent = problem;
    return;
  }
  const body = {
    liveChatId: chat.id,
    channelId: channel.id,
    customer,
    requestId: state.newSession.requestId,
  };
  if (channel.hasSubject && $('ns-subject').value.trim()) body.subject = $('ns-subject').value.trim();
  if ($('ns-first-message').value.trim()) body.firstMessage = $('ns-first-message').value;
  const button = $('ns-create');
  button.disabled = true;
  try {
    const { data } = await api('POST', '/api/sessions', body);
    const session = data.session;
    dialog.close();
    if (session) {
      announce(`Session ${session.name} started.`);
      location.hash = `#/sessions/${encodeURIComponent(session.id)}`;
    } else {
      announce('The session is being started; it appears in My Sessions in a moment.');
    }
    await loadSessions();
  } catch (error) {
    showNewSessionError(error);
    // A refused request may be corrected and sent again: that is a new request.
    state.newSession.requestId = uuid();
  } finally {
    button.disabled = false;
  }
});

void start();
