// @ts-check
// +New Session: a live chat, a channel, a customer (found, new, or an account only), a first message.

import { announce, el, text, uuid, $ } from '../lib/dom.js';
import { api, ApiFailure, messageOf, upload } from '../lib/api.js';
import { hasKey, t } from '../lib/i18n.js';
import { state } from '../lib/state.js';
import { loadSessions } from './sessions.js';

/** @typedef {import('../lib/types.js').ContactView} ContactView */
/** @typedef {import('../lib/types.js').SessionView} SessionView */

/** This dialog's request (one per opening, so a double submit starts one session) and its customer. */
const form = {
  /** @type {string | null} */
  requestId: null,
  /** @type {ContactView | null} */
  contact: null,
};

const dialog = () => $('new-session-dialog', HTMLDialogElement);
const value = (/** @type {string} */ id) => $(id, HTMLInputElement).value.trim();

function selectedLiveChat() {
  return state.liveChats.find((c) => c.id === $('ns-live-chat', HTMLSelectElement).value);
}

function selectedChannel() {
  const chat = selectedLiveChat();
  return chat ? chat.channels.find((c) => c.id === $('ns-channel', HTMLSelectElement).value) : undefined;
}

function mode() {
  const checked = dialog().querySelector('input[name="ns-mode"]:checked');
  return checked instanceof HTMLInputElement ? checked.value : 'contact';
}

function fillChannels() {
  const chat = selectedLiveChat();
  const channels = chat ? chat.channels : [];
  const select = $('ns-channel', HTMLSelectElement);
  select.replaceChildren(
    ...channels.map((c) =>
      el('option', {
        value: c.id,
        disabled: !c.canInitiate,
        text: c.canInitiate
          ? t('channelOption', { name: c.name, label: c.label })
          : t('channelCustomersOnly', { name: c.name, label: c.label }),
      }),
    ),
  );
  const first = channels.find((c) => c.canInitiate);
  if (first) select.value = first.id;
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
  const contact = form.contact;
  const channel = selectedChannel();
  const select = $('ns-account-field', HTMLSelectElement);
  if (!contact) {
    select.replaceChildren(el('option', { value: '', text: t('chooseCustomerFirst') }));
    return;
  }
  // Every account is offered (the rules say clearly when one does not fit); a fitting one is preselected.
  select.replaceChildren(
    ...contact.accounts.map((a) =>
      el('option', {
        value: a.field,
        text: t('accountOption', { value: a.value, kind: a.kind, field: a.field }),
      }),
    ),
  );
  const fitting = channel && contact.accounts.find((a) => a.kind === channel.accountKind);
  if (fitting) select.value = fitting.field;
}

/** @param {ContactView[]} contacts */
function renderResults(contacts) {
  const chosen = form.contact;
  $('ns-results').replaceChildren(
    ...(contacts.length === 0
      ? [el('p', { class: 'muted', text: t('noCustomerFound') })]
      : contacts.map((c) => {
          const input = el('input', {
            type: 'radio',
            name: 'ns-contact',
            value: c.id,
            checked: chosen && chosen.id === c.id,
          });
          input.addEventListener('change', () => {
            form.contact = c;
            fillAccountFields();
          });
          const accounts = c.accounts.map((a) => a.value).join(', ');
          return el(
            'label',
            { class: 'result' },
            input,
            text(` ${c.name}${accounts ? ` — ${accounts}` : ''}`),
          );
        })),
  );
}

async function searchCustomers() {
  const chat = selectedLiveChat();
  if (!chat) return;
  try {
    /** @type {{ data: { contacts: ContactView[] } }} */
    const { data } = await api(
      'GET',
      `/api/contacts?liveChatId=${encodeURIComponent(chat.id)}&q=${encodeURIComponent(value('ns-search'))}`,
    );
    renderResults(data.contacts);
    announce(t('customersFound', { count: data.contacts.length }));
  } catch (error) {
    $('ns-error').textContent = messageOf(error);
  }
}

/** Opens the dialog, for this customer when one is given (their page's +New Session). @param {ContactView | null} contact */
export function openNewSession(contact) {
  const chats = state.liveChats.filter((c) => c.role === 'operator');
  $('ns-live-chat').replaceChildren(...chats.map((c) => el('option', { value: c.id, text: c.name })));
  form.requestId = uuid();
  form.contact = contact;
  $('new-session-form', HTMLFormElement).reset();
  $('ns-error').replaceChildren();
  $('ns-results').replaceChildren();
  if (chats.length === 0) $('ns-error').textContent = t('notAnOperatorAnywhere');
  fillChannels();
  onModeChange();
  if (contact) renderResults([contact]);
  fillAccountFields();
  dialog().showModal();
  $('ns-live-chat').focus();
}

/** @returns {{ customer?: Record<string, unknown>; problem?: string }} */
function customerOfForm() {
  switch (mode()) {
    case 'contact': {
      const contact = form.contact;
      if (!contact) return { problem: t('chooseCustomer') };
      const field = $('ns-account-field', HTMLSelectElement).value;
      return { customer: field ? { contactId: contact.id, field } : { contactId: contact.id } };
    }
    case 'new': {
      if (!value('ns-new-name')) return { problem: t('enterNewName') };
      /** @type {Record<string, string>} */
      const newContact = { name: value('ns-new-name') };
      for (const [key, id] of [
        ['phone', 'ns-new-phone'],
        ['email', 'ns-new-email'],
        ['telegram', 'ns-new-telegram'],
      ]) {
        if (key && id && value(id)) newContact[key] = value(id);
      }
      return { customer: { newContact } };
    }
    default:
      if (!value('ns-account')) return { problem: t('enterAccount') };
      return { customer: { account: value('ns-account') } };
  }
}

/** The refusal's title in the page's language, else the server's. @param {unknown} error */
function refusalTitle(error) {
  const key = error instanceof ApiFailure ? `refusal.${error.type}` : '';
  return hasKey(key) ? t(key) : t('refusal.default');
}

/** @param {unknown} error */
function showNewSessionError(error) {
  const box = $('ns-error');
  box.replaceChildren(el('strong', { text: refusalTitle(error) }), text(` ${messageOf(error)}`));
  if (error instanceof ApiFailure && error.link) {
    box.append(
      text(' '),
      el('a', { href: error.link, text: t('openThatSession'), onclick: () => dialog().close() }),
    );
  }
}

export function initNewSession() {
  $('new-session').addEventListener('click', () => openNewSession(null));
  $('ns-cancel').addEventListener('click', () => dialog().close());
  $('ns-live-chat').addEventListener('change', () => {
    form.contact = null;
    $('ns-results').replaceChildren();
    fillChannels();
  });
  $('ns-channel').addEventListener('change', onChannelChange);
  for (const radio of dialog().querySelectorAll('input[name="ns-mode"]'))
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
      $('ns-error').textContent = t('chooseChatAndChannel');
      return;
    }
    const { customer, problem } = customerOfForm();
    if (problem || !customer) {
      $('ns-error').textContent = problem ?? '';
      return;
    }
    /** @type {Record<string, unknown>} */
    const body = { liveChatId: chat.id, channelId: channel.id, customer, requestId: form.requestId };
    if (channel.hasSubject && value('ns-subject')) body.subject = value('ns-subject');
    const first = $('ns-first-message', HTMLTextAreaElement).value;
    if (first.trim()) body.firstMessage = first;
    const chosen = [...($('ns-files', HTMLInputElement).files ?? [])];
    const button = $('ns-create', HTMLButtonElement);
    button.disabled = true;
    try {
      // Each file goes up first; the request then names them (the server checks the channel's limits).
      if (chosen.length > 0) {
        const uploaded = await Promise.all(chosen.map((file) => upload(file)));
        body.files = uploaded.map(({ sha256, filename, contentType }) => ({ sha256, filename, contentType }));
      }
      /** @type {{ data: { session: SessionView | null } }} */
      const { data } = await api('POST', '/api/sessions', body);
      const session = data.session;
      dialog().close();
      if (session) {
        announce(t('sessionStarted', { name: session.name }));
        location.hash = `#/sessions/${encodeURIComponent(session.id)}`;
      } else {
        announce(t('sessionStarting'));
      }
      await loadSessions();
    } catch (error) {
      showNewSessionError(error);
      // A refused request may be corrected and sent again: that is a new request.
      form.requestId = uuid();
    } finally {
      button.disabled = false;
    }
  });
}
