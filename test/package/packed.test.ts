/**
 * The package as a workflow designer meets it: built and packed (`npm pack`), installed with plain
 * `npm install` into a scratch project outside the repository, and used there only through its
 * public entry points (`livechat-temporal`, `livechat-temporal/workflows`, `livechat-temporal/client`,
 * the `livechat` bin). The designer's own worker (their task queue, their workflows file with the
 * one-line re-export, our plugin) runs against the real dev server and PostgreSQL, with the real
 * provider SDKs pointed at the stand-ins.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Sandbox } from '../../dev/sandbox/start-sandbox';
import type { Harness } from '../support/harness';
import { providerWorld, receiptsOf } from '../support/provider-world';
import { startProcessWorld } from '../support/worker-process';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const DESIGNER = path.join(__dirname, 'designer');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

jest.setTimeout(900_000);

let scratch: string;
let installOutput: string;
let sandbox: Sandbox;
let harness: Harness;
const world = providerWorld(2);

/** Runs a command in the scratch project; its output whatever the exit code. */
async function inScratch(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd: scratch,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : 1,
      output: `${failed.stdout}${failed.stderr}`,
    };
  }
}

/** The environment an administrator gives the designer's worker and client. */
function designerEnv(): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
    DATABASE_URL: process.env.LIVECHAT_TEST_DATABASE_URL,
    LIVECHAT_PAYLOAD_KEYS: process.env.LIVECHAT_PAYLOAD_KEYS,
    ...sandbox.providers,
  };
}

beforeAll(async () => {
  const packs = fs.mkdtempSync(path.join(os.tmpdir(), 'livechat-pack-'));
  const packed = await run('npm', ['pack', '--silent', '--pack-destination', packs], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const tarball = path.join(packs, packed.stdout.trim().split('\n').pop()!.trim());
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'livechat-designer-'));
  fs.writeFileSync(
    path.join(scratch, 'package.json'),
    JSON.stringify({
      name: 'designer-project',
      version: '1.0.0',
      private: true,
      dependencies: {
        'livechat-temporal': `file:${tarball}`,
        // The designer's own SDK, at the version ours is matched to (npm then keeps one copy).
        ...Object.fromEntries(
          ['@temporalio/client', '@temporalio/worker', '@temporalio/workflow'].map((name) => [
            name,
            pkg.dependencies[name],
          ]),
        ),
        typescript: pkg.devDependencies.typescript,
        '@types/node': pkg.devDependencies['@types/node'],
      },
    }),
  );
  for (const file of fs.readdirSync(DESIGNER))
    fs.copyFileSync(path.join(DESIGNER, file), path.join(scratch, file));
  const installed = await inScratch('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline']);
  installOutput = installed.output;
  if (installed.code !== 0) throw new Error(`npm install failed:\n${installed.output}`);
  ({ sandbox, harness } = await startProcessWorld(world, 0));
}, 900_000);

afterAll(async () => {
  await harness?.stop();
  await sandbox?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test('npm pack ships no tests, benchmarks, CI, deploy or dev-only files, and the built web page', async () => {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = (JSON.parse(stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
  expect(
    files.filter((f) => /^(test|bench|dev|deploy|\.ci|scripts)\//.test(f) || f.startsWith('dist/dev/')),
  ).toEqual([]);
  expect(files).toEqual(
    expect.arrayContaining(['dist/index.js', 'dist/cli/main.js', 'dist/server/web/index.html']),
  );
});

test('the tarball installs on this Node with plain npm install, without an engine warning', () => {
  expect(installOutput).not.toContain('EBADENGINE');
  expect(fs.existsSync(path.join(scratch, 'node_modules', 'livechat-temporal', 'dist', 'index.js'))).toBe(
    true,
  );
});

test("the designer's worker, workflows file and client type-check against the public entry points", async () => {
  const checked = await inScratch(process.execPath, [
    path.join('node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    '.',
  ]);
  expect(checked.output).toBe('');
  expect(checked.code).toBe(0);
});

test("npx livechat --help works in the designer's project", async () => {
  const help = await inScratch('npx', ['--no-install', 'livechat', '--help']);
  expect(help.code).toBe(0);
  expect(help.output).toContain('Usage: livechat');
});

test("the designer's worker with the plugin carries their process's message to the provider once, into the history; a refusal reaches their process by its type", async () => {
  const env = designerEnv();
  const worker = spawn(process.execPath, ['dist/worker.js'], {
    cwd: scratch,
    env: { ...process.env, ...env },
  });
  let output = '';
  worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      worker.stdout.on('data', () => output.includes('designer worker ready') && resolve());
      worker.once('exit', (code) => reject(new Error(`the designer's worker exited (${code}):\n${output}`)));
    });
    const contact = world.contacts[0]!;
    const message = {
      liveChatId: world.liveChatId,
      channelId: world.channelId('whatsapp'),
      to: { contactId: contact.id },
      text: `Order ${contact.id} is ready for pickup.`,
    };
    const sent = await inScratch(
      process.execPath,
      ['dist/client.js', `order-${contact.id}`, JSON.stringify({ orderId: '1042', message })],
      env,
    );
    expect(sent.code).toBe(0);
    const report = JSON.parse(sent.output.trim().split('\n').pop()!) as {
      outcome: { notified: string };
      history: { sessions: { messages: { text: string; status: string; authorKind?: string }[] }[] };
    };
    expect(report.outcome.notified).toEqual(expect.any(String));
    const texts = report.history.sessions.flatMap((s) => s.messages.map((m) => m.text));
    expect(texts).toContain(message.text);
    expect(receiptsOf(sandbox).filter((r) => r.text === message.text)).toHaveLength(1);

    const refused = await inScratch(
      process.execPath,
      [
        'dist/client.js',
        `order-unknown-${contact.id}`,
        JSON.stringify({ orderId: '1043', message: { ...message, to: { contactId: 'nobody-at-all' } } }),
      ],
      env,
    );
    expect(JSON.parse(refused.output.trim().split('\n').pop()!)).toEqual(
      expect.objectContaining({ outcome: { refused: 'ContactNotFound' } }),
    );
  } finally {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
  }
});

test('a worker whose workflows file lacks the re-export fails at start, saying what to add', async () => {
  const started = await inScratch(process.execPath, ['dist/worker.js'], {
    ...designerEnv(),
    DESIGNER_WORKFLOWS: './no-reexport-workflows',
  });
  expect(started.code).not.toBe(0);
  expect(started.output).toContain("export * from 'livechat-temporal/workflows';");
  expect(started.output).not.toContain('designer worker ready');
});
