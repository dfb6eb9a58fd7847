import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// No Docker engine runs here; this checks what can be checked without one: the file parses, has
// the production shape docs/operations.md describes, pins every image, health-checks every long-running
// service, sets Temporal's schema up with a one-shot service, and asks the Temporal CLI (not tctl)
// and our own /readyz whether things are up.
const root = path.join(__dirname, '..', '..');
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  restart?: string;
  environment?: Record<string, string | number>;
  volumes?: string[];
  healthcheck?: { test?: unknown };
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const services = compose.services;
/** Services that run once and exit (their dependents wait for them to complete). */
const ONE_SHOT = ['temporal-schema'];
const healthTest = (name: string) => JSON.stringify(services[name]?.healthcheck?.test ?? null);

test('docker-compose.yml names every service docs/operations.md mentions', () => {
  expect(Object.keys(services).sort()).toEqual([
    'codec',
    'postgresql',
    'server',
    'temporal',
    'temporal-admin-tools',
    'temporal-schema',
    'temporal-ui',
    'worker',
  ]);
  const readme = fs.readFileSync(path.join(root, 'docs', 'operations.md'), 'utf8');
  for (const phrase of [
    'PostgreSQL',
    'Temporal server',
    'Temporal UI',
    'worker',
    'server',
    'codec server',
    'admin-tools',
  ]) {
    expect(readme).toContain(phrase);
  }
});

test('every image is pinned to a version and every long-running service has a health check', () => {
  for (const [name, service] of Object.entries(services)) {
    if (service.image)
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/:\d[\w.-]*$/) });
    else expect({ name, build: service.build }).toEqual({ name, build: expect.anything() });
    if (ONE_SHOT.includes(name)) continue;
    expect({ name, healthcheck: service.healthcheck?.test }).toEqual({
      name,
      healthcheck: expect.anything(),
    });
  }
});

test('Temporal runs from its server image, its schema set up by a one-shot admin-tools service, never auto-setup or tctl', () => {
  for (const [name, service] of Object.entries(services)) {
    expect({ name, image: service.image ?? '' }).not.toEqual({
      name,
      image: expect.stringMatching(/auto-setup/),
    });
    expect({ name, health: healthTest(name) }).not.toEqual({ name, health: expect.stringMatching(/tctl/) });
  }
  expect(services.temporal?.image).toMatch(/^temporalio\/server:/);
  const schema = services['temporal-schema']!;
  expect(schema.image).toMatch(/^temporalio\/admin-tools:/);
  // Same Temporal version for the schema as for the server.
  expect(schema.image?.split(':')[1]).toBe(services.temporal?.image?.split(':')[1]);
  expect(schema.restart).toMatch(/^on-failure/);
  expect(services.temporal?.depends_on?.['temporal-schema']).toEqual({
    condition: 'service_completed_successfully',
  });
  // The script it runs exists and sets up both databases with Temporal's SQL tool.
  const mount = schema.volumes?.find((v) => v.startsWith('./deploy/'))?.split(':')[0];
  const script = fs.readFileSync(path.join(root, mount!), 'utf8');
  expect(script).toContain('temporal-sql-tool');
  expect(script).toMatch(/setup temporal temporal/);
  expect(script).toMatch(/setup temporal_visibility visibility/);
});

test('whether Temporal answers is asked with the Temporal CLI before the worker, the server and the UI start', () => {
  const admin = services['temporal-admin-tools']!;
  expect(admin.image).toBe(services['temporal-schema']?.image);
  expect(healthTest('temporal-admin-tools')).toContain('temporal operator cluster health');
  for (const name of ['worker', 'server', 'temporal-ui'])
    expect({ name, waits: services[name]?.depends_on?.['temporal-admin-tools'] }).toEqual({
      name,
      waits: { condition: 'service_healthy' },
    });
});

test("the worker and the server are healthy when their /readyz says so; the worker's listener is on", () => {
  expect(healthTest('worker')).toContain('http://127.0.0.1:9464/readyz');
  expect(services.worker?.environment?.LIVECHAT_WORKER_HTTP_PORT).toBe(9464);
  expect(healthTest('server')).toContain(
    `http://127.0.0.1:${services.server?.environment?.WEBHOOK_PORT}/readyz`,
  );
  // node itself runs them: stdout is their JSON lines only.
  expect(services.worker?.command).toEqual(['node', 'dist/worker/main.js']);
  expect(services.server?.command).toEqual(['node', 'dist/server/main.js']);
});

test('the worker and the server reach Temporal and PostgreSQL by their service names', () => {
  for (const name of ['worker', 'server']) {
    const environment = services[name]!.environment!;
    expect(environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(environment.DATABASE_URL).toMatch(/@postgresql:5432\//);
  }
});
