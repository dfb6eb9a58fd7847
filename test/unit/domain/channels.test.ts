import fc from 'fast-check';
import { getCountries, getExampleNumber } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import {
  AccountKindMismatch,
  CHANNEL_KINDS,
  ChannelCannotInitiate,
  InvalidInput,
  InvalidPhoneNumber,
  accountForChannel,
  channelRules,
  checkAccountKind,
  guessAccountKind,
  isChannelKind,
  normaliseAccount,
  type AccountKind,
  type ChannelKind,
} from '../../../domain';

/** Every member of the `ChannelKind` union: a new kind that is not listed here fails to compile. */
const ALL_KINDS: Record<ChannelKind, true> = { email: true, whatsapp: true, telegram: true, livechat: true };
const ACCOUNT_KINDS: Record<AccountKind, true> = { phone: true, email: true, telegram: true };
const kinds = Object.keys(ALL_KINDS) as ChannelKind[];
const accountKinds = Object.keys(ACCOUNT_KINDS) as AccountKind[];

const exampleNumbers = getCountries()
  .map((c) => getExampleNumber(c, examples)?.number)
  .filter((n): n is NonNullable<typeof n> => n !== undefined);

/** Plausible raw addresses for each channel, some messy; not all are valid. */
const rawAddress: Record<ChannelKind, fc.Arbitrary<string>> = {
  email: fc.mixedCase(fc.emailAddress()).map((a) => ` ${a} `),
  whatsapp: fc
    .constantFrom(...exampleNumbers)
    .chain((n) =>
      fc.constantFrom(
        n,
        ` ${n} `,
        `${n.slice(0, 3)} ${n.slice(3)}`,
        `${n.slice(0, 3)}-(${n.slice(3, 6)})-${n.slice(6)}`,
      ),
    ),
  telegram: fc.oneof(fc.integer(), fc.maxSafeInteger()).map((n) => ` ${n} `),
  livechat: fc.string({ minLength: 1 }),
};

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('the channel table', () => {
  test('every channel kind has a row, and the row knows its own kind', () => {
    expect([...CHANNEL_KINDS].sort()).toEqual([...kinds].sort());
    for (const kind of kinds) expect(channelRules(kind).kind).toBe(kind);
  });

  test('an unknown channel kind is refused with InvalidInput that lists the known kinds', () => {
    const error = thrown(() => channelRules('viber'));
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as InvalidInput).message).toContain('"viber" is not a channel kind');
    expect((error as InvalidInput).message).toContain('email, whatsapp, telegram, livechat');
  });

  test('isChannelKind accepts the kinds and nothing else, not even inherited names', () => {
    for (const kind of kinds) expect(isChannelKind(kind)).toBe(true);
    for (const x of ['viber', 'Email', 'toString', '__proto__', '', 1, null, undefined])
      expect(isChannelKind(x)).toBe(false);
  });

  test('each channel takes the account kind the help article names', () => {
    expect(channelRules('email').accountKind).toBe('email');
    expect(channelRules('whatsapp').accountKind).toBe('phone');
    expect(channelRules('telegram').accountKind).toBe('telegram');
    expect(channelRules('livechat').accountKind).toBeNull();
  });

  test('rules 7 and 8: messengers allow one open session per account, email many', () => {
    for (const kind of kinds) {
      expect(channelRules(kind).openSessionPolicy).toBe(
        kind === 'email' ? 'many-per-account' : 'one-per-account',
      );
    }
  });

  test('rule 9: only Telegram needs the person to have written first', () => {
    for (const kind of kinds) expect(channelRules(kind).requiresKnownChat).toBe(kind === 'telegram');
  });

  test('rule 5: only email messages have a subject', () => {
    for (const kind of kinds) expect(channelRules(kind).hasSubject).toBe(kind === 'email');
  });

  test('rule 12: the website widget cannot start sessions; every other channel can', () => {
    for (const kind of kinds) expect(channelRules(kind).canInitiate).toBe(kind !== 'livechat');
  });

  test('WhatsApp texts are limited to what Twilio accepts', () => {
    expect(channelRules('whatsapp').maxTextLength).toBe(1600);
    expect(channelRules('telegram').maxTextLength).toBe(4096);
  });

  test('property: normaliseAddress is idempotent on every channel', () => {
    for (const kind of kinds) {
      const rules = channelRules(kind);
      fc.assert(
        fc.property(rawAddress[kind], (raw) => {
          let once: string;
          try {
            once = rules.normaliseAddress(raw);
          } catch {
            return; // Invalid input is covered elsewhere; here only what is accepted matters.
          }
          expect(rules.normaliseAddress(once)).toBe(once);
        }),
        { numRuns: 300 },
      );
    }
  });

  test('property: the generated addresses are mostly accepted, so the idempotence test is not vacuous', () => {
    for (const kind of kinds) {
      const samples = fc.sample(rawAddress[kind], { numRuns: 200, seed: 1 });
      const accepted = samples.filter(
        (raw) => thrown(() => channelRules(kind).normaliseAddress(raw)) === undefined,
      );
      expect(accepted.length).toBeGreaterThan(150);
    }
  });

  test('property: the account kind check accepts exactly the kind in the table (rule 4)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.constantFrom(...accountKinds), (channelKind, accountKind) => {
        const expected = channelRules(channelKind).accountKind;
        const error = thrown(() => checkAccountKind(channelKind, accountKind));
        if (expected === null) {
          expect(error).toBeInstanceOf(ChannelCannotInitiate);
        } else if (accountKind === expected) {
          expect(error).toBeUndefined();
        } else {
          expect(error).toBeInstanceOf(AccountKindMismatch);
          expect((error as AccountKindMismatch).details).toEqual({
            channelKind,
            expected,
            given: accountKind,
          });
        }
      }),
    );
  });
});

describe('accounts for a channel', () => {
  test('rule 4: a phone number on an email inbox is refused, naming the expected kind', () => {
    const error = thrown(() => accountForChannel('email', { kind: 'phone', value: '+4915123456789' }));
    expect(error).toBeInstanceOf(AccountKindMismatch);
    expect((error as AccountKindMismatch).message).toContain('expects an email address');
  });

  test('rule 4: an email address typed for WhatsApp is recognised as email and refused', () => {
    const error = thrown(() => accountForChannel('whatsapp', 'anna@example.com'));
    expect(error).toBeInstanceOf(AccountKindMismatch);
    expect((error as AccountKindMismatch).details.expected).toBe('phone');
  });

  test('rule 10: a WhatsApp number typed without + is refused as such, never completed with a country', () => {
    const error = thrown(() => accountForChannel('whatsapp', '015123456789'));
    expect(error).toBeInstanceOf(InvalidPhoneNumber);
    expect((error as InvalidPhoneNumber).details.reason).toBe('missing-plus');
  });

  test('rule 10: a WhatsApp number in international format is normalised to E.164', () => {
    expect(accountForChannel('whatsapp', '+49 151 2345 6789')).toEqual({
      kind: 'phone',
      value: '+4915123456789',
    });
    expect(accountForChannel('whatsapp', { kind: 'phone', value: '+1 (415) 555-2671' })).toEqual({
      kind: 'phone',
      value: '+14155552671',
    });
  });

  test('rule 11: an email address from an Account field or from an Email field works alike', () => {
    const fromAccountField = accountForChannel('email', { kind: 'email', value: 'Anna@Example.com' });
    const fromEmailField = accountForChannel('email', ' Anna@EXAMPLE.com');
    expect(fromAccountField).toEqual({ kind: 'email', value: 'Anna@example.com' });
    expect(fromEmailField).toEqual(fromAccountField);
  });

  test('rule 12: the website widget cannot be used to start a session', () => {
    expect(thrown(() => accountForChannel('livechat', 'visitor-1'))).toBeInstanceOf(ChannelCannotInitiate);
    expect(
      thrown(() => accountForChannel('livechat', { kind: 'email', value: 'a@example.com' })),
    ).toBeInstanceOf(ChannelCannotInitiate);
  });

  test('rule 9: a Telegram account is a chat id; a @username is refused with an explanation', () => {
    expect(accountForChannel('telegram', ' 123456789 ')).toEqual({ kind: 'telegram', value: '123456789' });
    expect(accountForChannel('telegram', '-1001234567890')).toEqual({
      kind: 'telegram',
      value: '-1001234567890',
    });
    const error = thrown(() => accountForChannel('telegram', '@anna'));
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as InvalidInput).message).toContain('cannot write to a @username');
  });

  test('a phone number on a Telegram channel is a mismatch, not a chat id', () => {
    const error = thrown(() => accountForChannel('telegram', '+4915123456789'));
    expect(error).toBeInstanceOf(AccountKindMismatch);
    expect((error as AccountKindMismatch).details).toMatchObject({ expected: 'telegram', given: 'phone' });
  });

  test.each<[string, ChannelKind, AccountKind | null]>([
    ['anna@example.com', 'whatsapp', 'email'],
    ['+49 151 23456789', 'email', 'phone'],
    ['015123456789', 'whatsapp', 'phone'],
    ['(0151) 234-56789', 'email', 'phone'],
    ['123456789', 'telegram', 'telegram'],
    ['-1001234567890', 'telegram', 'telegram'],
    ['123456789', 'whatsapp', 'phone'],
    ['@anna', 'telegram', 'telegram'],
    ['anna', 'email', 'email'],
    ['anna', 'whatsapp', 'phone'],
    ['anna', 'livechat', null],
  ])('guessAccountKind(%j) on a %s channel is %s', (raw, channelKind, kind) => {
    expect(guessAccountKind(raw, channelKind)).toBe(kind);
  });

  test('normaliseAccount uses the normaliser of the account kind', () => {
    expect(normaliseAccount('phone', '+49 151 23456789')).toBe('+4915123456789');
    expect(normaliseAccount('email', 'a@EXAMPLE.com')).toBe('a@example.com');
    expect(normaliseAccount('telegram', '+42')).toBe('42');
  });

  test.each(['0', '-0', '1.5', '12e3', '99999999999999999', 'abc', ''])(
    '%j is not a Telegram chat id',
    (raw) => {
      expect(thrown(() => normaliseAccount('telegram', raw))).toBeInstanceOf(InvalidInput);
    },
  );
});
