/**
 * Size limits, checked before anything is stored, so a process learns at once (and non-retryably)
 * that its text cannot be sent, instead of the provider refusing it after the session was opened.
 */
import { EmptyMessage, InvalidInput, MessageTooLong } from './errors';

/**
 * 4096 is Telegram's limit for one message, and the largest any of our messengers accepts; email
 * uses it too so every message fits the history view. A channel may set a lower limit in its row of
 * the channel table (WhatsApp through Twilio: 1600). Lengths are JavaScript string lengths (UTF-16
 * code units), which is how Telegram counts and never less than what Twilio counts.
 */
export const MAX_MESSAGE_TEXT_LENGTH = 4096;

/** A subject is one header line; 255 is what common mail clients and databases allow for it. */
export const MAX_SUBJECT_LENGTH = 255;

/** Controls other than tab, line feed and carriage return: no channel displays them. */
// eslint-disable-next-line no-control-regex
const DISALLOWED_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** A subject goes into a mail header, where CR/LF would start a new header. */
// eslint-disable-next-line no-control-regex
const DISALLOWED_IN_SUBJECT = /[\u0000-\u001f\u007f-\u009f]/;

const codePoint = (c: string): string =>
  `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Checks message text and returns it unchanged (leading spaces and blank lines may be meant). */
export function validateMessageText(text: string, maxLength: number = MAX_MESSAGE_TEXT_LENGTH): string {
  if (text.trim() === '') throw new EmptyMessage();
  if (text.length > maxLength) throw new MessageTooLong({ length: text.length, max: maxLength });
  const bad = DISALLOWED_IN_TEXT.exec(text);
  if (bad) {
    throw new InvalidInput({
      path: 'text',
      message: `contains the control character ${codePoint(bad[0])} at position ${bad.index}; only tabs and line breaks are allowed`,
    });
  }
  return text;
}

/** Checks an email subject and returns it trimmed; a blank subject means "none" (the template names the session). */
export function validateSubject(subject: string | null | undefined): string | undefined {
  const value = subject?.trim() ?? '';
  if (value === '') return undefined;
  if (value.length > MAX_SUBJECT_LENGTH) {
    throw new InvalidInput({
      path: 'subject',
      message: `is ${value.length} characters long; the most allowed is ${MAX_SUBJECT_LENGTH}`,
    });
  }
  const bad = DISALLOWED_IN_SUBJECT.exec(value);
  if (bad) {
    throw new InvalidInput({
      path: 'subject',
      message: `contains the control character ${codePoint(bad[0])}; a subject must be a single line`,
    });
  }
  return value;
}
