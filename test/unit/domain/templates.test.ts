import fc from 'fast-check';
import {
  DEFAULT_SESSION_NAME_TEMPLATE,
  InvalidInput,
  TemplateInvalid,
  TemplateVariableMissing,
  renderMessageTemplate,
  renderSessionName,
  validateSessionNameTemplate,
  type SessionNameContext,
} from '../../../domain';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('message templates', () => {
  test('variables are filled in', () => {
    expect(
      renderMessageTemplate('Your order #{{orderId}} is ready, {{name}}.', { orderId: 1042, name: 'Anna' }),
    ).toBe('Your order #1042 is ready, Anna.');
  });

  test('text is not HTML-escaped: channels carry plain text', () => {
    expect(renderMessageTemplate('{{a}} {{b}}', { a: 'Tom & Jerry', b: '<3 "quoted"' })).toBe(
      'Tom & Jerry <3 "quoted"',
    );
  });

  test('nested values, conditionals and loops work', () => {
    const text = renderMessageTemplate(
      '{{order.id}}:{{#if vip}} VIP{{/if}}{{#each items}} {{this}}{{/each}}',
      {
        order: { id: 'A1' },
        vip: true,
        items: ['tea', 'cake'],
      },
    );
    expect(text).toBe('A1: VIP tea cake');
  });

  test('a missing variable is an error that names it, not an empty gap in the message', () => {
    const error = thrown(() => renderMessageTemplate('Hello {{name}}, order {{orderId}}', { name: 'Anna' }));
    expect(error).toBeInstanceOf(TemplateVariableMissing);
    expect((error as TemplateVariableMissing).details).toEqual({ variable: 'orderId', line: 1, column: 25 });
    expect((error as TemplateVariableMissing).message).toBe(
      'The template uses {{orderId}} (line 1, column 25), but no variable "orderId" was given.',
    );
  });

  test('a missing nested variable is named by its whole path', () => {
    const error = thrown(() => renderMessageTemplate('Line one\nOrder {{ order.id }}', { order: {} }));
    expect((error as TemplateVariableMissing).details.variable).toBe('order.id');
    expect((error as TemplateVariableMissing).details.line).toBe(2);
  });

  test('a variable given as undefined counts as missing, as it would after JSON serialisation', () => {
    expect(thrown(() => renderMessageTemplate('{{name}}', { name: undefined }))).toBeInstanceOf(
      TemplateVariableMissing,
    );
  });

  test('null and empty values are given, and render as nothing', () => {
    expect(renderMessageTemplate('[{{a}}][{{b}}]', { a: null, b: '' })).toBe('[][]');
  });

  test('a syntax error is TemplateInvalid and says where', () => {
    const error = thrown(() => renderMessageTemplate('Hello {{name', { name: 'Anna' }));
    expect(error).toBeInstanceOf(TemplateInvalid);
    expect((error as TemplateInvalid).message).toContain('Parse error on line 1');
    expect((error as TemplateInvalid).message).toContain('Hello {{name');
  });

  test('an unknown helper is TemplateInvalid, not silently ignored', () => {
    expect(thrown(() => renderMessageTemplate('{{shout name}}', { name: 'a' }))).toBeInstanceOf(
      TemplateInvalid,
    );
  });

  test('partials are not available', () => {
    expect(thrown(() => renderMessageTemplate('{{> footer}}', {}))).toBeInstanceOf(TemplateInvalid);
  });

  test('the same template renders each call with its own variables (compiled once, cached)', () => {
    for (let i = 0; i < 3; i++) expect(renderMessageTemplate('n={{n}}', { n: i })).toBe(`n=${i}`);
  });

  test('more templates than the cache holds still render correctly', () => {
    for (let i = 0; i < 600; i++) expect(renderMessageTemplate(`t${i} {{x}}`, { x: i })).toBe(`t${i} ${i}`);
    expect(renderMessageTemplate('t0 {{x}}', { x: 'again' })).toBe('t0 again');
  });

  test('a failing template keeps failing the same way (the cache does not hide errors)', () => {
    const first = thrown(() => renderMessageTemplate('{{missing}}', {}));
    const second = thrown(() => renderMessageTemplate('{{missing}}', {}));
    expect(second).toEqual(first);
  });
});

describe('session names (rule 5)', () => {
  const base: SessionNameContext = {
    contactName: 'Anna Schmidt',
    date: new Date('2025-03-07T10:00:00Z'),
    liveChatName: 'Tech Support',
    channelKind: 'email',
    channelName: 'Support inbox',
  };

  test('rule 5: an email subject names the session, whatever the template', () => {
    expect(renderSessionName('{{liveChat}}', { ...base, subject: 'Your order #1042' })).toBe(
      'Your order #1042',
    );
  });

  test('rule 5: with a blank subject the administrator’s template names the session', () => {
    expect(
      renderSessionName('{{liveChat}}: {{contactName}} ({{date}}, {{channel}})', { ...base, subject: '   ' }),
    ).toBe('Tech Support: Anna Schmidt (2025-03-07, Support inbox)');
  });

  test('rule 5: with no template set, a default names the session', () => {
    expect(renderSessionName(null, base)).toBe('Anna Schmidt · Support inbox · 2025-03-07');
    expect(renderSessionName('  ', base)).toBe(renderSessionName(DEFAULT_SESSION_NAME_TEMPLATE, base));
  });

  test('a subject on a channel without subjects does not name the session', () => {
    expect(
      renderSessionName(null, { ...base, channelKind: 'whatsapp', channelName: undefined, subject: 'Hi' }),
    ).toBe('Anna Schmidt · WhatsApp · 2025-03-07');
  });

  test('without a contact name the account stands in, and without both a fallback', () => {
    expect(
      renderSessionName('{{contactName}}', { ...base, contactName: ' ', account: '+4915123456789' }),
    ).toBe('+4915123456789');
    expect(renderSessionName('{{contactName}}', { ...base, contactName: undefined })).toBe('Unknown contact');
  });

  test('the date is the UTC calendar day, whatever the machine’s time zone', () => {
    const lateInNewYork = new Date('2024-12-31T23:30:00-05:00');
    expect(renderSessionName('{{date}}', { ...base, date: lateInNewYork })).toBe('2025-01-01');
  });

  test('an invalid date is refused', () => {
    expect(thrown(() => renderSessionName(null, { ...base, date: new Date('nope') }))).toBeInstanceOf(
      InvalidInput,
    );
  });

  test('a template using a variable that does not exist is refused, naming it', () => {
    const error = thrown(() => renderSessionName('{{customer}}', base));
    expect(error).toBeInstanceOf(TemplateVariableMissing);
    expect((error as TemplateVariableMissing).details.variable).toBe('customer');
  });

  test('validateSessionNameTemplate accepts the known variables and refuses others', () => {
    expect(() =>
      validateSessionNameTemplate('{{contactName}} {{date}} {{liveChat}} {{channel}}'),
    ).not.toThrow();
    expect(() => validateSessionNameTemplate(DEFAULT_SESSION_NAME_TEMPLATE)).not.toThrow();
    expect(thrown(() => validateSessionNameTemplate('{{contact}}'))).toBeInstanceOf(TemplateVariableMissing);
    expect(thrown(() => validateSessionNameTemplate('{{#if}}'))).toBeInstanceOf(TemplateInvalid);
  });

  test('a template that renders blank falls back to the default', () => {
    expect(renderSessionName('{{#if false}}x{{/if}}', base)).toBe(
      'Anna Schmidt · Support inbox · 2025-03-07',
    );
  });

  test('names are one line, trimmed, and capped at 200 characters without splitting an emoji', () => {
    expect(renderSessionName(null, { ...base, subject: '  Re:\n  your\torder  ' })).toBe('Re: your order');
    const long = renderSessionName(null, { ...base, subject: `${'a'.repeat(199)}😀😀` });
    expect([...long]).toHaveLength(200);
    expect(long.endsWith('😀')).toBe(true);
  });

  test('property: the same input always gives the same name (deterministic, safe in workflows)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string()),
        fc.string(),
        fc.date({ noInvalidDate: true }),
        (subject, contactName, date) => {
          const ctx = { ...base, subject: subject ?? undefined, contactName, date };
          expect(renderSessionName(null, ctx)).toBe(renderSessionName(null, { ...ctx }));
        },
      ),
    );
  });

  test('property: a name is never empty, never multi-line, never longer than 200 characters', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ unit: 'grapheme', maxLength: 400 })),
        fc.option(fc.string({ maxLength: 400 })),
        fc.constantFrom('email', 'whatsapp', 'telegram', 'livechat' as const),
        (subject, contactName, channelKind) => {
          const name = renderSessionName(null, {
            ...base,
            channelKind,
            subject: subject ?? undefined,
            contactName: contactName ?? undefined,
          });
          expect(name.trim()).not.toBe('');
          expect(name).not.toMatch(/[\r\n]/);
          expect([...name].length).toBeLessThanOrEqual(200);
        },
      ),
    );
  });
});
