/**
 * Setting apart the quoted history of an email reply, so operators read what the customer wrote
 * and can open the whole mail. Mail clients mark where the quote begins in a few known ways; this
 * looks for the first of them that has something written above it:
 *
 * - an attribution line: Gmail, Apple Mail, Yahoo, Thunderbird ("On <date>, <name> wrote:", also
 *   German, French, Spanish, Italian, Dutch, Polish, Russian; Gmail may wrap it over two lines);
 * - Outlook's separators ("-----Original Message-----", a line of underscores) or its header block
 *   ("From: …" followed by "Sent: …" / "Date: …", also in the localised forms);
 * - a trailing block of lines quoted with ">".
 *
 * Nothing is cut when no marker is found or nothing stands above it: the text stays whole.
 */

const ATTRIBUTION_START = /^(on|am|le|el|il|op|w dniu|den|em)\s/i;
const ATTRIBUTION_END =
  /(wrote|writes|schrieb|a écrit|escribió|ha scritto|scrisse|schreef|napisał\(a\)|napisał|написал\(а\)|написала|написал|пишет)\s*:\s*$/i;
/** Gmail's Russian attribution: `пн, 1 дек. 2026 г. в 10:00, Name <addr>:` ends in the address and a colon. */
const GMAIL_DATED_ADDRESS = /^.{0,80}\d{4}.{0,40}\d{1,2}:\d{2}.{0,200}<[^<>\s]+@[^<>\s]+>:\s*$/;
const OUTLOOK_SEPARATOR =
  /^\s*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|исходное сообщение|messaggio originale)\s*-{2,}\s*$/i;
const UNDERSCORES = /^\s*_{10,}\s*$/;
const HEADER_FROM = /^\s*\*?(from|von|de|da|van|od|от|отправитель)\s*:\*?\s/i;
const HEADER_SENT =
  /^\s*\*?(sent|date|gesendet|datum|envoyé|enviado|inviato|verzonden|wysłano|отправлено|дата)\s*:\*?\s/i;

export interface SplitReply {
  /** What the customer wrote. */
  text: string;
  /** The whole text, set when `text` is only its new part. */
  fullText?: string;
}

export function splitQuotedReply(whole: string): SplitReply {
  const text = whole.replace(/\r\n?/g, '\n').trimEnd();
  const lines = text.split('\n');
  const start = quoteStart(lines);
  if (start === undefined) return { text };
  const fresh = lines.slice(0, start).join('\n').trim();
  if (fresh === '') return { text };
  return { text: fresh, fullText: text };
}

/** The index of the first line of the quoted history, if there is one. */
function quoteStart(lines: readonly string[]): number | undefined {
  for (let i = 0; i < lines.length; i += 1) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    const next = (lines[i + 1] ?? '').trim();
    if (isAttribution(line) || (next !== '' && isAttribution(`${line} ${next}`) && !isAttribution(next)))
      return i;
    if (OUTLOOK_SEPARATOR.test(line)) return i;
    if (UNDERSCORES.test(line) && lines.slice(i + 1, i + 3).some((l) => HEADER_FROM.test(l))) return i;
    if (HEADER_FROM.test(line) && lines.slice(i + 1, i + 4).some((l) => HEADER_SENT.test(l))) return i;
  }
  return trailingQuoteStart(lines);
}

function isAttribution(line: string): boolean {
  if (line.length > 400 || line.startsWith('>')) return false;
  if (ATTRIBUTION_END.test(line)) return ATTRIBUTION_START.test(line) || /\d/.test(line);
  return GMAIL_DATED_ADDRESS.test(line);
}

/** The first line of a block of `>` lines (blank lines allowed) that runs to the end. */
function trailingQuoteStart(lines: readonly string[]): number | undefined {
  let start: number | undefined;
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = (lines[i] ?? '').trim();
    if (line.startsWith('>')) start = i;
    else if (line !== '') break;
  }
  return start;
}
