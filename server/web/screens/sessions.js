// @ts-check
// The sidebar: the session list for a shift (mine / unassigned / all, open / closed, search, unread
// counts, the title badge) and the customer search.

import { announce, el, text, $ } from '../lib/dom.js';
import { api, messageOf } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { setSound, soundOn } from '../lib/sound.js';
import { state } from '../lib/state.js';

/** @typedef {import('../lib/types.js').ShiftListView} ShiftListView */
/** @typedef {import('../lib/types.js').ShiftSessionView} ShiftSessionView */
/** @typedef {import('../lib/types.js').ContactView} ContactView */

/** @type {ShiftSessionView[]} */
let listed = [];

function filters() {
  const scope = document.querySelector('input[name="scope"]:checked');
  return {
    scope: scope instanceof HTMLInputElement ? scope.value : 'mine',
    state: $('session-state', HTMLSelectElement).value,
    q: $('session-search', HTMLInputElement).value.trim(),
  };
}

let asked = 0;
export async function loadSessions() {
  const { scope, state: sessionState, q } = filters();
  const mine = (asked += 1);
  /** @type {ShiftListView} */
  let data;
  try {
    const query = new URLSearchParams({ scope, state: sessionState, q });
    data = (await api('GET', `/api/sessions?${query}`)).data;
  } catch {
    return;
  }
  // An earlier answer arriving late must not replace a later one.
  if (mine !== asked) return;
  listed = data.sessions;
  state.sessions = data.sessions;
  renderSessions();
  renderCounts(data.unread);
}

/** @param {ShiftListView['unread']} unread */
function renderCounts(unread) {
  for (const scope of /** @type {const} */ (['mine', 'unassigned', 'all'])) {
    const count = unread[scope];
    $(`count-${scope}`).textContent = count > 0 ? `(${count})` : '';
  }
  // The title badge: what waits in my sessions and in nobody's, seen from another tab too.
  const waiting = unread.mine + unread.unassigned;
  document.title = waiting > 0 ? `(${waiting}) ${t('appName')}` : t('appName');
}

function renderSessions() {
  $('session-list').replaceChildren(
    ...listed.map((s) =>
      el(
        'li',
        {},
        el(
          'a',
          {
            href: `#/sessions/${encodeURIComponent(s.id)}`,
            'data-session-id': s.id,
            'data-unread': s.unread,
            class: 'session-link',
          },
          el(
            'span',
            { class: 'session-name' },
            text(s.name),
            s.unread > 0
              ? el(
                  'span',
                  { class: 'unread' },
                  el('span', { 'aria-hidden': 'true', text: String(s.unread) }),
                  el('span', { class: 'visually-hidden', text: t('unreadCount', { count: s.unread }) }),
                )
              : null,
          ),
          el('span', {
            class: 'session-sub',
            text: `${s.channel.name} · ${s.contact ? s.contact.name : s.account}${
              s.assignedOperator && filters().scope === 'all' ? ` · ${s.assignedOperator.name}` : ''
            }`,
          }),
          s.lastMessage ? el('span', { class: 'session-last', text: s.lastMessage.text }) : null,
        ),
      ),
    ),
  );
  $('sessions-empty').hidden = listed.length > 0;
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
/** Reloads the list soon, once for a burst of changes. @param {number} [delayMs] */
export function scheduleSessionsReload(delayMs = 300) {
  window.clearTimeout(timer);
  timer = window.setTimeout(() => void loadSessions(), delayMs);
}

export function initSessions() {
  for (const radio of document.querySelectorAll('input[name="scope"]'))
    radio.addEventListener('change', () => void loadSessions());
  $('session-state').addEventListener('change', () => void loadSessions());
  $('session-search').addEventListener('input', () => scheduleSessionsReload(250));
  const sound = $('sound-toggle', HTMLInputElement);
  sound.checked = soundOn();
  sound.addEventListener('change', () => setSound(sound.checked));

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
