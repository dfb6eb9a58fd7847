/**
 * The README's main job, `npm run demo`, as a user runs it: on embedded PostgreSQL (DATABASE_URL
 * unset), against the run's Temporal server (TEMPORAL_ADDRESS, so no second dev server starts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { eventually } from '../support/workspace';

const ROOT = path.join(__dirname, '..', '..');

function startDemo(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
    LIVECHAT_TASK_QUEUE: `demo-${process.pid}-${Date.now()}`,
    LIVECHAT_WORKSPACE_PORT: '0',
  };
  delete env.DATABASE_URL;
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'dev/demo.ts', ...args],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

test('npm run demo -- --once: the order-ready process notifies Maria, the history is printed, exit 0', async () => {
  const demo = startDemo(['--once']);
  const code = await demo.exited;
  expect({ code, output: demo.output() }).toMatchObject({ code: 0 });
  const output = demo.output();
  expect(output).toContain('PostgreSQL: embedded (PGlite)');
  expect(output).toMatch(
    /WhatsApp \(Twilio stand-in\) received for whatsapp:\+4915123456789: template HX\w+ \{"1":"Hello! Your order #1042 is ready for pickup at our Berlin store\."\}/,
  );
  expect(output).toMatch(
    /process order-1042-\d+\/notify\/order-ready {2}\[delivered\]\n {4}Hello! Your order #1042 is ready/,
  );
  expect(output).not.toContain('Live Chats workspace');
});

test('npm run demo serves the workspace at the address it prints, with the demo operators signed in by password, until Ctrl-C', async () => {
  const demo = startDemo([]);
  try {
    const address = await eventually(
      () => /Live Chats workspace: (http:\/\/\S+)/.exec(demo.output())?.[1],
      'the workspace address',
      90_000,
    );
    const page = await fetch(address);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Live Chats</title>');
    const signIn = await fetch(`${address}/api/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ operatorId: 'anna', password: 'demo-password' }),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get('set-cookie')?.split(';')[0] ?? '';
    const sessions = (await (await fetch(`${address}/api/my-sessions`, { headers: { cookie } })).json()) as {
      sessions: unknown[];
    };
    // The order-ready notification opened a session nobody has taken yet: Anna sees it.
    expect(sessions.sessions).toEqual([
      expect.objectContaining({ contact: { id: 'maria', name: 'Maria Schmidt' }, assignedOperator: null }),
    ]);
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
  } finally {
    if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
  }
});
