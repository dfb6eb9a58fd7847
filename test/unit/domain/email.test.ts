import fc from 'fast-check';
import { InvalidEmail, normaliseEmail, type EmailProblem } from '../../../domain';

function reasonFor(raw: string): EmailProblem | 'accepted' {
  try {
    normaliseEmail(raw);
    return 'accepted';
  } catch (e) {
    if (e instanceof InvalidEmail) return e.details.reason;
    throw e;
  }
}

describe('email addresses (rules 4, 11)', () => {
  test('surrounding space is trimmed and the domain lower-cased; the local part keeps its case', () => {
    expect(normaliseEmail('  Anna.Schmidt@Example.COM \n')).toBe('Anna.Schmidt@example.com');
  });

  test.each([
    'a@example.com',
    'first.last+tag@mail.example.co.uk',
    "o'connor@example.ie",
    'info@xn--e1afmkfd.xn--p1ai',
    'user_name-1@sub-domain.example.org',
  ])('%s is accepted', (address) => {
    expect(normaliseEmail(address)).toBe(address);
  });

  test.each<[string, EmailProblem]>([
    ['', 'empty'],
    ['   ', 'empty'],
    ['Anna <anna@example.com>', 'display-name'],
    ['<anna@example.com>', 'display-name'],
    ['"Anna" anna@example.com', 'display-name'],
    ['anna@example.com, bob@example.com', 'multiple-addresses'],
    ['anna@example.com;bob@example.com', 'multiple-addresses'],
    ['anna@example.com bob@example.com', 'multiple-addresses'],
    ['anna@example.com\r\nBcc: everyone@example.com', 'control-characters'],
    ['anna@exa\u0000mple.com', 'control-characters'],
    ['jürgen@example.de', 'non-ascii'],
    ['anna@exämple.de', 'non-ascii'],
    ['anna', 'invalid-format'],
    ['@example.com', 'invalid-format'],
    ['anna@', 'invalid-format'],
    ['anna@localhost', 'invalid-format'],
    ['anna@example..com', 'invalid-format'],
    ['anna@-example.com', 'invalid-format'],
    ['.anna@example.com', 'invalid-format'],
    ['anna.@example.com', 'invalid-format'],
    ['an..na@example.com', 'invalid-format'],
    ['anna smith@example.com', 'invalid-format'],
    [`${'a'.repeat(65)}@example.com`, 'invalid-format'],
    [`a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(63)}.com`, 'too-long'],
  ])('%j is refused as %s', (raw, reason) => {
    expect(reasonFor(raw)).toBe(reason);
  });

  test('the error quotes the address and says what is wrong', () => {
    expect(() => normaliseEmail('Anna <anna@example.com>')).toThrow(
      'The email address "Anna <anna@example.com>" contains a name or angle brackets; give only the address, like name@example.com.',
    );
  });

  test('property: any address fast-check considers valid is accepted, and normalising twice changes nothing', () => {
    fc.assert(
      fc.property(fc.mixedCase(fc.emailAddress()), (address) => {
        const once = normaliseEmail(address);
        expect(normaliseEmail(once)).toBe(once);
        const at = once.lastIndexOf('@');
        expect(once.slice(at + 1)).toBe(address.slice(address.lastIndexOf('@') + 1).toLowerCase());
        expect(once.slice(0, at)).toBe(address.slice(0, address.lastIndexOf('@')));
      }),
      { numRuns: 1000 },
    );
  });

  test('property: whatever comes out has no whitespace, one @, and at most 254 characters', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.emailAddress(),
          fc.string(),
          fc.string().map((s) => `${s}@example.com`),
        ),
        (raw) => {
          let out: string;
          try {
            out = normaliseEmail(raw);
          } catch (e) {
            expect(e).toBeInstanceOf(InvalidEmail);
            return;
          }
          expect(out).not.toMatch(/\s/);
          expect(out.split('@')).toHaveLength(2);
          expect(out.length).toBeLessThanOrEqual(254);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
