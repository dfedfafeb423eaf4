/**
 * Worker threads started before the parallel path asks for them (issue #5).
 *
 * A worker thread takes ~0.1 s to boot Node and ~0.05 s more to load the pipeline's modules (measured on the
 * 2-core VM). Started by the driver, it began parsing ~0.45 s into a run, ~0.2 s after the main thread. The CLI
 * knows from its arguments, before it loads yargs and the pipeline, whether `analyze` will most likely split one
 * large file; it then starts the workers at once (`prewarmFor`), and they boot on the otherwise idle cores while the
 * main thread loads. The driver takes them (`takeWorker`), or starts new ones when none were started.
 *
 * The guess only decides *when* workers start, never *whether* the input is split: `planParallel` still decides
 * that. A worker started for nothing (the guess was wrong) is unreferenced, so it never keeps the process alive.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { hasTraceDatMagic, isGzip } from '../parse/magic.js';

/** Below 64 MiB a single thread finishes in about a second; starting workers is not worth it. */
export const PARALLEL_MIN_BYTES = 64 << 20;
/** At most this many threads: the merge is sequential, and memory grows with each worker's rows. */
const MAX_THREADS = 8;

export function workerUrl(): URL {
  // Under the test runner this module is TypeScript source; the worker runs the compiled build (npm test builds).
  return import.meta.url.endsWith('.ts') ? new URL('../../dist/parallel/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url);
}

/** Threads to use: the `--threads` value, else all cores, at most MAX_THREADS. */
export function threadsFor(requested: number | undefined): number {
  return Math.min(MAX_THREADS, requested ?? availableParallelism());
}

interface Spare {
  worker: Worker;
  /** Set when the worker died before it was taken (its events were heard by nobody else). */
  dead: boolean;
  /** Set when the worker said it has loaded (its `ready` message, heard by nobody else before it is taken). */
  ready: boolean;
  /** Remove this module's listeners (only those: `removeAllListeners` would also drop the ones Node's Worker keeps
   *  on itself to reference its message port while 'message' has listeners, and the driver then heard nothing). */
  off: () => void;
}

/** A worker for the driver, and whether it has already said it is ready (see worker.ts). */
export interface TakenWorker {
  worker: Worker;
  ready: boolean;
}

const spares: Spare[] = [];

/**
 * Start `n` workers now; they wait, unreferenced, for `takeWorker`. Resolves when each has said it is ready or has
 * died (the CLI does not wait; a test does, to know the driver will find them ready).
 */
export function prewarm(n: number): Promise<void> {
  const settled: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const worker = new Worker(workerUrl());
    // Until taken, an error or exit must neither crash the process (an 'error' event without listener throws)
    // nor go unnoticed (the driver would wait for a worker that is gone), and the `ready` message is remembered.
    let settle: () => void = () => undefined;
    settled.push(new Promise((resolve) => (settle = resolve)));
    const onMessage = (m: { type?: string }) => {
      if (m.type === 'ready') s.ready = true;
      settle();
    };
    const onGone = () => {
      s.dead = true;
      settle();
    };
    const s: Spare = {
      worker,
      dead: false,
      ready: false,
      off: () => worker.off('message', onMessage).off('error', onGone).off('exit', onGone),
    };
    worker.on('message', onMessage).on('error', onGone).on('exit', onGone);
    worker.unref();
    spares.push(s);
  }
  return Promise.all(settled).then(() => undefined);
}

/**
 * A started worker if one is waiting and alive, else a new one; referenced (it keeps the process alive). The caller
 * adds its listeners at once (in the same task), so no message after `ready` is missed.
 */
export function takeWorker(): TakenWorker {
  for (let s = spares.shift(); s !== undefined; s = spares.shift()) {
    if (s.dead) continue;
    s.off();
    s.worker.ref();
    return { worker: s.worker, ready: s.ready };
  }
  return { worker: new Worker(workerUrl()), ready: false };
}

/** Start the workers `workersToPrewarm` asks for (the CLI, before it loads anything else). */
export function prewarmFor(args: readonly string[]): void {
  void prewarm(workersToPrewarm(args));
}

/**
 * The CLI's guess, from `analyze`'s raw arguments, whether the run will split one large file: exactly one
 * argument names an existing regular file, uncompressed, not trace.dat, of at least PARALLEL_MIN_BYTES; no
 * `--threads 1`, no vCPU or PID filter, no stdin. Then threads−1 workers, else 0. Reads `stat` and 16 bytes only.
 */
export function workersToPrewarm(args: readonly string[]): number {
  let threads: number | undefined;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--threads' || a.startsWith('--threads=')) {
      const v = Number(a === '--threads' ? args[i + 1] : a.slice('--threads='.length));
      if (!Number.isInteger(v) || v < 1) return 0;
      threads = v;
      if (a === '--threads') i++;
    } else if (a === '-' || a.startsWith('--vcpu') || a.startsWith('--pid')) {
      return 0;
    } else if (!a.startsWith('-')) {
      files.push(a);
    }
  }
  const n = threadsFor(threads);
  if (n < 2) return 0;
  // Arguments that name existing regular files (option values such as a model name do not; an existing --html
  // target or model file makes two, and the guess says no).
  const existing: { path: string; size: number }[] = [];
  for (const f of files) {
    try {
      const st = statSync(f);
      if (st.isFile()) existing.push({ path: f, size: st.size });
    } catch {
      // not a file: an option's value, or a file the analysis will report as missing
    }
  }
  if (existing.length !== 1 || existing[0]!.size < PARALLEL_MIN_BYTES) return 0;
  const head = new Uint8Array(16);
  try {
    const fd = openSync(existing[0]!.path, 'r');
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
  return isGzip(head) || hasTraceDatMagic(head) ? 0 : n - 1;
}
