// @ts-check
// A session: its head, its history (live), the reply form and closing.

import { announce, el, text, uuid, $ } from '../lib/dom.js';
import { api, messageOf } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { state } from '../lib/state.js';
import { messageItem } from './messages.js';
import { loadSessions } from './sessions.js';

/** @typedef {import('../lib/types.js').SessionView} SessionView */
/** @typedef {import('../lib/types.js').MessageView} MessageView */

/** @type {SessionView | null} */
let currentSession = null;

/** @param {string} id */
export async function loadSession(id) {
  /** @type {{ session: SessionView; messages: MessageView[] }} */
  let data;
  try {
    data = (await api('GET', `/api/sessions/${encodeURIComponent(id)}/messages`)).data;
  } catch (error) {
    $('session-title').textContent = t('sessionNotAvailable');
    $('session-meta').textContent = messageOf(error);
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

/** @param {SessionView} session */
function renderSessionHead(session) {
  $('session-title').textContent = session.name;
  const who = session.contact
    ? el('a', { href: `#/contacts/${encodeURIComponent(session.contact.id)}`, text: session.contact.name })
    : text(session.account);
  $('session-meta').replaceChildren(
    text(`${session.liveChat.name} · ${session.channel.name} · `),
    who,
    text(
      ` (${session.account}) · ${session.state === 'open' ? t('stateOpen') : t('stateClosed')} · ` +
        (session.assignedOperator
          ? t('assignedTo', { name: session.assignedOperator.name })
          : t('unassigned')),
    ),
  );
  const open = session.state === 'open';
  $('close-session').hidden = !open;
  $('reply-form').hidden = !open;
}

/** The session shown, if this is its id. @param {string} sessionId */
export const showsSession = (sessionId) => state.view?.kind === 'session' && state.view.id === sessionId;

/**
 * Puts a new or changed message into the history shown.
 * @param {MessageView} message
 * @param {boolean} live it came through the live feed (say it to screen readers)
 */
export function upsertMessage(message, live) {
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
    announce(t('newMessageSaid', { author: message.author.label, text: message.text }));
  }
}

function scrollHistory() {
  const history = $('history');
  history.scrollTop = history.scrollHeight;
}

export function initSession() {
  const form = $('reply-form', HTMLFormElement);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!currentSession) return;
    const textarea = $('reply-text', HTMLTextAreaElement);
    $('reply-error').textContent = '';
    if (!textarea.value.trim()) {
      $('reply-error').textContent = t('writeFirst');
      return;
    }
    const button = /** @type {HTMLButtonElement} */ (form.querySelector('button[type=submit]'));
    button.disabled = true;
    try {
      /** @type {{ data: { message: MessageView | null } }} */
      const { data } = await api('POST', `/api/sessions/${encodeURIComponent(currentSession.id)}/messages`, {
        text: textarea.value,
        requestId: uuid(),
      });
      textarea.value = '';
      if (data.message) upsertMessage(data.message, false);
    } catch (error) {
      $('reply-error').textContent = messageOf(error);
    } finally {
      button.disabled = false;
    }
  });

  $('close-session').addEventListener('click', async () => {
    if (!currentSession) return;
    try {
      /** @type {{ data: { session: SessionView } }} */
      const { data } = await api('POST', `/api/sessions/${encodeURIComponent(currentSession.id)}/close`);
      currentSession = data.session;
      renderSessionHead(data.session);
      announce(t('sessionClosed'));
      await loadSessions();
    } catch (error) {
      announce(messageOf(error));
    }
  });
}
