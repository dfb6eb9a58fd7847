// @ts-check
// The sidebar: My Sessions and the customer search.

import { announce, el, $ } from '../lib/dom.js';
import { api, messageOf } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { state } from '../lib/state.js';

/** @typedef {import('../lib/types.js').SessionView} SessionView */
/** @typedef {import('../lib/types.js').ContactView} ContactView */

export async function loadSessions() {
  try {
    /** @type {{ data: { sessions: SessionView[] } }} */
    const { data } = await api('GET', '/api/my-sessions');
    state.sessions = data.sessions;
  } catch {
    return;
  }
  renderSessions();
}

function renderSessions() {
  $('session-list').replaceChildren(
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

export function markCurrentSession() {
  for (const link of document.querySelectorAll('.session-link')) {
    if (!(link instanceof HTMLElement)) continue;
    const current = state.view?.kind === 'session' && link.dataset.sessionId === state.view.id;
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** @type {number | undefined} */
let timer;
/** Reloads the list soon, once for a burst of changes. */
export function scheduleSessionsReload() {
  window.clearTimeout(timer);
  timer = window.setTimeout(() => void loadSessions(), 300);
}

export function initSessions() {
  $('customer-search-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = $('customer-search', HTMLInputElement).value.trim();
    try {
      /** @type {{ data: { contacts: ContactView[] } }} */
      const { data } = await api('GET', `/api/contacts?q=${encodeURIComponent(q)}`);
      $('customer-results').replaceChildren(
        ...data.contacts.map((c) =>
          el('li', {}, el('a', { href: `#/contacts/${encodeURIComponent(c.id)}`, text: c.name })),
        ),
      );
      announce(t('customersFound', { count: data.contacts.length }));
    } catch (error) {
      announce(messageOf(error));
    }
  });
}
