// @ts-check
// The operators' workspace: one page of ES modules by screen, no framework, no build step.
// Everything shown comes from /api as JSON.

import { api, ApiFailure, messageOf, whenSignedOut } from './lib/api.js';
import { $ } from './lib/dom.js';
import { connectEvents, disconnectEvents } from './lib/live.js';
import { currentLanguage, onLanguageChange, setLanguage, t, translateStatic } from './lib/i18n.js';
import { state } from './lib/state.js';
import { initContact, loadContact, scheduleContactReload } from './screens/contact.js';
import { initNewSession, openNewSession } from './screens/new-session.js';
import { initSession, loadSession, markRead, showsSession, upsertMessage } from './screens/session.js';
import { chime } from './lib/sound.js';
import {
  initSessions,
  loadSessions,
  markCurrentSession,
  scheduleSessionsReload,
} from './screens/sessions.js';
import { initSignIn, renderStatus, showSignIn } from './screens/sign-in.js';

/** @typedef {import('./lib/types.js').MeView} MeView */
/** @typedef {import('./lib/types.js').LiveChatView} LiveChatView */

/** Customer messages this page has heard of (a status change or an edit is not a new message). */
const heard = new Set();

async function start() {
  /** @type {MeView} */
  let me;
  try {
    me = (await api('GET', '/api/me')).data;
  } catch (error) {
    showSignIn(error instanceof ApiFailure && error.status === 401 ? '' : messageOf(error));
    return;
  }
  state.me = me;
  $('loading').hidden = true;
  $('sign-in-view').hidden = true;
  $('workspace').hidden = false;
  $('me').hidden = false;
  $('operator-name').textContent = me.operator.name;
  renderStatus(me.operator.status);
  /** @type {{ data: { liveChats: LiveChatView[] } }} */
  const { data } = await api('GET', '/api/live-chats');
  state.liveChats = data.liveChats;
  connectEvents({
    ready: () => {
      void loadSessions();
      void route();
    },
    message: ({ sessionId, message }) => {
      const seen = showsSession(sessionId) && document.visibilityState === 'visible';
      if (showsSession(sessionId)) upsertMessage(message, true);
      if (message.direction === 'inbound' && !heard.has(message.id)) {
        heard.add(message.id);
        // A new customer message: read at once when its session is in front, else a tone (if on).
        if (seen) void markRead();
        else chime();
      }
      if (state.view?.kind === 'contact') scheduleContactReload();
      scheduleSessionsReload();
    },
    signedIn: () => state.me !== null,
  });
  await Promise.all([loadSessions(), route()]);
}

/** @returns {import('./lib/state.js').View | null} */
function parseRoute() {
  const match = /^#\/(sessions|contacts)\/([^/]+)$/.exec(location.hash);
  if (!match || !match[2]) return null;
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

translateStatic();
const languageSelect = $('language', HTMLSelectElement);
languageSelect.value = currentLanguage();
languageSelect.addEventListener('change', () => setLanguage(languageSelect.value));
onLanguageChange(() => {
  // What the screens wrote themselves, anew in the language chosen.
  if (!state.me) return;
  renderStatus($('status-toggle').dataset.status ?? 'offline');
  void loadSessions();
  void route();
});

whenSignedOut(() => {
  if (state.me) showSignIn(t('sessionEnded'));
});
initSignIn({ start, signedOut: disconnectEvents });
initSessions();
initSession();
initContact({ newSession: openNewSession });
initNewSession();
window.addEventListener('hashchange', () => void route());
// Back to the page: the session in front counts as read now.
document.addEventListener('visibilitychange', () => void markRead());

void start();
