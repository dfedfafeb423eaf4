/**
 * The messages between the main thread and the worker threads of the parallel path (see ./driver.ts). Everything is
 * plain data (structured clone): class instances travel as their `toState()` form.
 */
import type { DiagnosticsState } from '../model/diagnostics.js';
import type { KvmExit, TraceEvent } from '../model/events.js';
import type { FormatName } from '../parse/types.js';
import type { LineCounts } from '../parse/text-parser.js';
import type { TimestampState } from '../parse/timestamps.js';
import type { HeadItem, PairCounts, ThreadEnd } from '../pair/round-trips.js';
import type { SummarizerState } from '../stats/summarize.js';
import type { SplitShare } from './ranges.js';
import type { TimelineState } from '../stats/timeline.js';

/** What a worker needs to read its range exactly as the single pass would. */
export interface RangeJob {
  /** Names the range in the messages about it. */
  id: number;
  path: string;
  displayName: string;
  start: number;
  end: number;
  /** A range that ends the file may end in a line without newline (a truncated capture). */
  fileSize: number;
  /** Work stealing: the reader gives away part of its unread bytes only when at least this many are left. */
  minSplit: number;
  format: FormatName;
  /** The main thread's time base (whole seconds of the first timestamp) and sample quantum (ns). */
  baseSeconds: number;
  quantum: number;
  tscGhz: number | null;
  repair: boolean;
  fastLane: boolean;
  chunkSize: number;
  isa: string | null;
  since: string | null;
  until: string | null;
  timeline: boolean;
  /** Events kept aside for the main thread beyond which the range is given up (re-read by the main thread). */
  headLimit: number;
  deferLimit: number;
}

/** A round trip whose class needs the ISA hint of the whole input (an exit reason that names no ISA). */
export interface DeferredTrip {
  threadKey: string;
  exit: KvmExit;
  children: readonly TraceEvent[];
  durNs: number | null;
  kernelNs: number | null;
  vmmNs: number | null;
  votes: number[];
}

export interface RangeResult {
  /** Why the range cannot be stitched (the main thread then reads it itself); null when it can. */
  unusable: string | null;
  counts: LineCounts;
  eventCounts: [string, number][];
  ts: TimestampState;
  diagnostics: DiagnosticsState;
  head: HeadItem[];
  ends: ThreadEnd[];
  pairCounts: PairCounts;
  summary: SummarizerState;
  timeline: TimelineState | null;
  deferred: DeferredTrip[];
  votes: number[];
  userspaceExits: number;
  sawExitOrEntry: boolean;
  filtered: number;
  classified: number;
}

export type ToWorker =
  | { type: 'job'; job: RangeJob }
  /** Give away the tail of the unread part of range `id` (answered by a `split` message); `share`: how much. */
  | { type: 'split'; id: number; share?: SplitShare };

export type FromWorker =
  /** Posted once, when the worker has loaded the pipeline and waits for work. */
  | { type: 'ready' }
  | { type: 'progress'; id: number; bytes: number }
  | { type: 'result'; id: number; result: RangeResult }
  /** The range now ends at `at`, and [at, its old end) is the main thread's to hand out; null: nothing given. */
  | { type: 'split'; id: number; at: number | null }
  | { type: 'error'; id: number; message: string };
