/**
 * Consent rules, pure: a live chat's settings and what a customer's inbound text means for them.
 * Imported by activities, the inbound pipeline and the config file; no I/O here.
 */

/** A live chat's consent settings, as its config file gives them (`liveChats[].consent`). */
export interface LiveChatConsent {
  /** Process messages go only to accounts that opted in (WhatsApp's rule for business-initiated messages). */
  requireOptIn?: boolean;
  /** An operator may still answer in a session the customer started after they opted out. */
  operatorMayAnswerOptedOut?: boolean;
  /** Whole-message keywords that opt out; default `DEFAULT_OPT_OUT_KEYWORDS`. */
  optOutKeywords?: string[];
  /** Whole-message keywords that opt back in; default `DEFAULT_OPT_IN_KEYWORDS`. */
  optInKeywords?: string[];
}

export const DEFAULT_OPT_OUT_KEYWORDS: readonly string[] = ['STOP', 'UNSUBSCRIBE', 'СТОП', 'ОТПИСАТЬСЯ'];
export const DEFAULT_OPT_IN_KEYWORDS: readonly string[] = ['START', 'SUBSCRIBE', 'СТАРТ', 'ПОДПИСАТЬСЯ'];

/** How a consent decision was made. `erased` is a suppression entry kept after an erasure. */
export type ConsentMethod = 'keyword' | 'telegram-block' | 'list-unsubscribe' | 'mailto' | 'config' | 'cli';

export type ConsentState = 'opted-out' | 'opted-in';

/** A keyword compared as customers type it: trimmed, closing punctuation and case ignored. */
export function keywordOf(text: string): string {
  return text
    .normalize('NFC')
    .trim()
    .replace(/[\s.!]+$/u, '')
    .replace(/^\/+/, '')
    .toLocaleUpperCase('en-US');
}

/**
 * What a customer's whole message says about consent: `opted-out` for an opt-out keyword, `opted-in`
 * for an opt-in keyword, nothing otherwise (a keyword inside a longer message is just text).
 */
export function consentKeyword(
  text: string,
  settings: LiveChatConsent,
): { state: ConsentState; keyword: string } | undefined {
  if (text.length > 64) return undefined;
  const keyword = keywordOf(text);
  if (keyword === '') return undefined;
  const out = (settings.optOutKeywords ?? DEFAULT_OPT_OUT_KEYWORDS).map(keywordOf);
  const back = (settings.optInKeywords ?? DEFAULT_OPT_IN_KEYWORDS).map(keywordOf);
  if (out.includes(keyword)) return { state: 'opted-out', keyword };
  if (back.includes(keyword)) return { state: 'opted-in', keyword };
  return undefined;
}

/** The confirmation a customer gets on a messenger after their keyword. */
export function consentConfirmation(state: ConsentState, liveChatName: string, optInKeyword: string): string {
  return state === 'opted-out'
    ? `You will no longer receive messages from ${liveChatName}. Reply ${optInKeyword} to receive them again.`
    : `You will receive messages from ${liveChatName} again.`;
}
