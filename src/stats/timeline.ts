/**
 * Exit rate over time, per class and per vCPU thread (the HTML report's timeline and heatmap), collected in the same
 * single pass as everything else through `analyzeFiles`' `onUnit` callback.
 *
 * Memory is bounded whatever the trace length: a fixed number of bins (`TIMELINE_BINS`) per key, on a grid aligned to
 * multiples of the bin width (a power of two of the time unit): bin edges are k·width, and the width is the smallest
 * power of two for which the units' first and last times fall within `TIMELINE_BINS` bins. When a unit falls outside,
 * neighbouring bins are merged pairwise and the width doubles (the "coarsen by powers of two" scheme of streaming
 * histograms, e.g. HdrHistogram's auto-resize and `perf`'s fixed-bucket timecharts), so the plot keeps between half
 * and all of the bins. Because the grid is absolute, the result depends only on the set of units, not on the
 * order they arrived in: worker threads' timelines merge exactly (`merge`). Counts are exact integers in doubles.
 * Up to `TIMELINE_THREAD_STORE` threads are kept; the report shows the `TIMELINE_THREADS` busiest and merges the rest.
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
/** vCPU threads shown as heatmap rows; beyond ~128 rows a heatmap is unreadable, the rest is merged into one row. */
export const TIMELINE_THREADS = 128;
/** Threads stored (2 KiB each): as many as the summary's thread rows (summarize.ts MAX_THREADS). */
export const TIMELINE_THREAD_STORE = 1024;

const OTHER_THREADS = '(other threads)';
/** Slots of `add`'s class and thread caches. */
const CACHE_SLOTS = 64;

/**
 * The class cache slot of a class name: a different one for every class name (test/stats/timeline.test.ts checks
 * ALL_CLASSES). The first version hashed the length and the first letter only, and `hlt` and `apic`, the two most
 * frequent classes of a busy trace, shared a slot: every other round trip looked its series up in the Map.
 */
export function classSlot(cls: string): number {
  return (cls.length * 7 + cls.charCodeAt(0) + cls.charCodeAt(cls.length - 1) * 4) & (CACHE_SLOTS - 1);
}

interface ThreadSeries {
  info: ThreadInfo;
  counts: Float64Array;
}

/** A timeline as plain data (worker threads post it). */
export interface TimelineState {
  bins: number;
  width: number;
  lo: number;
  minTs: number;
  maxTs: number;
  classes: [string, Float64Array][];
  threads: [string, ThreadInfo, Float64Array][];
  untimed: number;
  overflowed: boolean;
}

export class TimelineCollector {
  private width = 1;
  /** 1 / width, exact (the width is a power of two): `add` multiplies by it instead of dividing per round trip. */
  private perWidth = 1;
  /** Absolute grid index (floor(ts / width)) of array slot 0: always floor(minTs / width). */
  private lo = 0;
  private minTs = Number.POSITIVE_INFINITY;
  private maxTs = Number.NEGATIVE_INFINITY;
  private readonly classes = new Map<string, Float64Array>();
  private readonly threads = new Map<string, ThreadSeries>();
  private untimed = 0;
  /** More threads than the store holds arrived; the extra ones went to one row (which ones depends on order). */
  overflowed = false;

  constructor(private readonly bins: number = TIMELINE_BINS) {
    if (!Number.isInteger(bins) || bins < 2 || bins % 2 !== 0) throw new RangeError('timeline bins must be an even integer ≥ 2');
  }

  /** Use as (or inside) `AnalyzeOptions.onUnit`. */
  readonly onUnit = (u: ClassifiedUnit, source: RoundTrip | AccessGroup): void => {
    const ts = 'exit' in source ? source.exit.ts : source.ts;
    this.add(ts, u.cls, u.thread);
  };

  /** Count one unit at time `ts` (time unit, rebased; `NO_TS` = untimed). */
  add(ts: number, cls: string, thread: ThreadInfo, n = 1): void {
    let i: number;
    if (ts >= this.minTs && ts < Number.POSITIVE_INFINITY && (i = Math.floor(ts * this.perWidth) - this.lo) < this.bins) {
      // The common case (times grow, the grid has room): what `cover` does then, without its general steps.
      if (ts > this.maxTs) this.maxTs = ts;
    } else {
      if (ts === NO_TS || !Number.isFinite(ts)) {
        this.untimed += n;
        return;
      }
      this.cover(ts, ts);
      i = Math.floor(ts / this.width) - this.lo;
    }
    // Small direct-mapped caches in front of the two maps (a string-keyed Map lookup per round trip showed in a
    // profile): a series array is never replaced once made, only updated in place.
    const cs = classSlot(cls);
    let ca = this.clsArr[cs];
    if (this.clsKey[cs] !== cls || ca === undefined) {
      ca = this.series(this.classes, cls);
      this.clsKey[cs] = cls;
      this.clsArr[cs] = ca;
    }
    ca[i]! += n;
    const ts2 = thread.tid & (CACHE_SLOTS - 1);
    let ta = this.thrArr[ts2];
    if (this.thrKey[ts2] !== thread || ta === undefined) {
      ta = this.threadSeries(thread);
      this.thrKey[ts2] = thread;
      this.thrArr[ts2] = ta;
    }
    ta[i]! += n;
  }

  private readonly clsKey: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS);
  private readonly clsArr: (Float64Array | undefined)[] = new Array<Float64Array | undefined>(CACHE_SLOTS);
  private readonly thrKey: (ThreadInfo | undefined)[] = new Array<ThreadInfo | undefined>(CACHE_SLOTS);
  private readonly thrArr: (Float64Array | undefined)[] = new Array<Float64Array | undefined>(CACHE_SLOTS);

  /** Make the grid cover [a, b]: coarsen until the span fits, then move slot 0 to floor(min / width). */
  private cover(a: number, b: number): void {
    const min = Math.min(this.minTs, a);
    const max = Math.max(this.maxTs, b);
    if (min === this.minTs && max === this.maxTs) return;
    const empty = this.minTs === Number.POSITIVE_INFINITY;
    while (Math.floor(max / this.width) - Math.floor(min / this.width) + 1 > this.bins) this.coarsen();
    const lo = Math.floor(min / this.width);
    if (!empty && lo !== this.lo) this.shift(this.lo - lo);
    this.lo = lo;
    this.minTs = min;
    this.maxTs = max;
  }

  /** Merge neighbours on the grid: slot i (absolute lo+i) goes to absolute floor((lo+i)/2); the width doubles. */
  private coarsen(): void {
    const lo2 = Math.floor(this.lo / 2);
    const merge = (a: Float64Array) => {
      const out = new Float64Array(this.bins);
      for (let i = 0; i < this.bins; i++) if (a[i] !== 0) out[Math.floor((this.lo + i) / 2) - lo2]! += a[i]!;
      a.set(out);
    };
    for (const a of this.classes.values()) merge(a);
    for (const t of this.threads.values()) merge(t.counts);
    this.width *= 2;
    this.perWidth = 1 / this.width;
    this.lo = lo2;
  }

  /** Move every slot `n` places right (slot 0 starts `n` widths earlier). */
  private shift(n: number): void {
    const move = (a: Float64Array) => {
      a.copyWithin(n, 0, this.bins - n);
      a.fill(0, 0, n);
    };
    for (const a of this.classes.values()) move(a);
    for (const t of this.threads.values()) move(t.counts);
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
      if (this.threads.size >= TIMELINE_THREAD_STORE) {
        this.overflowed = true;
        t = this.threads.get(OTHER_THREADS);
        if (t === undefined) {
          t = { info: otherThreads(), counts: new Float64Array(this.bins) };
          this.threads.set(OTHER_THREADS, t);
        }
      } else {
        t = { info, counts: new Float64Array(this.bins) };
        this.threads.set(info.key, t);
      }
    }
    return t.counts;
  }

  toState(): TimelineState {
    return {
      bins: this.bins,
      width: this.width,
      lo: this.lo,
      minTs: this.minTs,
      maxTs: this.maxTs,
      classes: [...this.classes],
      threads: [...this.threads.values()].map((t) => [t.info.key, t.info, t.counts]),
      untimed: this.untimed,
      overflowed: this.overflowed,
    };
  }

  /** Would merging keep every thread row (no order-dependent overflow)? */
  canMerge(o: TimelineState): boolean {
    if (o.overflowed || this.overflowed) return false;
    const fresh = o.threads.filter(([k]) => !this.threads.has(k)).length;
    return this.threads.size + fresh <= TIMELINE_THREAD_STORE;
  }

  /** Add another collector's counts (same bin count); `infoOf` gives the main thread's record of a vCPU thread. */
  merge(o: TimelineState, infoOf: (key: string) => ThreadInfo | undefined): void {
    this.untimed += o.untimed;
    if (o.minTs === Number.POSITIVE_INFINITY) return;
    while (this.width < o.width) this.coarsen();
    this.cover(o.minTs, o.maxTs);
    const step = this.width / o.width;
    const put = (dst: Float64Array, src: Float64Array) => {
      for (let i = 0; i < o.bins; i++) if (src[i] !== 0) dst[Math.floor((o.lo + i) / step) - this.lo]! += src[i]!;
    };
    for (const [k, a] of o.classes) put(this.series(this.classes, k), a);
    for (const [k, info, a] of o.threads) {
      let t = this.threads.get(k);
      if (t === undefined) {
        t = { info: k === OTHER_THREADS ? otherThreads() : (infoOf(k) ?? info), counts: new Float64Array(this.bins) };
        this.threads.set(k, t);
      }
      put(t.counts, a);
    }
  }

  /**
   * The timeline section. `relabelUnknown`: the run's flag (provisional "-kernel" classes become "-unknown").
   * `firstTs`: the input's earliest timestamp on the same scale (`AnalysisRun.firstTs`); times are given relative
   * to it. `minBinNs`: the timestamp resolution; bins narrower than one timestamp step would only split
   * simultaneous units apart, so they are merged until at least that wide. `null` when no unit had a timestamp.
   */
  finish(relabelUnknown: boolean, firstTs = 0, minBinNs = 1): Timeline | null {
    const zero = Number.isFinite(firstTs) ? firstTs : 0;
    if (this.minTs === Number.POSITIVE_INFINITY) return null;
    while (this.width < minBinNs) this.coarsen();
    const n = Math.floor(this.maxTs / this.width) - this.lo + 1;
    const classes = new Map<string, number[]>();
    for (const [k, a] of this.classes) {
      const name = relabelUnknown ? unknownWithoutUserspaceExits(k as ClassName) : k;
      const into = classes.get(name) ?? new Array<number>(n).fill(0);
      for (let i = 0; i < n; i++) into[i]! += a[i]!;
      classes.set(name, into);
    }
    const sum = (c: ArrayLike<number>) => {
      let t = 0;
      for (let i = 0; i < c.length; i++) t += c[i]!;
      return t;
    };
    // The busiest TIMELINE_THREADS threads get rows (ties by key: order-independent); the rest share one.
    const ranked = [...this.threads.values()]
      .filter((t) => t.info.key !== OTHER_THREADS)
      .map((t) => ({ t, total: sum(t.counts) }))
      .sort((a, b) => b.total - a.total || (a.t.info.key < b.t.info.key ? -1 : a.t.info.key > b.t.info.key ? 1 : 0));
    const shown = ranked.slice(0, TIMELINE_THREADS).map((r) => r.t);
    const rest = [...ranked.slice(TIMELINE_THREADS).map((r) => r.t), ...[...this.threads.values()].filter((t) => t.info.key === OTHER_THREADS)];
    if (rest.length > 0) {
      const counts = new Float64Array(this.bins);
      for (const t of rest) for (let i = 0; i < this.bins; i++) counts[i]! += t.counts[i]!;
      shown.push({ info: otherThreads(), counts });
    }
    const threads = shown
      .sort((a, b) =>
        a.info.instance < b.info.instance ? -1 : a.info.instance > b.info.instance ? 1 : a.info.vcpu - b.info.vcpu || a.info.tid - b.info.tid || (a.info.key < b.info.key ? -1 : a.info.key > b.info.key ? 1 : 0),
      )
      .map((t) => ({
        thread: t.info.key === OTHER_THREADS ? OTHER_THREADS : threadLabel(t.info),
        vcpu: t.info.vcpu,
        counts: Array.from(t.counts.subarray(0, n)),
      }));
    return {
      startNs: this.lo * this.width - zero,
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

function otherThreads(): ThreadInfo {
  return { key: OTHER_THREADS, comm: OTHER_THREADS, tid: -1, vcpu: -1, instance: '\uffff' };
}
