/**
 * The parallel path for one large text trace: byte ranges parsed by worker threads, stitched by the main thread.
 *
 *   1. Plan: a regular, uncompressed text file of at least `parallelMinBytes` is cut into `threads` byte ranges,
 *      each boundary moved to the start of the next line.
 *   2. Workers start loading at once. The main thread reads range 0 itself, exactly as the single pass does (format
 *      sniffing, pasted-text repair decision, time base, first round trips). As soon as the format is fixed, the
 *      time base and the sample quantum are known and the input needs no state-carrying stage (repair, multi-file
 *      prefixes), every worker gets its range with those facts (`RangeJob`).
 *   3. Each worker pairs, classifies and summarizes its range with a session in worker mode: events of a vCPU thread
 *      before the thread's first usable kvm_exit in the range (its "head", see pair/round-trips.ts) are kept for
 *      the main thread, and round trips whose class needs the whole input's ISA hint are deferred.
 *   4. The main thread takes the ranges in order: replays each head on its own pairer (the round trips that cross
 *      the boundary are completed there, per vCPU thread), adopts the workers' thread states, and merges rows,
 *      diagnostics (line numbers shifted by the lines before the range), timeline and counts. Everything merged is
 *      order-independent (exact integer sums, histograms, rows sorted by count then key), so the analysis is
 *      identical to the single pass; test/parallel/ proves it on real fixtures at many split points.
 *   A range that cannot be stitched exactly (a worker saw repair switch on, multi-file prefixes, row limits reached,
 *   too large a head) is read by the main thread itself, in order — slower, never different.
 *
 * Follows the Firefox Profiler / Perfetto split of "process in workers, merge summaries" with the DevTools trace
 * engine's rule that handlers see events in order: the main thread's replay keeps per-thread order exactly.
 */
import { availableParallelism } from 'node:os';
import { open, stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { AnalyzeOptions, Session } from '../analyze.js';
import type { Diagnostics } from '../model/diagnostics.js';
import { linesInto, looksBinary, type ParseSummary } from '../parse/index.js';
import { DEFAULT_CHUNK_SIZE, hasTraceDatMagic, isGzip, readHead } from '../parse/input.js';
import { LineSplitter } from '../parse/lines.js';
import { TextParser } from '../parse/text-parser.js';
import { TimestampParser } from '../parse/timestamps.js';
import type { FormatName } from '../parse/types.js';
import type { FromWorker, RangeJob, RangeResult } from './types.js';

/** Below 64 MiB a single thread finishes in about a second; starting workers (module load ~0.1 s each) is not worth it. */
export const PARALLEL_MIN_BYTES = 64 << 20;
/** At most this many threads: the merge is sequential, and memory grows with each worker's rows. */
const MAX_THREADS = 8;
/**
 * Head events per range before the range is given up: a vCPU thread normally syncs within its first round trip;
 * 2^18 events (~100 MiB of posted objects at worst) bounds memory when a thread never exits in a range.
 */
const HEAD_LIMIT = 1 << 18;
/** Deferred round trips per range (exit reasons that name no ISA, e.g. `UNKNOWN (74)`): same bound. */
const DEFER_LIMIT = 1 << 16;

export interface ParallelPlan {
  path: string;
  /** Range starts (0 first) and the file size last. */
  bounds: number[];
}

/**
 * Read [start, end) of a file in chunks (the main thread's ranges and each worker's): the first chunk is
 * `firstChunk` bytes (small, so the main thread starts the workers soon), the others `chunkSize`. The next read is
 * in flight while a chunk is parsed (one chunk ahead), so the parser does not wait on the thread pool between chunks.
 */
export async function readRange(
  path: string,
  start: number,
  end: number,
  chunkSize: number,
  onChunk: (b: Buffer) => void,
  firstChunk = chunkSize,
): Promise<void> {
  const fh = await open(path, 'r');
  try {
    let pos = start;
    /** The next chunk, and whether the read was short (the file ended early: it shrank while being read). */
    const next = (size: number): Promise<{ b: Buffer; short: boolean }> | null => {
      const n = Math.min(size, end - pos);
      if (n <= 0) return null;
      const at = pos;
      pos += n;
      const buf = Buffer.allocUnsafe(n);
      return fh.read(buf, 0, n, at).then(({ bytesRead }) => ({ b: bytesRead === n ? buf : buf.subarray(0, bytesRead), short: bytesRead < n }));
    };
    let pending = next(firstChunk);
    while (pending !== null) {
      const { b, short } = await pending;
      pending = short ? null : next(chunkSize);
      if (b.length > 0) onChunk(b);
    }
  } finally {
    await fh.close();
  }
}

/** The first line start at or after `p` (the byte after the next newline), or -1. */
async function nextLineStart(path: string, p: number, size: number): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 << 10);
    let pos = Math.max(0, p - 1);
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return -1;
      const i = buf.subarray(0, bytesRead).indexOf(10);
      if (i >= 0) return pos + i + 1;
      pos += bytesRead;
    }
    return -1;
  } finally {
    await fh.close();
  }
}

/**
 * How much more range 0 gets than the others. Measured on the 2-core VM (EXITLENS_DEBUG_PARALLEL, 10M-line trace): the
 * main thread starts parsing at ~0.2 s and hands the workers their ranges at ~0.27 s, but it is also the one that
 * stitches and finishes afterwards; with a 48 MiB lead it ended 0.0-0.23 s (0.10 s on average) after the worker,
 * with 8 MiB 0.03-0.2 s (0.06 s).
 */
const MAIN_HEAD_START = 8 << 20;

/** Decide whether (and where) to split; null means the single pass. */
export async function planParallel(paths: readonly string[], opts: AnalyzeOptions): Promise<ParallelPlan | null> {
  const threads = Math.min(MAX_THREADS, opts.threads ?? availableParallelism());
  if (paths.length !== 1 || paths[0] === '-' || opts.onUnit !== undefined) return null;
  if ((opts.vcpu?.length ?? 0) > 0 || (opts.pid?.length ?? 0) > 0) return null;
  if (opts.splitAt === undefined && threads < 2) return null;
  const path = paths[0]!;
  const st = await stat(path).catch(() => null);
  if (st === null || !st.isFile()) return null;
  const size = st.size;
  if (opts.splitAt === undefined && size < (opts.parallelMinBytes ?? PARALLEL_MIN_BYTES)) return null;
  // Compressed, binary and trace.dat inputs take the single pass (which reports or decodes them).
  const h = await readHead(path, 4096);
  if (isGzip(h) || hasTraceDatMagic(h) || looksBinary(h)) return null;
  // Range 0 is larger by MAIN_HEAD_START bytes: the main thread parses while the workers still load.
  const lead = Math.min(MAIN_HEAD_START, Math.floor(size / (4 * threads)));
  const each = (size - lead) / threads;
  const nominal = opts.splitAt ?? Array.from({ length: threads - 1 }, (_, i) => Math.floor(lead + (i + 1) * each));
  const bounds = [0];
  for (const p of [...nominal].sort((a, b) => a - b)) {
    if (p <= 0 || p >= size) continue;
    const b = await nextLineStart(path, p, size);
    if (b > bounds[bounds.length - 1]! && b < size) bounds.push(b);
  }
  if (bounds.length < 2) return null;
  bounds.push(size);
  return { path, bounds };
}

function workerUrl(): URL {
  // Under the test runner this module is TypeScript source; the worker runs the compiled build (npm test builds).
  return import.meta.url.endsWith('.ts') ? new URL('../../dist/parallel/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url);
}

interface Running {
  worker: Worker;
  result: Promise<RangeResult | null>;
  bytes: number;
}

/** Parse one file with workers (see the header); returns what `parseInputs` returns. */
export async function parseParallel(plan: ParallelPlan, name: string, s: Session, opts: AnalyzeOptions): Promise<ParseSummary> {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const { path, bounds } = plan;
  const diag: Diagnostics = s.diag;
  const ts = new TimestampParser(opts.tscGhz ?? null);
  s.bindTimestamps(ts);
  opts.onTimestamps?.(ts);
  const forced: FormatName | null = opts.format !== undefined && opts.format !== 'auto' && opts.format !== 'trace-dat' ? opts.format : null;
  const parser = new TextParser(0, name, diag, ts, s.sink, forced, opts.repair !== false);
  let final = false;
  const splitter = new LineSplitter(linesInto(parser, 0, ts, diag, opts.fastLane !== false, () => final));

  // EXITLENS_DEBUG_PARALLEL=1: stderr lines saying when each range was started, finished and how it was handled.
  const dbg = process.env.EXITLENS_DEBUG_PARALLEL ? (m: string) => process.stderr.write(`exitlens: ${(performance.now() / 1000).toFixed(3)} s ${m}\n`) : null;
  let mainBytes = 0;
  const running: Running[] = [];
  const progress = () => opts.onProgress?.(mainBytes + running.reduce((t, r) => t + r.bytes, 0));
  for (let k = 1; k < bounds.length - 1; k++) {
    const worker = new Worker(workerUrl());
    const r: Running = { worker, bytes: 0, result: Promise.resolve(null) };
    r.result = new Promise<RangeResult | null>((resolve) => {
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'progress') {
          r.bytes = m.bytes;
          progress();
        } else if (m.type === 'result') {
          dbg?.(`range ${k} result posted by its worker`);
          resolve(m.result);
        } else {
          dbg?.(`range ${k} worker error: ${m.message}`);
          resolve(null);
        }
      });
      worker.on('error', (e) => {
        dbg?.(`range ${k} worker error: ${e.message}`);
        resolve(null);
      });
      worker.on('exit', () => resolve(null));
    });
    running.push(r);
  }

  let started = false;
  let stitched = 0;
  const start = (): void => {
    started = true;
    dbg?.(`workers get their ranges (main thread at byte ${mainBytes})`);
    running.forEach((r, i) => {
      const job: RangeJob = {
        path,
        displayName: name,
        start: bounds[i + 1]!,
        end: bounds[i + 2]!,
        last: i + 2 === bounds.length - 1,
        format: parser.format!,
        baseSeconds: ts.base!,
        quantum: s.quantum!,
        tscGhz: opts.tscGhz ?? null,
        repair: opts.repair !== false,
        fastLane: opts.fastLane !== false,
        chunkSize,
        isa: opts.isa ?? null,
        since: opts.since ?? null,
        until: opts.until ?? null,
        timeline: opts.timeline === true,
        headLimit: HEAD_LIMIT,
        deferLimit: DEFER_LIMIT,
      };
      r.worker.postMessage(job);
    });
  };
  const ready = () => parser.parallelSafe && s.quantum !== null && ts.base !== null;
  const stopAll = async () => {
    await Promise.all(running.map((r) => r.worker.terminate()));
  };

  try {
    // Range 0 in small chunks first, so the workers get their jobs soon.
    await readRange(
      path,
      0,
      bounds[1]!,
      chunkSize,
      (b) => {
        splitter.push(b);
        mainBytes += b.length;
        progress();
        if (!started && ready()) start();
      },
      Math.min(chunkSize, 64 << 10),
    );
    if (!started && ready()) start();
    dbg?.('range 0 read by the main thread');
    for (let k = 1; k < bounds.length - 1; k++) {
      const r = started ? await running[k - 1]!.result : null;
      dbg?.(`range ${k} [${bounds[k]}, ${bounds[k + 1]}): ${r === null ? (started ? 'worker failed' : 'workers not started') : (r.unusable ?? (s.canAbsorb(r) ? 'stitching' : 'row limits reached'))}`);
      if (r !== null && ready() && s.canAbsorb(r)) {
        s.absorb(r, parser.counts.lines);
        parser.skip(r.counts, new Map(r.eventCounts));
        ts.mergeState(r.ts);
        stitched++;
        dbg?.(`range ${k} stitched`);
      } else {
        await readRange(path, bounds[k]!, bounds[k + 1]!, chunkSize, (b) => {
          splitter.push(b);
          mainBytes += b.length;
          progress();
        });
      }
    }
  } finally {
    await stopAll();
  }
  final = true;
  splitter.end();
  parser.end();
  return {
    formats: [parser.format ?? 'ftrace'],
    counts: parser.counts,
    eventCounts: parser.eventCounts,
    ts,
    parallel: { ranges: bounds.length - 1, stitched },
  };
}
