import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from './cache-dir';

const execFileAsync = promisify(execFile);

/**
 * The last Temporal CLI tag that `go install` accepts (newer tags carry a `replace` directive).
 * Its dev server is Temporal Server 1.29.
 */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Looks a command up on PATH, like `which`. */
export function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function builtCliPath(): string {
  return path.join(cacheDir(), 'bin', 'temporal');
}

/**
 * Finds a Temporal CLI to run the dev server with, in this order: `TEMPORAL_CLI`, `temporal` on PATH,
 * one we built earlier, or one built now with `go install` when Go is available. Returns undefined when
 * none can be had (the caller then falls back to the SDK's own download).
 */
export async function locateTemporalCli(log: (line: string) => void): Promise<string | undefined> {
  const explicit = process.env.TEMPORAL_CLI;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI=${explicit} is not an executable file`);
    return explicit;
  }
  const onPath = findOnPath('temporal');
  if (onPath) return onPath;
  const built = builtCliPath();
  if (isExecutable(built)) return built;
  const go = findOnPath('go');
  if (!go) return undefined;

  log(`building the Temporal CLI with go install ${TEMPORAL_CLI_MODULE} (a few minutes, once)...`);
  const binDir = path.dirname(built);
  fs.mkdirSync(binDir, { recursive: true });
  await execFileAsync(go, ['install', '-ldflags=-s -w', TEMPORAL_CLI_MODULE], {
    env: { ...process.env, GOBIN: binDir, CGO_ENABLED: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!isExecutable(built)) throw new Error(`go install finished but ${built} is missing`);
  return built;
}
