import fc from 'fast-check';
import { DateTime } from 'luxon';
import { endOfQuietHours, isTimeZone } from '../../../domain/quiet-hours';

const night = { start: '21:00', end: '08:00' };
const at = (iso: string) => new Date(iso);

describe('endOfQuietHours', () => {
  test('inside hours that span midnight, before and after it: the end is the next 08:00 local', () => {
    // 21:30 in Tokyo (UTC+9) → 08:00 the next morning there.
    expect(endOfQuietHours(at('2026-06-01T12:30:00Z'), night, 'Asia/Tokyo')?.toISOString()).toBe(
      '2026-06-01T23:00:00.000Z',
    );
    // 03:00 in Tokyo → 08:00 the same morning.
    expect(endOfQuietHours(at('2026-06-01T18:00:00Z'), night, 'Asia/Tokyo')?.toISOString()).toBe(
      '2026-06-01T23:00:00.000Z',
    );
  });

  test('outside them, or at the very minute they end, there is nothing to wait for', () => {
    expect(endOfQuietHours(at('2026-06-01T03:00:00Z'), night, 'Asia/Tokyo')).toBeUndefined(); // 12:00
    expect(endOfQuietHours(at('2026-06-01T23:00:00Z'), night, 'Asia/Tokyo')).toBeUndefined(); // 08:00
    expect(endOfQuietHours(at('2026-06-01T12:00:00Z'), night, 'Asia/Tokyo')).toBeDefined(); // 21:00
  });

  test('hours within one day (a lunch break) and equal start and end (none)', () => {
    expect(
      endOfQuietHours(at('2026-06-01T12:15:00Z'), { start: '12:00', end: '13:00' }, 'UTC')?.toISOString(),
    ).toBe('2026-06-01T13:00:00.000Z');
    expect(
      endOfQuietHours(at('2026-06-01T12:15:00Z'), { start: '12:00', end: '12:00' }, 'UTC'),
    ).toBeUndefined();
  });

  test('the same instant is quiet in one time zone and not in another', () => {
    const instant = at('2026-06-01T12:30:00Z');
    expect(endOfQuietHours(instant, night, 'Asia/Tokyo')).toBeDefined(); // 21:30
    expect(endOfQuietHours(instant, night, 'America/New_York')).toBeUndefined(); // 08:30
  });

  test('the night the clocks go forward, the end is 08:00 on the new clock', () => {
    // Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST; 08:00 CEST is 06:00 UTC.
    expect(endOfQuietHours(at('2026-03-28T22:30:00Z'), night, 'Europe/Berlin')?.toISOString()).toBe(
      '2026-03-29T06:00:00.000Z',
    );
  });

  test("the morning after the clocks went forward, tomorrow's end is on tomorrow's clock", () => {
    // Berlin, 31 March 2024, 03:00 CEST: today's 02:00 was skipped; the end is 02:00 CEST on 1 April.
    expect(
      endOfQuietHours(
        at('2024-03-31T01:00:00Z'),
        { start: '02:01', end: '02:00' },
        'Europe/Berlin',
      )?.toISOString(),
    ).toBe('2024-04-01T00:00:00.000Z');
  });

  test('property: a held message ends after the instant, within a day, at the end time on the local clock', () => {
    const clock = fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
      .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    fc.assert(
      fc.property(
        fc.date({ min: at('2020-01-01T00:00:00Z'), max: at('2030-01-01T00:00:00Z'), noInvalidDate: true }),
        clock,
        clock,
        fc.constantFrom('UTC', 'Europe/Berlin', 'Asia/Kolkata', 'America/New_York', 'Pacific/Auckland'),
        (instant, start, end, zone) => {
          const ends = endOfQuietHours(instant, { start, end }, zone);
          if (!ends) return;
          expect(ends.getTime()).toBeGreaterThan(instant.getTime());
          expect(ends.getTime() - instant.getTime()).toBeLessThanOrEqual(25 * 3600 * 1000);
          const local = DateTime.fromJSDate(ends, { zone });
          if (local.toFormat('HH:mm') === end) return;
          // Else the clocks skipped the end time that day: the end is the first minute after the gap,
          // within the hour skipped.
          const [hour, minute] = end.split(':').map(Number);
          const onThatDay = DateTime.fromObject({ ...local.toObject(), hour, minute }, { zone });
          expect(onThatDay.toFormat('HH:mm')).not.toBe(end);
          const late = local.hour * 60 + local.minute - (hour! * 60 + minute!);
          expect(late).toBeGreaterThan(0);
          expect(late).toBeLessThanOrEqual(60);
        },
      ),
    );
  });
});

test('isTimeZone knows IANA names and refuses others', () => {
  expect(isTimeZone('Europe/Berlin')).toBe(true);
  expect(isTimeZone('UTC')).toBe(true);
  expect(isTimeZone('Mars/Olympus')).toBe(false);
  expect(isTimeZone('')).toBe(false);
});
