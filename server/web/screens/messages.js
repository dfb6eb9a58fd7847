// @ts-check
// One message of a history, as the session and the customer's page show it.

import { el, text } from '../lib/dom.js';
import { formatSize, formatTime, hasKey, t } from '../lib/i18n.js';

/** @typedef {import('../lib/types.js').MessageView} MessageView */
/** @typedef {import('../lib/types.js').AuthorView} AuthorView */

/** @param {MessageView} message */
function statusBadge(message) {
  // A pending message with a time is waiting for it (a scheduled send, or the customer's quiet hours).
  const scheduled = message.status === 'pending' && message.scheduledFor;
  const statusKey = `status.${message.status}`;
  const badge = el('span', {
    class: `badge badge-${scheduled ? 'scheduled' : message.status}`,
    'data-status': scheduled ? 'scheduled' : message.status,
    text:
      scheduled && message.scheduledFor
        ? t('scheduledFor', { time: formatTime(message.scheduledFor) })
        : hasKey(statusKey)
          ? t(statusKey)
          : message.status,
  });
  const parts = [badge];
  if (message.status === 'failed' && message.failureReason) {
    parts.push(el('span', { class: 'failure-reason', text: message.failureReason }));
  }
  return parts;
}

/** @param {AuthorView} author */
function authorElement(author) {
  const label = el('span', { class: `author author-${author.kind}`, text: author.label });
  if (author.kind !== 'process' || !author.temporalUrl) return label;
  return el(
    'span',
    {},
    label,
    text(' '),
    el('a', {
      href: author.temporalUrl,
      target: '_blank',
      rel: 'noopener noreferrer',
      class: 'temporal-link',
      text: t('viewInTemporal'),
    }),
  );
}

/** The files of a message, each a download link with its name and size. @param {MessageView['attachments']} attachments */
function attachmentList(attachments) {
  if (!attachments || attachments.length === 0) return null;
  return el(
    'ul',
    { class: 'message-attachments', 'aria-label': t('attachments') },
    ...attachments.map((file) =>
      el(
        'li',
        { class: 'message-attachment' },
        el('a', { href: file.url, download: file.filename, text: file.filename }),
        text(` (${formatSize(file.size)})`),
      ),
    ),
  );
}

/**
 * An account's opt-out or opt-in, as a badge (how and when in its title).
 * @param {import('../lib/types.js').ConsentView} consent
 */
export function consentBadge(consent) {
  const out = consent.state === 'opted-out';
  return el('span', {
    class: `badge badge-${out ? 'failed' : 'delivered'}`,
    'data-consent': consent.state,
    title: `${consent.method}, ${formatTime(consent.at)}`,
    text: out ? t('optedOut') : t('optedIn'),
  });
}

/** @param {MessageView} message */
export function messageItem(message) {
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
      text(' · '),
      el('time', { datetime: message.createdAt, text: formatTime(message.createdAt) }),
    ),
    message.subject
      ? el('p', { class: 'message-subject', text: t('subjectLine', { subject: message.subject }) })
      : null,
    el('p', { class: 'message-text', text: message.text }),
    attachmentList(message.attachments),
    status,
  );
}
