import fc from 'fast-check';
import { getCountries, getExampleNumber } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { InvalidPhoneNumber, toE164, type PhoneNumberProblem } from '../../../domain';

/** Real numbers: libphonenumber's example mobile number for every country it knows. */
const exampleNumbers: string[] = getCountries()
  .map((country) => getExampleNumber(country, examples)?.number)
  .filter((n): n is NonNullable<typeof n> => n !== undefined);

const E164 = /^\+[1-9]\d{6,14}$/;

function reasonFor(raw: string): PhoneNumberProblem | 'accepted' {
  try {
    toE164(raw);
    return 'accepted';
  } catch (e) {
    if (e instanceof InvalidPhoneNumber) return e.details.reason;
    throw e;
  }
}

/** Formatting a person might type between the digits. */
const separator = fc.constantFrom('', ' ', '-', '.', '(', ')', '  ', ' - ');
/** Inserts formatting noise between the digits after the `+`, and spaces around the number. */
const formatted = (e164: string) =>
  fc
    .tuple(
      fc.array(separator, { minLength: e164.length, maxLength: e164.length }),
      fc.constantFrom('', ' ', '\t'),
    )
    .map(([seps, pad]) => {
      const digits = [...e164.slice(1)].map((d, i) => d + (seps[i] ?? '')).join('');
      return `${pad}+${seps[e164.length - 1] ?? ''}${digits}${pad}`;
    });

describe('phone numbers (rule 10)', () => {
  test('there are example numbers for many countries to test with', () => {
    expect(exampleNumbers.length).toBeGreaterThan(200);
  });

  test('rule 10: a WhatsApp number without + is refused and the error says so', () => {
    for (const raw of ['4915123456789', '015123456789']) {
      const error = catchError(() => toE164(raw));
      expect(error).toBeInstanceOf(InvalidPhoneNumber);
      expect(error.details.reason).toBe('missing-plus');
      expect(error.message).toContain('must start with + and the country code');
    }
  });

  test('rule 10: a number with 00 instead of + is refused, with a hint to use +', () => {
    const error = catchError(() => toE164('0049 151 23456789'));
    expect(error.details.reason).toBe('missing-plus');
    expect(error.message).toContain('Replace the leading 00 with +.');
  });

  test('rule 10: common formatting after the + is accepted', () => {
    expect(toE164('+49 151 23456789')).toBe('+4915123456789');
    expect(toE164('+49 (151) 2345-6789')).toBe('+4915123456789');
    expect(toE164(' +1 (415) 555.2671 ')).toBe('+14155552671');
    expect(toE164('+44 (0)20 7946 0958')).toBe('+442079460958');
    expect(toE164('+800 1234 5678')).toBe('+80012345678');
  });

  test.each<[string, PhoneNumberProblem]>([
    ['', 'empty'],
    ['   ', 'empty'],
    ['+49 151 CALLME', 'letters'],
    ['whatsapp me', 'letters'],
    ['+', 'too-short'],
    ['+1', 'too-short'],
    ['+49 12', 'too-short'],
    ['+1234 5678 9012 3456', 'too-long'],
    ['+999 123 456 789', 'invalid-country-code'],
    ['+0 123 456 789', 'invalid-country-code'],
    ['+1 200 555 0100', 'invalid-number'],
    // Right length for Germany, but no such range: only the `max` metadata notices.
    ['+49 195 0835598', 'invalid-number'],
    ['+49 151 2345#6789', 'invalid-number'],
    ['++49 151 23456789', 'invalid-number'],
  ])('rule 10: %j is refused as %s', (raw, reason) => {
    expect(reasonFor(raw)).toBe(reason);
  });

  test('rule 10: each reason has its own sentence', () => {
    const messages = [
      '',
      '4915123456789',
      '+49 151 ABC',
      '+1',
      '+1234567890123456',
      '+999 123456',
      '+1 200 555 0100',
    ].map((raw) => catchError(() => toE164(raw)).message.replace(JSON.stringify(raw.trim()), 'X'));
    expect(new Set(messages).size).toBe(messages.length);
  });

  test('rule 10: an unknown character is named in the message', () => {
    expect(catchError(() => toE164('+49 151 2345#6789')).message).toContain('"#"');
  });

  test('property: a real number with formatting noise after the + normalises to the same E.164', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...exampleNumbers).chain((n) => fc.tuple(fc.constant(n), formatted(n))),
        ([e164, typed]) => {
          expect(toE164(typed)).toBe(e164);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('property: rule 10, no country is ever guessed: a real number typed without its + is refused', () => {
    fc.assert(
      fc.property(fc.constantFrom(...exampleNumbers), (e164) => {
        expect(reasonFor(e164.slice(1))).toBe('missing-plus');
        expect(reasonFor(`0${e164.slice(1)}`)).toBe('missing-plus');
      }),
    );
  });

  test('property: any string that does not start with + is refused', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.trim().startsWith('+')),
        (raw) => {
          expect(reasonFor(raw)).not.toBe('accepted');
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('property: whatever is accepted comes out as E.164 and normalising it again changes nothing', () => {
    const digitsAndNoise = fc.string({
      unit: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ' ', '-', '(', ')', '.'),
      maxLength: 22,
    });
    fc.assert(
      fc.property(
        fc.oneof(
          digitsAndNoise.map((s) => `+${s}`),
          fc.constantFrom(...exampleNumbers).chain(formatted),
          fc.string().map((s) => `+${s}`),
        ),
        (raw) => {
          let out: string;
          try {
            out = toE164(raw);
          } catch (e) {
            expect(e).toBeInstanceOf(InvalidPhoneNumber);
            return;
          }
          expect(out).toMatch(E164);
          expect(toE164(out)).toBe(out);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('property: a number containing a letter is refused as letters', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...exampleNumbers),
        fc.nat(),
        fc.constantFrom('a', 'O', 'x', 'é', 'Ж'),
        (e164, at, letter) => {
          const i = 1 + (at % e164.length);
          expect(reasonFor(e164.slice(0, i) + letter + e164.slice(i))).toBe('letters');
        },
      ),
    );
  });
});

function catchError(fn: () => unknown): InvalidPhoneNumber {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidPhoneNumber) return e;
    throw e;
  }
  throw new Error('expected InvalidPhoneNumber, nothing was thrown');
}
