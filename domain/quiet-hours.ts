import { DateTime, IANAZone } from 'luxon';

/** Hours of a customer's day when a live chat does not notify them: `start` to `end`, local time. */
export interface QuietHours {
  /** `HH:mm`, 24-hour clock; may be later than `end` (the quiet hours span midnight). */
  start: string;
  end: string;
}

export const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

export function isTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

const minutesOf = (clock: string): number => {
  const [h, m] = clock.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/**
 * When the quiet hours around `at` end, in `timeZone`, or undefined when `at` is outside them.
 * Computed on the local wall clock (luxon), so a change to or from daylight saving time moves the
 * end with the clock, as the customer sees it.
 */
export function endOfQuietHours(at: Date, quiet: QuietHours, timeZone: string): Date | undefined {
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  const now = local.hour * 60 + local.minute;
  const [start, end] = [minutesOf(quiet.start), minutesOf(quiet.end)];
  if (start === end) return undefined;
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return undefined;
  const endOn = (day: DateTime) =>
    day.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
  // Tomorrow's end is set on tomorrow's clock: today's may have been moved by a skipped hour.
  const today = endOn(local);
  return (today > local ? today : endOn(local.plus({ days: 1 }))).toJSDate();
}
