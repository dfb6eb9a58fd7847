/**
 * Email addresses for the email channel (rules 4, 11): one bare address, ready for an SMTP envelope
 * and a `To:` header, and comparable so the same inbox is recognised however it was typed.
 */
import { z } from 'zod';
import { InvalidEmail, type EmailProblem } from './errors';

/** RFC 5321: a path is at most 256 octets including the angle brackets, so 254 for the address. */
export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;

/**
 * The WHATWG (HTML `<input type="email">`) rule: what operators' browsers already accept, and strict
 * about the domain (labels of letters, digits and inner dashes, at most 63 long). zod's default
 * pattern is stricter but refuses punycode top-level domains (`xn--p1ai`), which real people have.
 */
const emailSchema = z.email({ pattern: z.regexes.html5Email });

/** C0 controls, DEL and C1 controls. CR/LF here would let an address inject mail headers. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Trims, validates and lower-cases the domain (domains are case-insensitive; the local part may not be,
 * so it is kept as written). Throws `InvalidEmail` with a `reason`.
 */
export function normaliseEmail(raw: string): string {
  const value = raw.trim();
  const problem = (reason: EmailProblem) => new InvalidEmail({ value, reason });

  if (value === '') throw problem('empty');
  if (CONTROL.test(value)) throw problem('control-characters');
  if (/[<>]/.test(value) || /^"[^"]*"\s/.test(value)) throw problem('display-name');
  if (/[,;]/.test(value) || (value.match(/@/g) ?? []).length > 1) throw problem('multiple-addresses');
  if (/[^\x20-\x7e]/.test(value)) throw problem('non-ascii');
  if (value.length > MAX_EMAIL_LENGTH) throw problem('too-long');

  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  const domain = value.slice(at + 1).toLowerCase();
  // A domain without a dot (`name@localhost`) is valid HTML but cannot be reached from outside.
  if (at < 1 || local.length > MAX_LOCAL_PART_LENGTH || !domain.includes('.'))
    throw problem('invalid-format');
  // The HTML rule allows dots anywhere in the local part; SMTP does not (unquoted): `.a`, `a.`, `a..b`.
  if (/^\.|\.$|\.\./.test(local)) throw problem('invalid-format');
  if (!emailSchema.safeParse(value).success) throw problem('invalid-format');
  return `${local}@${domain}`;
}
