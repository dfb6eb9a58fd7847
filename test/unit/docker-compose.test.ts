import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// No Docker engine runs here; this checks what can be checked without one: the file parses, has
// the production shape docs/operations.md describes, pins every image and health-checks every service.
const root = path.join(__dirname, '..', '..');
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    { image?: string; build?: unknown; healthcheck?: { test?: unknown }; depends_on?: object }
  >;
};

test('docker-compose.yml names every service docs/operations.md mentions', () => {
  expect(Object.keys(compose.services).sort()).toEqual([
    'codec',
    'postgresql',
    'server',
    'temporal',
    'temporal-ui',
    'worker',
  ]);
  const readme = fs.readFileSync(path.join(root, 'docs', 'operations.md'), 'utf8');
  for (const phrase of ['PostgreSQL', 'Temporal server', 'Temporal UI', 'worker', 'server', 'codec server']) {
    expect(readme).toContain(phrase);
  }
});

test('every image is pinned to a version and every service has a health check', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.image)
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/:\d[\w.-]*$/) });
    else expect({ name, build: service.build }).toEqual({ name, build: expect.anything() });
    expect({ name, healthcheck: service.healthcheck?.test }).toEqual({
      name,
      healthcheck: expect.anything(),
    });
  }
});

test('the worker and the server reach Temporal and PostgreSQL by their service names', () => {
  for (const name of ['worker', 'server']) {
    const service = compose.services[name] as { environment: Record<string, string> };
    expect(service.environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(service.environment.DATABASE_URL).toMatch(/@postgresql:5432\//);
  }
});
