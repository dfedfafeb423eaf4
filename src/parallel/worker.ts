/**
 * Worker thread of the parallel path (./driver.ts): reads one byte range of a text trace with a session in worker
 * mode and posts its `RangeResult` — counts, rows, the range's head and thread end states — to the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { Session } from '../analyze.js';
import { linesInto } from '../parse/index.js';
import { LineSplitter } from '../parse/lines.js';
import { TextParser } from '../parse/text-parser.js';
import { TimestampParser } from '../parse/timestamps.js';
import type { Isa } from '../model/events.js';
import { readRange } from './driver.js';
import type { FromWorker, RangeJob, RangeResult } from './types.js';

/** Progress messages every 16 MiB (the main thread's bar). */
const PROGRESS_EVERY = 16 << 20;

async function run(job: RangeJob, post: (m: FromWorker) => void): Promise<RangeResult> {
  const s = new Session(
    [job.displayName],
    {
      ...(job.isa !== null ? { isa: job.isa as Isa } : {}),
      ...(job.since !== null ? { since: job.since } : {}),
      ...(job.until !== null ? { until: job.until } : {}),
      ...(job.tscGhz !== null ? { tscGhz: job.tscGhz } : {}),
      timeline: job.timeline,
    },
    job,
  );
  const ts = new TimestampParser(job.tscGhz);
  ts.setBase(job.baseSeconds);
  s.bindTimestamps(ts);
  const parser = new TextParser(0, job.displayName, s.diag, ts, s.sink, job.format, job.repair, false);
  let final = false;
  const splitter = new LineSplitter(linesInto(parser, 0, ts, s.diag, job.fastLane, () => final));
  let read = 0;
  let sent = 0;
  await readRange(job.path, job.start, job.end, job.chunkSize, (b) => {
    splitter.push(b);
    read += b.length;
    if (read - sent >= PROGRESS_EVERY) {
      sent = read;
      post({ type: 'progress', bytes: sent });
    }
  });
  // A range ends just after a newline, so only the last one can end in an unterminated (final) line.
  final = job.last;
  splitter.end();
  parser.end();
  post({ type: 'progress', bytes: job.end - job.start });
  return s.rangeResult(parser);
}

const port = parentPort;
if (port !== null) {
  port.once('message', (job: RangeJob) => {
    const post = (m: FromWorker) => port.postMessage(m);
    run(job, post).then(
      (result) => post({ type: 'result', result }),
      (e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
  });
}
