// @ts-check
// Signing in and out, and the operator's status in the top bar.

import { announce, $ } from '../lib/dom.js';
import { api, messageOf } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { state } from '../lib/state.js';

/** @type {(() => void) | null} */
let onSignOut = null;

/** Shows the sign-in form with a sentence above it. @param {string} [message] */
export function showSignIn(message) {
  state.me = null;
  onSignOut?.();
  $('loading').hidden = true;
  $('workspace').hidden = true;
  $('me').hidden = true;
  $('sign-in-view').hidden = false;
  $('sign-in-error').textContent = message || '';
  $('sign-in-login').focus();
}

/** @param {string} status */
export function renderStatus(status) {
  const online = status === 'online';
  const toggle = $('status-toggle');
  toggle.setAttribute('aria-checked', String(online));
  toggle.dataset.status = status;
  $('status-text').textContent = online ? t('online') : status === 'busy' ? t('busy') : t('offline');
}

/**
 * @param {{ start: () => Promise<void>; signedOut: () => void }} hooks what to do after signing in,
 *   and what to stop on signing out (the live feed)
 */
export function initSignIn(hooks) {
  onSignOut = hooks.signedOut;
  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const login = $('sign-in-login', HTMLInputElement).value.trim();
    const password = $('sign-in-password', HTMLInputElement).value;
    if (!login || !password) {
      $('sign-in-error').textContent = t('enterLogin');
      return;
    }
    const body = login.includes('@') ? { email: login, password } : { operatorId: login, password };
    try {
      await api('POST', '/api/sign-in', body);
      $('sign-in-password', HTMLInputElement).value = '';
      await hooks.start();
    } catch (error) {
      $('sign-in-error').textContent = messageOf(error);
    }
  });

  $('sign-out').addEventListener('click', async () => {
    try {
      await api('POST', '/api/sign-out');
    } finally {
      showSignIn(t('signedOut'));
    }
  });

  $('status-toggle').addEventListener('click', async () => {
    const next = $('status-toggle').getAttribute('aria-checked') === 'true' ? 'offline' : 'online';
    try {
      /** @type {{ data: { status: string } }} */
      const { data } = await api('PUT', '/api/me/status', { status: next });
      renderStatus(data.status);
      announce(t('youAre', { status: data.status === 'online' ? t('online') : t('offline') }));
    } catch (error) {
      announce(messageOf(error));
    }
  });
}
