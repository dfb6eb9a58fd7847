/**
 * Telegram accounts (rule 9). A bot can only write to a chat that wrote to it first, and it knows
 * that chat by a numeric id from the update, never by phone or @username. So an account here is a
 * chat id: a non-zero integer, negative for groups (supergroups look like -100…).
 * Whether the bot has actually seen the chat is for the database to say (`TelegramChatUnknown`).
 */
import { InvalidInput } from './errors';

/** Returns the chat id in canonical form (no `+`, no leading zeros). Throws `InvalidInput`. */
export function normaliseTelegramChatId(raw: string): string {
  const value = raw.trim();
  const id = /^[+-]?\d{1,16}$/.test(value) ? Number(value) : NaN;
  // Telegram ids fit in 52 bits, so a safe integer is enough; 0 is never a chat.
  if (!Number.isSafeInteger(id) || id === 0) {
    const hint = value.startsWith('@')
      ? ' A bot cannot write to a @username; use the chat id it received when the person wrote to it.'
      : '';
    throw new InvalidInput({
      path: 'account',
      message: `${JSON.stringify(value)} is not a Telegram chat id (a whole number such as 123456789).${hint}`,
    });
  }
  return String(id);
}
