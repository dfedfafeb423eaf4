/**
 * Worker thread of the parallel path (./driver.ts): reads the byte ranges the main thread gives it, one at a time,
 * each with a session in worker mode, and posts each range's `RangeResult` — counts, rows, the range's head and
 * thread end states — to the main thread. While reading, it answers the main thread's requests to give away the
 * tail of what it has not read yet (work stealing).
 */
import { parentPort } from 'node:worker_threads';
import { RangeReader, runRange } from './ranges.js';
import type { FromWorker, RangeJob, ToWorker } from './types.js';

/** Progress messages every 4 MiB (the main thread's bar, and its guess of which range has most left to steal). */
const PROGRESS_EVERY = 4 << 20;

const port = parentPort;
if (port !== null) {
  const post = (m: FromWorker) => port.postMessage(m);
  let current: { id: number; reader: RangeReader } | null = null;
  const run = async (job: RangeJob): Promise<void> => {
    const reader = new RangeReader(job.path, job.start, job.end, job.chunkSize, job.minSplit);
    current = { id: job.id, reader };
    let sent = 0;
    try {
      const result = await runRange(job, reader, (read) => {
        if (read - sent >= PROGRESS_EVERY) {
          sent = read;
          post({ type: 'progress', id: job.id, bytes: sent });
        }
      });
      current = null;
      post({ type: 'progress', id: job.id, bytes: reader.end - job.start });
      post({ type: 'result', id: job.id, result });
    } catch (e: unknown) {
      current = null;
      post({ type: 'error', id: job.id, message: e instanceof Error ? e.message : String(e) });
    }
  };
  port.on('message', (m: ToWorker) => {
    if (m.type === 'job') void run(m.job);
    else if (current !== null && current.id === m.id) {
      const { id, reader } = current;
      post({ type: 'split', id, at: reader.split(m.share) });
    } else post({ type: 'split', id: m.id, at: null });
  });
  // The pipeline's modules have loaded (this module's imports): the driver hands out the first ranges only now.
  post({ type: 'ready' });
}
