// @ts-check
// A session: its head, its history (live), the reply form and closing.

import { announce, el, text, uuid, $ } from '../lib/dom.js';
import { api, messageOf, upload } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { state } from '../lib/state.js';
import { consentBadge, messageItem } from './messages.js';
import { loadSessions, scheduleSessionsReload } from './sessions.js';

/** @typedef {import('../lib/types.js').SessionView} SessionView */
/** @typedef {import('../lib/types.js').MessageView} MessageView */

/** @typedef {import('../lib/types.js').TemplateView} TemplateView */

/** @type {SessionView | null} */
let currentSession = null;

/** The approved templates of the session's channel (WhatsApp), from the live chats loaded at start. */
function templatesOfSession(/** @type {SessionView} */ session) {
  const chat = state.liveChats.find((c) => c.id === session.liveChat.id);
  return chat?.channels.find((c) => c.id === session.channel.id)?.templates ?? [];
}

/** Milliseconds left of WhatsApp's 24-hour window (0 when closed); null on other channels. */
function windowLeft(/** @type {SessionView} */ session) {
  if (!session.whatsappWindow) return null;
  const closesAt = session.whatsappWindow.closesAt;
  return closesAt ? Math.max(0, Date.parse(closesAt) - Date.now()) : 0;
}

/** "5 h 12 min" in the page's language. @param {number} ms */
function duration(ms) {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? t('hoursMinutes', { h: hours, m: minutes % 60 }) : t('minutes', { m: minutes });
}

/** The window's line in the session head, and the composer it allows: free text, or a template. */
function renderWindow() {
  const session = currentSession;
  const line = $('wa-window');
  const left = session ? windowLeft(session) : null;
  const templates = session ? templatesOfSession(session) : [];
  const useTemplate = left === 0 && templates.length > 0;
  line.hidden = left === null;
  if (session && left !== null) {
    line.dataset.window = left > 0 ? 'open' : 'closed';
    line.textContent =
      left > 0
        ? t('windowOpen', { left: duration(left) })
        : session.whatsappWindow?.lastInboundAt
          ? t('windowClosed')
          : t('windowNever');
  }
  const composer = $('reply-template');
  const wasTemplate = !composer.hidden;
  composer.hidden = !useTemplate;
  $('reply-free').hidden = useTemplate;
  $('reply-text', HTMLTextAreaElement).disabled = useTemplate;
  if (useTemplate && !wasTemplate) fillTemplates(templates);
}

/** @param {TemplateView[]} templates */
function fillTemplates(templates) {
  const select = $('reply-template-choice', HTMLSelectElement);
  select.replaceChildren(...templates.map((tpl) => el('option', { value: tpl.contentSid, text: tpl.name })));
  fillVariables();
}

function chosenTemplate() {
  if (!currentSession) return undefined;
  const sid = $('reply-template-choice', HTMLSelectElement).value;
  return templatesOfSession(currentSession).find((tpl) => tpl.contentSid === sid);
}

/** One input per variable of the chosen template, and the preview of what the customer reads. */
function fillVariables() {
  const template = chosenTemplate();
  $('reply-template-vars').replaceChildren(
    ...(template?.variables ?? []).flatMap((name) => [
      el('label', { for: `reply-var-${name}`, text: t('variable', { name }) }),
      el('input', {
        id: `reply-var-${name}`,
        'data-variable': name,
        autocomplete: 'off',
        oninput: () => renderPreview(),
      }),
    ]),
  );
  renderPreview();
}

/** The variables as filled in so far. @returns {Record<string, string>} */
function variablesOfForm() {
  /** @type {Record<string, string>} */
  const variables = {};
  for (const input of $('reply-template-vars').querySelectorAll('input[data-variable]')) {
    if (input instanceof HTMLInputElement && input.dataset.variable)
      variables[input.dataset.variable] = input.value.trim();
  }
  return variables;
}

function renderPreview() {
  $('reply-error').textContent = '';
  const template = chosenTemplate();
  const variables = variablesOfForm();
  $('reply-template-preview').textContent = template
    ? template.body.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_m, name) => variables[name] || `{{${name}}}`)
    : '';
}

/** The shown session's customer wrote: WhatsApp's window opens again from this message. @param {MessageView} message */
function noteInbound(message) {
  if (!currentSession?.whatsappWindow || message.direction !== 'inbound') return;
  const closesAt = new Date(Date.parse(message.createdAt) + 24 * 60 * 60 * 1000).toISOString();
  currentSession = { ...currentSession, whatsappWindow: { lastInboundAt: message.createdAt, closesAt } };
  renderWindow();
}

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
  await markRead();
}

/** The operator sees the shown session (the page is in front): its unread count goes. */
export async function markRead() {
  if (!currentSession || state.view?.kind !== 'session' || document.visibilityState !== 'visible') return;
  try {
    await api('POST', `/api/sessions/${encodeURIComponent(currentSession.id)}/read`);
  } catch {
    return;
  }
  scheduleSessionsReload(50);
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
    ...(session.consent ? [text(' '), consentBadge(session.consent)] : []),
  );
  const open = session.state === 'open';
  $('close-session').hidden = !open;
  $('reply-form').hidden = !open;
  renderWindow();
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
  if (live) noteInbound(message);
  if (live && message.author.kind !== 'operator') {
    announce(t('newMessageSaid', { author: message.author.label, text: message.text }));
  }
}

function scrollHistory() {
  const history = $('history');
  history.scrollTop = history.scrollHeight;
}

export function initSession() {
  $('reply-template-choice').addEventListener('change', fillVariables);
  // The time left moves on by itself.
  window.setInterval(() => {
    if (currentSession && !$('session-view').hidden) renderWindow();
  }, 30_000);
  const form = $('reply-form', HTMLFormElement);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!currentSession) return;
    const textarea = $('reply-text', HTMLTextAreaElement);
    $('reply-error').textContent = '';
    const template = $('reply-template').hidden ? undefined : chosenTemplate();
    /** @type {Record<string, unknown>} */
    const body = { text: textarea.value, requestId: uuid() };
    if (template) {
      const variables = variablesOfForm();
      const missing = template.variables.find((name) => !variables[name]);
      if (missing) {
        $('reply-error').textContent = t('fillVariable', { name: missing });
        $(`reply-var-${missing}`).focus();
        return;
      }
      body.text = '';
      body.template = { contentSid: template.contentSid, variables };
    } else if (!textarea.value.trim()) {
      $('reply-error').textContent = t('writeFirst');
      return;
    }
    const picker = $('reply-files', HTMLInputElement);
    const chosen = template ? [] : [...(picker.files ?? [])];
    const button = /** @type {HTMLButtonElement} */ (form.querySelector('button[type=submit]'));
    button.disabled = true;
    try {
      // Each file goes up first; the reply then names them (the server checks the channel's limits).
      if (chosen.length > 0) {
        const uploaded = await Promise.all(chosen.map((file) => upload(file)));
        body.files = uploaded.map(({ sha256, filename, contentType }) => ({ sha256, filename, contentType }));
      }
      /** @type {{ data: { message: MessageView | null } }} */
      const { data } = await api(
        'POST',
        `/api/sessions/${encodeURIComponent(currentSession.id)}/messages`,
        body,
      );
      textarea.value = '';
      picker.value = '';
      if (template) fillVariables();
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
