import fs from 'node:fs';
import path from 'node:path';
import { parseConfigFile, parseConfigText, summariseConfig } from '../../../client/config-file';
import { CONFIG_JSON_SCHEMA_FILE, configJsonSchema } from '../../../db/config-json-schema';
import { InvalidInput } from '../../../domain/errors';

const yaml = `
operators:
  - { id: anna, name: Anna Weber, status: online }
  - { id: boris, name: Boris Petrov }
liveChats:
  - id: support
    name: Tech Support
    operators: [anna, boris]
    supervisors: [anna]
    channels:
      - { id: support-whatsapp, kind: whatsapp, name: WhatsApp }
      - { id: support-email, kind: email, name: support@shop.example }
contacts:
  - id: maria
    name: Maria Schmidt
    accounts: [{ kind: phone, value: "+4915123456789" }]
`;

test('YAML and JSON both parse to the same config', () => {
  const fromYaml = parseConfigText(yaml, 'config.yaml');
  const fromJson = parseConfigText(JSON.stringify(fromYaml), 'config.json');
  expect(fromJson).toEqual(fromYaml);
  expect(summariseConfig(fromYaml)).toEqual({
    operators: 2,
    liveChats: 1,
    members: 3,
    channels: 2,
    contacts: 1,
    telegramChats: 0,
  });
});

function thrownBy(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

test('a syntax error is InvalidInput naming the file and the line', () => {
  const thrown = thrownBy(() => parseConfigText('operators: [\n  - id: anna', 'broken.yaml'));
  expect(thrown).toBeInstanceOf(InvalidInput);
  expect((thrown as InvalidInput).message).toMatch(
    /^The input is not valid: broken\.yaml is not valid YAML or JSON: .*line \d+/,
  );
});

test('a wrong shape is InvalidInput with the path of each problem', () => {
  const thrown = thrownBy(() => summariseConfig({ operators: [{ id: 'anna' }] }));
  expect(thrown).toBeInstanceOf(InvalidInput);
  expect((thrown as InvalidInput).details.issues.map((i) => i.path)).toEqual(['operators.0.name']);
});

describe('a strict schema: typos and wrong types are refused with their path and line', () => {
  const typos = [
    'operators:',
    '  - id: anna',
    '    name: Anna Weber',
    '    stauts: online',
    'liveChats:',
    '  - id: support',
    '    name: Tech Support',
    '    channels:',
    '      - { id: support-whatsapp, kind: whatsapp, name: WhatsApp, settings: { form: "+14155550100" } }',
    '      - id: support-email',
    '        kind: emial',
    '        name: Support',
    '      - id: support-telegram',
    '        kind: telegram',
    '        name: Bot',
    '        settings:',
    '          botUsername: 42',
    'contacs:',
    '  - { id: maria, name: Maria }',
    '',
  ].join('\n');

  test('each problem names the path and the line of the file', () => {
    const { value, locate } = parseConfigFile(typos, 'typos.yaml');
    const thrown = thrownBy(() => summariseConfig(value, locate));
    expect(thrown).toBeInstanceOf(InvalidInput);
    expect((thrown as InvalidInput).details.issues).toEqual([
      { path: 'operators.0.stauts', line: 4, message: 'unknown key "stauts"' },
      { path: 'liveChats.0.channels.0.settings.form', line: 9, message: 'unknown key "form"' },
      { path: 'liveChats.0.channels.1.kind', line: 11, message: expect.stringMatching(/email.*whatsapp/) },
      {
        path: 'liveChats.0.channels.2.settings.botUsername',
        line: 17,
        message: expect.stringMatching(/expected string/),
      },
      { path: 'contacs', line: 18, message: 'unknown key "contacs"' },
    ]);
    expect((thrown as InvalidInput).message).toContain('operators.0.stauts (line 4): unknown key "stauts"');
  });

  test('the same in JSON, lines included', () => {
    const json = JSON.stringify({ operators: [{ id: 'anna', name: 'Anna', status: 'away' }] }, null, 2);
    const { value, locate } = parseConfigFile(json, 'typos.json');
    const thrown = thrownBy(() => summariseConfig(value, locate)) as InvalidInput;
    expect(thrown.details.issues).toEqual([
      { path: 'operators.0.status', line: 6, message: expect.stringMatching(/online.*offline.*busy/) },
    ]);
  });

  test.each([
    ['email', { from: 'not an address' }, 'from'],
    ['whatsapp', { from: '0151 2345678' }, 'from'],
    ['whatsapp', { from: '+14155550100', templateContentSid: 'template-1' }, 'templateContentSid'],
    ['telegram', { botUsername: 'a b' }, 'botUsername'],
    ['livechat', { from: 'x@y.example' }, 'from'],
  ])('%s settings %j are refused at settings.%s', (kind, settings, key) => {
    const config = {
      liveChats: [{ id: 'l', name: 'L', channels: [{ id: 'c', kind, name: 'C', settings }] }],
    };
    const thrown = thrownBy(() => summariseConfig(config)) as InvalidInput;
    expect(thrown.details.issues.map((i) => i.path)).toEqual([`liveChats.0.channels.0.settings.${key}`]);
  });

  test("every kind's documented settings are accepted", () => {
    const channels = [
      { id: 'e', kind: 'email', name: 'E', settings: { from: 'Tech Support <support@shop.example>' } },
      {
        id: 'w',
        kind: 'whatsapp',
        name: 'W',
        settings: { from: '+14155550100', templateContentSid: 'HX0a1b2c3d4e5f60718293a4b5c6d7e8f9' },
      },
      { id: 't', kind: 'telegram', name: 'T', settings: { botUsername: 'ShopSupportBot' } },
      { id: 'l', kind: 'livechat', name: 'L' },
    ];
    expect(summariseConfig({ liveChats: [{ id: 'l', name: 'L', channels }] }).channels).toBe(4);
  });
});

test('schema/live-chats.schema.json is the one generated from the zod schema (npm run schema)', () => {
  const shipped = JSON.parse(
    fs.readFileSync(path.join(__dirname, '../../..', CONFIG_JSON_SCHEMA_FILE), 'utf8'),
  );
  expect(shipped).toEqual(configJsonSchema());
  // Editors refuse what the tool refuses: unknown keys.
  expect(shipped).toMatchObject({ additionalProperties: false });
  expect(shipped).not.toHaveProperty('required');
});
