import { parseConfigText, summariseConfig } from '../../../client/config-file';
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
