/**
 * Exit rate over time, per class and per vCPU thread (the HTML report's timeline and heatmap), collected in the same
 * single pass as everything else through `analyzeFiles`' `onUnit` callback.
 *
 * Memory is bounded whatever the trace length: a fixed number of bins (`TIMELINE_BINS`) per key. The first unit
 * anchors bin 0 with a width of one time unit; when a unit falls past the last bin, neighbouring bins are merged
 * pairwise and the width doubles (the classic "coarsen by powers of two" scheme of streaming histograms, e.g.
 * HdrHistogram's auto-resize and the fixed-bucket `perf` timecharts), so the final plot keeps between half and all
 * of the bins. A unit earlier than bin 0 (inputs are only nearly ordered: per-CPU buffers merged, several files)
 * shifts the bins right, coarsening first if they do not fit. Counts are exact integers in doubles.
 *
 * Classes are recorded as the pipeline first labels them and relabelled at the end exactly as the summary does
 * (`unknownWithoutUserspaceExits` when the trace held no kvm_userspace_exit), so names match `mechanisms[]`.
 */
import type { Timeline } from '../model/analysis.js';
import type { ClassName } from '../model/classes.js';
import { NO_TS } from '../model/events.js';
import { unknownWithoutUserspaceExits } from '../classify/classify.js';
import type { AccessGroup } from '../pair/accesses.js';
import type { RoundTrip, ThreadInfo } from '../pair/round-trips.js';
import { threadLabel, type ClassifiedUnit } from './summarize.js';

/** Bins per key: 256 gives 128–256 bins after coarsening, about one per 4–8 px of a 1000 px wide plot. */
export const TIMELINE_BINS = 256;
/** vCPU threads kept as heatmap rows; beyond ~128 rows a heatmap is unreadable, the rest is merged into one row. */
export const TIMELINE_THREADS = 128;

const OTHER_THREADS = '(other threads)';

interface ThreadSeries {
  info: ThreadInfo;
  counts: Float64Array;
}

export class TimelineCollector {
  private origin: number | null = null;
  private width = 1;
  /** Highest bin index holding a count (−1: none). */
  private hi = -1;
  private maxTs = Number.NEGATIVE_INFINITY;
  private readonly classes = new Map<string, Float64Array>();
  private readonly threads = new Map<string, ThreadSeries>();
  private untimed = 0;

  constructor(private readonly bins: number = TIMELINE_BINS) {
    if (!Number.isInteger(bins) || bins < 2 || bins % 2 !== 0) throw new RangeError('timeline bins must be an even integer ≥ 2');
  }

  /** Use as (or inside) `AnalyzeOptions.onUnit`. */
  readonly onUnit = (u: ClassifiedUnit, source: RoundTrip | AccessGroup): void => {
    const ts = 'exit' in source ? source.exit.ts : (source.children[0]?.ts ?? NO_TS);
    this.add(ts, u.cls, u.thread);
  };

  /** Count one unit at time `ts` (time unit, rebased; `NO_TS` = untimed). */
  add(ts: number, cls: string, thread: ThreadInfo): void {
    if (ts === NO_TS || !Number.isFinite(ts)) {
      this.untimed++;
      return;
    }
    const i = this.binOf(ts);
    if (ts > this.maxTs) this.maxTs = ts;
    this.series(this.classes, cls)[i]! += 1;
    this.threadSeries(thread)[i]! += 1;
    if (i > this.hi) this.hi = i;
  }

  private binOf(ts: number): number {
    if (this.origin === null) this.origin = ts;
    for (;;) {
      const i = Math.floor((ts - this.origin) / this.width);
      if (i >= 0 && i < this.bins) return i;
      if (i >= this.bins) {
        this.coarsen();
        continue;
      }
      const need = -i;
      if (this.hi + need < this.bins) this.shift(need);
      else this.coarsen();
    }
  }

  /** Merge neighbours (2k, 2k+1) into bin k; the width doubles, bin 0 keeps its start. */
  private coarsen(): void {
    const half = this.bins / 2;
    const merge = (a: Float64Array) => {
      for (let k = 0; k < half; k++) a[k] = a[2 * k]! + a[2 * k + 1]!;
      a.fill(0, half);
    };
    for (const a of this.classes.values()) merge(a);
    for (const t of this.threads.values()) merge(t.counts);
    this.width *= 2;
    if (this.hi >= 0) this.hi = Math.floor(this.hi / 2);
  }

  /** Move every bin `n` places right so that bin 0 starts `n` widths earlier. */
  private shift(n: number): void {
    const move = (a: Float64Array) => {
      a.copyWithin(n, 0, this.bins - n);
      a.fill(0, 0, n);
    };
    for (const a of this.classes.values()) move(a);
    for (const t of this.threads.values()) move(t.counts);
    this.origin = (this.origin ?? 0) - n * this.width;
    if (this.hi >= 0) this.hi += n;
  }

  private series(m: Map<string, Float64Array>, k: string): Float64Array {
    let a = m.get(k);
    if (a === undefined) {
      a = new Float64Array(this.bins);
      m.set(k, a);
    }
    return a;
  }

  private threadSeries(info: ThreadInfo): Float64Array {
    let t = this.threads.get(info.key);
    if (t === undefined) {
      if (this.threads.size >= TIMELINE_THREADS) {
        t = this.threads.get(OTHER_THREADS);
        if (t === undefined) {
          t = {
            info: { key: OTHER_THREADS, comm: OTHER_THREADS, tid: -1, vcpu: -1, instance: '\uffff' },
            counts: new Float64Array(this.bins),
          };
          this.threads.set(OTHER_THREADS, t);
        }
      } else {
        t = { info, counts: new Float64Array(this.bins) };
        this.threads.set(info.key, t);
      }
    }
    return t.counts;
  }

  /**
   * The timeline section. `relabelUnknown`: the run's flag (provisional "-kernel" classes become "-unknown").
   * `firstTs`: the input's earliest timestamp on the same scale (`AnalysisRun.firstTs`); times are given relative
   * to it. `minBinNs`: the timestamp resolution; bins narrower than one timestamp step would only split
   * simultaneous units apart, so they are merged until at least that wide. `null` when no unit had a timestamp.
   */
  finish(relabelUnknown: boolean, firstTs = 0, minBinNs = 1): Timeline | null {
    const zero = Number.isFinite(firstTs) ? firstTs : 0;
    while (this.width < minBinNs) this.coarsen();
    if (this.origin === null || this.hi < 0) return null;
    const n = this.hi + 1;
    const classes = new Map<string, number[]>();
    for (const [k, a] of this.classes) {
      const name = relabelUnknown ? unknownWithoutUserspaceExits(k as ClassName) : k;
      const into = classes.get(name) ?? new Array<number>(n).fill(0);
      for (let i = 0; i < n; i++) into[i]! += a[i]!;
      classes.set(name, into);
    }
    const sum = (c: number[]) => c.reduce((s, x) => s + x, 0);
    const threads = [...this.threads.values()]
      .sort((a, b) =>
        a.info.instance < b.info.instance ? -1 : a.info.instance > b.info.instance ? 1 : a.info.vcpu - b.info.vcpu || a.info.tid - b.info.tid,
      )
      .map((t) => ({
        thread: t.info.key === OTHER_THREADS ? OTHER_THREADS : threadLabel(t.info),
        vcpu: t.info.vcpu,
        counts: Array.from(t.counts.subarray(0, n)),
      }));
    return {
      startNs: this.origin - zero,
      binNs: this.width,
      endNs: this.maxTs - zero,
      classes: [...classes.entries()]
        .map(([mechanism, counts]) => ({ mechanism, counts }))
        .sort((a, b) => sum(b.counts) - sum(a.counts) || (a.mechanism < b.mechanism ? -1 : 1)),
      threads,
      untimed: this.untimed,
    };
  }
}
