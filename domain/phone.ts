/**
 * Phone numbers for WhatsApp (rule 10): full international format, `+` then the country code,
 * normalised to E.164. We never guess a country: a number without `+` is refused, not completed.
 *
 * The `max` metadata is used on purpose. The default (`min`) metadata only checks lengths, so it
 * accepts numbers no operator could reach, e.g. +49 195 0835598 (German, right length, but no such
 * range); `max` checks each country's number patterns. The cost is a larger metadata file, which
 * is loaded once per process.
 */
import { parsePhoneNumberFromString, validatePhoneNumberLength } from 'libphonenumber-js/max';
import { InvalidPhoneNumber, type PhoneNumberProblem } from './errors';

/** E.164 allows at most 15 digits, country code included. */
const MAX_E164_DIGITS = 15;
const E164 = /^\+[1-9]\d{6,14}$/;
/** What people type between digits; anything else (letters, `#`, `*`, a second `+`) is refused. */
const FORMATTING = /^[\d\s\-().]*$/;

/**
 * Turns a number typed in international format into E.164 (`+4915123456789`).
 * Throws `InvalidPhoneNumber` whose `details.reason` says what is wrong.
 */
export function toE164(raw: string): string {
  const value = raw.trim();
  const problem = (reason: PhoneNumberProblem, hint?: string) =>
    new InvalidPhoneNumber({ value, reason, hint });

  if (value === '') throw problem('empty');
  // Letters first: "call me maybe" is better answered with "letters" than with "missing +".
  if (/\p{L}/u.test(value)) throw problem('letters');
  if (!value.startsWith('+')) {
    throw problem('missing-plus', value.startsWith('00') ? 'Replace the leading 00 with +.' : undefined);
  }

  const rest = value.slice(1);
  if (!FORMATTING.test(rest)) {
    const bad = [...rest].find((c) => !FORMATTING.test(c)) ?? '';
    throw problem('invalid-number', `It contains ${JSON.stringify(bad)}, which a phone number cannot have.`);
  }
  const digits = rest.replace(/\D/g, '');
  if (digits.length === 0) throw problem('too-short', 'There are no digits after the +.');
  if (digits.length > MAX_E164_DIGITS) {
    throw problem(
      'too-long',
      `An international number has at most ${MAX_E164_DIGITS} digits, this one has ${digits.length}.`,
    );
  }

  const international = `+${digits}`;
  switch (validatePhoneNumberLength(international)) {
    case 'INVALID_COUNTRY':
      throw problem('invalid-country-code');
    case 'NOT_A_NUMBER':
    case 'TOO_SHORT':
      throw problem('too-short', 'It is shorter than numbers with this country code.');
    case 'TOO_LONG':
      throw problem('too-long', 'It is longer than numbers with this country code.');
    case 'INVALID_LENGTH':
      throw problem('invalid-number', 'No number with this country code has this many digits.');
  }

  const parsed = parsePhoneNumberFromString(international);
  if (!parsed || !parsed.isValid() || !E164.test(parsed.number)) throw problem('invalid-number');
  return parsed.number;
}
