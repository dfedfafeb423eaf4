/**
 * The parallel path for one large text trace: byte ranges parsed by worker threads, stitched by the main thread.
 *
 *   1. Plan: a regular, uncompressed text file of at least `parallelMinBytes` is read with `threads` threads.
 *      Range 0 is the whole file (tests may fix the ranges instead: `splitAt`, each boundary moved to the start of
 *      the next line).
 *   2. Workers start loading at once (./pool.ts) and say when they are ready. The main thread reads range 0 itself,
 *      exactly as the single pass does (format sniffing, pasted-text repair decision, time base, first round
 *      trips). As soon as the format is fixed, the time base and the sample quantum are known and the input needs
 *      no state-carrying stage (repair, multi-file prefixes), each ready worker — and each one that becomes ready
 *      later — takes its share of what the main thread has not read yet (`idle`: 1/(k + 1) for k workers without
 *      a range), cut at a line start, with those facts (`RangeJob`). So the split follows when the workers really
 *      start: a fixed split had to guess it (range 0 was given a fixed 8 MiB lead), and on the 2-core VM the main
 *      thread then ended its range 0.02-0.4 s before the worker. Interleaved runs of the 10M-line trace, 10 pairs:
 *      −84 ms median against the fixed split.
 *   3. Each worker pairs, classifies and summarizes its range with a session in worker mode: events of a vCPU thread
 *      before the thread's first usable kvm_exit in the range (its "head", see pair/round-trips.ts) are kept for
 *      the main thread, and round trips whose class needs the whole input's ISA hint are deferred.
 *   4. Work stealing: a thread that has finished its range (a worker, or the main thread after range 0) takes the
 *      tail (a little less than half) of the unread part of the range with most left, cut at a line start (./ranges.ts
 *      `RangeReader.split`), while at least `stealMinBytes` are left. That becomes a new range, read by the worker
 *      or, on the main thread, by a second session in worker mode. So the threads end within a chunk or two of each
 *      other whatever the noise of a shared machine.
 *   5. The main thread takes the ranges in order: replays each head on its own pairer (the round trips that cross
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
import { stat } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import type { AnalyzeOptions, Session } from '../analyze.js';
import type { Diagnostics } from '../model/diagnostics.js';
import { linesInto, looksBinary, type ParseSummary } from '../parse/index.js';
import { DEFAULT_CHUNK_SIZE, hasTraceDatMagic, isGzip, readHead } from '../parse/input.js';
import { LineSplitter } from '../parse/lines.js';
import { TextParser } from '../parse/text-parser.js';
import { TimestampParser } from '../parse/timestamps.js';
import type { FormatName } from '../parse/types.js';
import { PARALLEL_MIN_BYTES, takeWorker, threadsFor } from './pool.js';
import { nextLineStart, RangeReader, runRange, type SplitShare } from './ranges.js';
import type { FromWorker, RangeJob, RangeResult, ToWorker } from './types.js';

/**
 * Head events per range before the range is given up: a vCPU thread normally syncs within its first round trip;
 * 2^18 events (~100 MiB of posted objects at worst) bounds memory when a thread never exits in a range.
 */
const HEAD_LIMIT = 1 << 18;
/** Deferred round trips per range (exit reasons that name no ISA, e.g. `UNKNOWN (74)`): same bound. */
const DEFER_LIMIT = 1 << 16;
/**
 * A range is split for a thread that has run out of work only while at least this much of it is unread. A thread's
 * second range is slow to start: its new session's first megabytes run while V8 re-optimizes the hot functions for
 * the new objects (measured on the 2-core VM: 10-18 MB ranges took 0.16-0.17 s, 0.08-0.1 s more than at full
 * speed, on the worker and on the main thread alike: some 20-30 MB of parsing). So the taker gets less than half
 * (ranges.ts `RangeReader.split`: the owner keeps half of what is left plus minSplit / 4, ≥ 16 MiB go), and both end about
 * together. Halving from 16 MiB cost more than it saved (interleaved runs of the 10M-line trace: +54 ms median
 * against no stealing), and splits from 32 MiB ended both threads together but no sooner; from 64 MiB a thread
 * slowed by a noisy neighbour (the two threads' ends differed by up to 0.5 s in such runs) gets part of it back.
 * Since then the second session deoptimizes less (no per-session closures at the hot call sites, slot arrays in
 * their final elements kind: 12-15 → 9-11 deoptimizations; a 20 MB second range 181 → 150 ms, the fourth 132-135
 * ms, medians of 8 interleaved processes); whether a lower minimum now pays was not measured (a gain of some tens
 * of ms needs more interleaved runs than the noisy host allowed).
 */
export const STEAL_MIN_BYTES = 64 << 20;

export interface ParallelPlan {
  path: string;
  /**
   * Range starts (0 first) and the file size last, when `splitAt` fixed the ranges. Else [0, size]: range 0 is the
   * whole file, and each worker takes its first range from it when it is ready (see the header, step 2).
   */
  bounds: number[];
  /** Worker threads to use. */
  workers: number;
}

/** Decide whether (and where) to split; null means the single pass. */
export async function planParallel(paths: readonly string[], opts: AnalyzeOptions): Promise<ParallelPlan | null> {
  const threads = threadsFor(opts.threads);
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
  if (opts.splitAt === undefined) return { path, bounds: [0, size], workers: threads - 1 };
  const bounds = [0];
  for (const p of [...opts.splitAt].sort((a, b) => a - b)) {
    if (p <= 0 || p >= size) continue;
    const b = nextLineStart(path, p, size);
    if (b > bounds[bounds.length - 1]! && b < size) bounds.push(b);
  }
  if (bounds.length < 2) return null;
  bounds.push(size);
  return { path, bounds, workers: bounds.length - 2 };
}

/** One byte range of the parallel path (ranges only ever split: their starts stay sorted). */
interface Range {
  id: number;
  start: number;
  /** Moves down when the range is split. */
  end: number;
  /** Read on this thread (range 0 in order, or a stolen range in worker mode). */
  reader: RangeReader | null;
  /** Read by this worker. */
  thread: Thread | null;
  /** Bytes read so far (a worker's last progress message). */
  bytes: number;
  done: boolean;
  /** A split of this range has been asked for and not answered yet. */
  splitting: boolean;
  /** It refused a split (too little left): not asked again. */
  exhausted: boolean;
  /** The worker-mode result (null: read it in order on the main thread); unset for range 0. */
  result: Promise<RangeResult | null>;
  settle: (r: RangeResult | null) => void;
}

interface Thread {
  worker: Worker;
  /** It has said it loaded (worker.ts `ready`). */
  ready: boolean;
  /** It has had no range yet (its first is a share of range 0: `idle`). */
  fresh: boolean;
  range: Range | null;
  /** Exited, or failed a range: given no more work. */
  dead: boolean;
  /** The answer to a split asked of this worker, by range id. */
  splits: Map<number, (at: number | null) => void>;
}

/** Parse one file with workers (see the header); returns what `parseInputs` returns. */
export async function parseParallel(plan: ParallelPlan, name: string, s: Session, opts: AnalyzeOptions): Promise<ParseSummary> {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const minSplit = opts.stealMinBytes ?? STEAL_MIN_BYTES;
  const { path, bounds } = plan;
  const fileSize = bounds[bounds.length - 1]!;
  const diag: Diagnostics = s.diag;
  const ts = new TimestampParser(opts.tscGhz ?? null);
  s.bindTimestamps(ts);
  opts.onTimestamps?.(ts);
  const forced: FormatName | null = opts.format !== undefined && opts.format !== 'auto' && opts.format !== 'trace-dat' ? opts.format : null;
  const parser = new TextParser(0, name, diag, ts, s.sink, forced, opts.repair !== false);
  let final = false;
  const splitter = new LineSplitter(linesInto(parser, 0, ts, diag, opts.fastLane !== false, () => final));

  // EXITLENS_DEBUG_PARALLEL=1: stderr lines saying when each range was started, split, finished and how it was handled.
  const dbg = process.env.EXITLENS_DEBUG_PARALLEL ? (m: string) => process.stderr.write(`exitlens: ${(performance.now() / 1000).toFixed(3)} s ${m}\n`) : null;

  /** The ranges in file order (a split inserts the new range after the one it came from). */
  const ranges: Range[] = [];
  /** The ranges by id (the order they were made in). */
  const byId: Range[] = [];
  const newRange = (start: number, end: number): Range => {
    let settle: (r: RangeResult | null) => void = () => undefined;
    const result = new Promise<RangeResult | null>((resolve) => (settle = resolve));
    const r: Range = { id: byId.length, start, end, reader: null, thread: null, bytes: 0, done: false, splitting: false, exhausted: false, result, settle };
    byId.push(r);
    return r;
  };
  for (let k = 0; k + 1 < bounds.length; k++) ranges.push(newRange(bounds[k]!, bounds[k + 1]!));
  const first = ranges[0]!;
  first.reader = new RangeReader(path, 0, first.end, chunkSize, minSplit, Math.min(chunkSize, 64 << 10));
  let mainBytes = 0;
  const progress = () => opts.onProgress?.(mainBytes + ranges.reduce((t, r) => t + (r === first ? 0 : r.bytes), 0));
  const finish = (r: Range, res: RangeResult | null, how: string) => {
    r.done = true;
    dbg?.(`range ${r.id} [${r.start}, ${r.end}) ${how}`);
    r.settle(res);
  };

  const jobOf = (r: Range): RangeJob => ({
    id: r.id,
    path,
    displayName: name,
    start: r.start,
    end: r.end,
    fileSize,
    minSplit,
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
  });

  // Work stealing (header, step 4).
  const leftOf = (r: Range): number => (r.done ? 0 : r.reader !== null ? r.reader.remaining : r.thread !== null ? r.end - r.start - r.bytes : 0);
  /** A worker's answer to a split of the range it reads (ranges.ts `RangeReader.split`). */
  const splitRemote = (r: Range, share: SplitShare | undefined): Promise<number | null> => {
    const t = r.thread;
    if (t === null || t.dead) return Promise.resolve(null);
    return new Promise((resolve) => {
      t.splits.set(r.id, resolve);
      t.worker.postMessage({ type: 'split', id: r.id, ...(share !== undefined ? { share } : {}) } satisfies ToWorker);
    });
  };
  /** The range with most left (at least `min`) that is not being split and did not refuse before. */
  const victimOf = (min: number): Range | null => {
    let victim: Range | null = null;
    let most = min - 1;
    for (const r of ranges) {
      const left = r.splitting || r.exhausted ? 0 : leftOf(r);
      if (left > most) {
        most = left;
        victim = r;
      }
    }
    return victim;
  };
  /** Take the answer to a split of `victim`, which ended at `oldEnd`: the new range, or null (then not asked again). */
  const carve = (victim: Range, oldEnd: number, at: number | null): Range | null => {
    if (at === null || at <= victim.start || at >= oldEnd) {
      dbg?.(`range ${victim.id} not split (${Math.round(leftOf(victim) / 1024)} KiB left)`);
      victim.exhausted = true;
      return null;
    }
    victim.end = at;
    const r = newRange(at, oldEnd);
    ranges.splice(ranges.indexOf(victim) + 1, 0, r);
    dbg?.(`range ${victim.id} split at ${at}: range ${r.id} [${at}, ${oldEnd})`);
    return r;
  };
  /** A split of `victim`, read on this thread (`reader`): decided at once. */
  const splitHere = (victim: Range, reader: RangeReader, share: SplitShare | undefined): Range | null =>
    carve(victim, victim.end, reader.split(share));
  /** A split of the range with most left, if it is read on this thread. */
  const stealLocal = (share: SplitShare | undefined): Range | null => {
    const victim = victimOf(share?.min ?? minSplit);
    return victim !== null && victim.reader !== null ? splitHere(victim, victim.reader, share) : null;
  };
  /**
   * Split the range with most left; the new range (not yet read by anyone), or null when none has enough. `share`:
   * the taker's share (default: a little less than half, ranges.ts `RangeReader.split`). One split at a time: two
   * threads asking a worker at once would each see the other's victim as taken.
   */
  let stealing: Promise<unknown> = Promise.resolve();
  const steal = (share?: SplitShare): Promise<Range | null> => {
    const next = stealing.then(async () => {
      for (;;) {
        const victim = victimOf(share?.min ?? minSplit);
        if (victim === null) return null;
        let r: Range | null;
        if (victim.reader !== null) {
          r = splitHere(victim, victim.reader, share);
        } else {
          const oldEnd = victim.end;
          victim.splitting = true;
          const at = await splitRemote(victim, share);
          victim.splitting = false;
          r = carve(victim, oldEnd, at);
        }
        if (r !== null) return r;
      }
    });
    stealing = next.catch(() => null);
    return next;
  };

  const threads: Thread[] = [];
  const assign = (t: Thread, r: Range): void => {
    t.fresh = false;
    t.range = r;
    r.thread = t;
    dbg?.(`range ${r.id} [${r.start}, ${r.end}) to worker ${threads.indexOf(t) + 1}`);
    t.worker.postMessage({ type: 'job', job: jobOf(r) } satisfies ToWorker);
  };
  let stopping = false;
  /**
   * A worker with nothing to do takes part of the range with most left, if any. Its first range is its share of
   * what is left when it is ready: 1/(k + 1) of the range with most left (range 0, at first) for the k workers that
   * have no range yet, so that range and theirs end about together; at least a quarter of the steal minimum
   * (STEAL_MIN_BYTES: a new session is slow for its first megabytes).
   */
  const idle = async (t: Thread): Promise<void> => {
    if (stopping || t.dead) return;
    const share = t.fresh ? { taker: 1 / (1 + threads.filter((o) => o.fresh && !o.dead).length), min: minSplit / 4 } : undefined;
    t.fresh = false;
    // A first range cut from one this thread reads (range 0) is handed out in this task, not after a steal's turns.
    const r = (share !== undefined ? stealLocal(share) : null) ?? (await steal(share));
    if (r === null) return;
    if (t.dead || stopping) finish(r, null, 'taken for a worker that failed meanwhile: read by the main thread');
    else assign(t, r);
  };
  const lost = (t: Thread, why: string): void => {
    if (t.dead) return;
    t.dead = true;
    if (t.range !== null && !t.range.done) finish(t.range, null, `worker failed (${why})`);
    t.range = null;
    for (const answer of t.splits.values()) answer(null);
    t.splits.clear();
  };
  /** Fixed ranges (`splitAt`): worker k reads range k. Else each worker's first range is its share of range 0. */
  const fixed = bounds.length > 2;
  for (let k = 0; k < plan.workers; k++) {
    const { worker, ready } = takeWorker();
    const t: Thread = { worker, ready, fresh: true, range: null, dead: false, splits: new Map() };
    t.worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        t.ready = true;
        if (started && !fixed) void idle(t);
        return;
      }
      const r = byId[m.id];
      if (m.type === 'progress') {
        if (r !== undefined) r.bytes = m.bytes;
        progress();
      } else if (m.type === 'split') {
        t.splits.get(m.id)?.(m.at);
        t.splits.delete(m.id);
      } else if (m.type === 'result') {
        t.range = null;
        if (r !== undefined) finish(r, m.result, 'posted by its worker');
        void idle(t);
      } else {
        lost(t, m.message);
      }
    });
    t.worker.on('error', (e) => lost(t, e.message));
    t.worker.on('exit', () => lost(t, 'exited'));
    threads.push(t);
  }

  let started = false;
  const start = (): void => {
    started = true;
    dbg?.(`workers may start (main thread at line ${parser.counts.lines}; ${threads.filter((t) => t.ready).length} of ${threads.length} ready)`);
    if (fixed) threads.forEach((t, i) => assign(t, ranges[i + 1]!));
    else for (const t of threads) if (t.ready) void idle(t);
  };
  const ready = () => parser.parallelSafe && s.quantum !== null && ts.base !== null;
  // While range 0 is read (afterwards, a main thread that never started the workers reads every range itself).
  parser.onDecided = () => {
    if (!started && ready()) start();
  };

  let stitched = 0;
  try {
    await first.reader.read(
      (b) => {
        splitter.push(b);
        mainBytes += b.length;
        progress();
        if (!started && ready()) start();
      },
      (size) => splitter.areas(size),
    );
    first.done = true;
    parser.onDecided = null;
    if (!started && ready()) start();
    dbg?.(`range 0 [0, ${first.end}) read by the main thread`);
    // The main thread, too, takes halves of the ranges with most left, and reads them in worker mode.
    for (let r = started ? await steal() : null; r !== null; r = await steal()) {
      const reader = new RangeReader(path, r.start, r.end, chunkSize, minSplit);
      r.reader = reader;
      dbg?.(`range ${r.id} [${r.start}, ${r.end}) to the main thread`);
      const range = r;
      const res = await runRange(jobOf(range), reader, (read) => {
        range.bytes = read;
        progress();
      }).catch((e: unknown) => {
        dbg?.(`range ${range.id} failed on the main thread: ${(e as Error).message}`);
        return null;
      });
      finish(range, res, 'read in worker mode by the main thread');
    }
    // Stitch in file order (header, step 5). A worker may still split the range being waited for: the new range
    // goes right after it in `ranges`, so the index walk reaches it.
    for (let i = 1; i < ranges.length; i++) {
      const r = ranges[i]!;
      const res = started ? await r.result : null;
      dbg?.(`range ${r.id} [${r.start}, ${r.end}): ${res === null ? (started ? 'worker failed' : 'workers not started') : (res.unusable ?? (s.canAbsorb(res) ? 'stitching' : 'row limits reached'))}`);
      if (res !== null && ready() && s.canAbsorb(res)) {
        s.absorb(res, parser.counts.lines);
        parser.skip(res.counts, new Map(res.eventCounts));
        ts.mergeState(res.ts);
        stitched++;
      } else {
        await new RangeReader(path, r.start, r.end, chunkSize, Infinity).read((b) => {
          splitter.push(b);
          mainBytes += b.length;
          progress();
        });
      }
    }
    dbg?.('ranges stitched');
  } finally {
    stopping = true;
    // Not awaited (~10 ms at the end of a run): an unreferenced worker never keeps the process alive.
    for (const t of threads) {
      t.worker.unref();
      void t.worker.terminate();
    }
  }
  final = true;
  splitter.end();
  parser.end();
  return {
    formats: [parser.format ?? 'ftrace'],
    counts: parser.counts,
    eventCounts: parser.eventCounts,
    ts,
    parallel: { ranges: ranges.length, stitched },
  };
}
