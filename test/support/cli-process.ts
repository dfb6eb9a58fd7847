import { execFile } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `livechat …` as a user runs it (tsx cli/main.ts), with `env` over this process's, and `input` on stdin. */
export function runLivechat(env: NodeJS.ProcessEnv, args: string[], input?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      TSX,
      ['cli/main.ts', ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`livechat ${args.join(' ')} did not exit normally: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}
