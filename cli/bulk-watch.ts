import { Presets, SingleBar } from 'cli-progress';
import type { Client } from '@temporalio/client';
import type { BulkProgress } from '../domain/types';
import { bulkProgress } from '../client/bulk-notify';

const POLL_MS = 500;
const ENDED = new Set(['completed', 'cancelled']);

/**
 * Follows a bulk notification until it ends, drawing a progress bar on `stream` when it is a
 * terminal (cli-progress draws nothing otherwise, so pipes and `--json` get only the result).
 */
export async function watchBulk(
  client: Client,
  bulkId: string,
  stream: NodeJS.WriteStream = process.stderr,
): Promise<BulkProgress> {
  const bar = new SingleBar(
    {
      stream,
      format: '{bar} {percentage}% | {value}/{total} | sent {sent} | failed {failed} | {state}',
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  let progress = await bulkProgress(client, bulkId);
  bar.start(progress.total, 0, payloadOf(progress));
  try {
    while (!ENDED.has(progress.state)) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      progress = await bulkProgress(client, bulkId);
      bar.setTotal(progress.total);
      bar.update(progress.sent + progress.failed, payloadOf(progress));
    }
  } finally {
    bar.stop();
  }
  return progress;
}

function payloadOf(progress: BulkProgress) {
  return { sent: progress.sent, failed: progress.failed, state: progress.state };
}
