import os from 'node:os';
import path from 'node:path';

/** Where built tools (the Temporal CLI) and embedded data live between runs. */
export function cacheDir(): string {
  return process.env.LIVECHAT_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'livechat-temporal');
}
