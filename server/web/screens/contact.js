// @ts-check
// The customer's page: their accounts and every conversation with them (or with one account).

import { el, $ } from '../lib/dom.js';
import { api, messageOf } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { state } from '../lib/state.js';
import { consentBadge, messageItem } from './messages.js';

/** @typedef {import('../lib/types.js').ContactView} ContactView */
/** @typedef {import('../lib/types.js').ContactHistoryView} ContactHistoryView */

/** @type {ContactView | null} */
let currentContact = null;

/** @param {string} id */
export async function loadContact(id) {
  // The widget shows the customer's whole history, or that of one of their accounts.
  const filter = $('contact-account-filter', HTMLSelectElement);
  const account = currentContact && currentContact.id === id ? filter.value : '';
  /** @type {ContactHistoryView} */
  let data;
  try {
    const query = account ? `?account=${encodeURIComponent(account)}` : '';
    data = (await api('GET', `/api/contacts/${encodeURIComponent(id)}/history${query}`)).data;
  } catch (error) {
    $('contact-title').textContent = t('customerNotAvailable');
    $('contact-fields').replaceChildren(el('dd', { text: messageOf(error) }));
    $('contact-sessions').replaceChildren();
    return;
  }
  if (state.view?.kind !== 'contact' || state.view.id !== id) return;
  currentContact = data.contact;
  $('contact-title').textContent = data.contact.name;
  filter.replaceChildren(
    el('option', { value: '', text: t('everyAccount') }),
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
        a.value,
        ...data.consent
          .filter((c) => c.accountKind === a.kind && c.account === a.value)
          .flatMap((c) => [` · ${c.liveChatId} `, consentBadge(c)]),
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
          text: session.state === 'open' ? t('badgeOpen') : t('badgeClosed'),
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
    ...(sessions.length > 0 ? sessions : [el('p', { class: 'muted', text: t('noConversations') })]),
  );
}

/** @type {number | undefined} */
let timer;
/** Reloads the customer's page soon, once for a burst of changes. */
export function scheduleContactReload() {
  window.clearTimeout(timer);
  timer = window.setTimeout(() => {
    if (state.view?.kind === 'contact') void loadContact(state.view.id);
  }, 300);
}

/** @param {{ newSession: (contact: ContactView) => void }} hooks */
export function initContact(hooks) {
  $('contact-account-filter').addEventListener('change', () => {
    if (currentContact) void loadContact(currentContact.id);
  });
  $('contact-new-session').addEventListener('click', () => {
    if (currentContact) hooks.newSession(currentContact);
  });
}
