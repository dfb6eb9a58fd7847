import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');

test('livechat whose reader has stopped (`| head`) ends quietly, exit 0, no EPIPE trace', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', '--help'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
  // The reader is gone before the command writes (as `head` is once it has its lines).
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
}, 60_000);
