/**
 * Streaming latency statistics for one row (a mechanism, an exit reason, a vCPU, a device).
 *
 * - count, total, min, max, and the exact integer sums Σv and Σv² (durations are integer ns or ticks): the mean is
 *   Σv/n and the variance (nΣv² − (Σv)²)/(n(n−1)), both computed once from exact integers, so the result does not
 *   depend on the order samples arrived in or on how worker results were merged (Welford's online update, used
 *   before, rounds differently for every order, and the parallel path must give byte-identical JSON). Σv² is kept
 *   in a double while it is exactly representable (< 2^53) and flushed into a BigInt before it would not be.
 * - Percentiles: exact (simple-statistics `quantileSorted` over the kept values) while the row holds at most
 *   `EXACT_LIMIT` samples; above that, an HdrHistogram (hdr-histogram-js, 3 significant digits: ≤0.1 % relative
 *   error, mergeable, bounded memory whatever the trace length). Both depend only on the multiset of samples, so
 *   the result is identical whatever the chunking or worker split.
 * - Samples are recorded in units of the trace's timestamp quantum (1000 ns for µs text), so µs-quantized
 *   latencies stay exact in the histogram up to 2048 quanta.
 */
// The 32-bit-counter histogram class itself: the package's main entry also loads its WebAssembly build, pako and
// base64 codecs and an Intl formatter (~66 ms per process and per worker thread, measured), none of which is used.
import * as Int32HistogramModule from 'hdr-histogram-js/dist/Int32Histogram.js';
import type { JsHistogram } from 'hdr-histogram-js';
import { quantileSorted } from 'simple-statistics';
import type { LatencyStats } from '../model/analysis.js';

/** Rows with at most this many samples report exact percentiles. 4096 doubles = 32 KiB per row at most. */
export const EXACT_LIMIT = 4096;

type Int32HistogramClass = new (lowestDiscernibleValue: number, highestTrackableValue: number, significantDigits: number) => JsHistogram;
/** CommonJS `exports.default` seen from ESM: the class may be one `.default` further down at run time. */
const cjs = Int32HistogramModule as unknown as { default: Int32HistogramClass | { default: Int32HistogramClass } };
const Int32Histogram: Int32HistogramClass = 'default' in cjs.default ? cjs.default.default : cjs.default;
type Histogram = InstanceType<Int32HistogramClass>;

/** Exact bins below this many quanta. */
const LINEAR = 64;
/** Bins per doubling above LINEAR. */
const PER_OCTAVE = 32;

export function binOf(q: number): number {
  if (q < LINEAR) return q;
  return LINEAR + Math.floor(Math.log2(q / LINEAR) * PER_OCTAVE);
}

/** Bins of the values below this many quanta are looked up in a table (Math.log2 per round trip is measurable). */
const BIN_TABLE_SIZE = 1 << 16;
/** Bin arrays start with room for values up to ~64 · 2^6 quanta and grow when a larger value arrives. */
const BINS_INITIAL = 256;
let table: Uint16Array | null = null;
function binTable(): Uint16Array {
  if (table === null) {
    table = new Uint16Array(BIN_TABLE_SIZE);
    for (let q = 0; q < BIN_TABLE_SIZE; q++) table[q] = binOf(q);
  }
  return table;
}

/** [low, high) of a bin, in quanta (integers; adjacent bins share their boundary). */
export function binRange(b: number): [number, number] {
  if (b < LINEAR) return [b, b + 1];
  const k = b - LINEAR;
  return [Math.ceil(LINEAR * 2 ** (k / PER_OCTAVE)), Math.ceil(LINEAR * 2 ** ((k + 1) / PER_OCTAVE))];
}

function newHistogram(): Histogram {
  // What hdr.build({bitBucketSize: 32, autoResize: true, lowestDiscernibleValue: 1, highestTrackableValue: 2,
  // numberOfSignificantValueDigits: 3}) constructs. 32-bit counters: the packed (sparse) array costs ~3x per record
  // in a profile; rows that reach the histogram are few (≤ 4096 samples stay exact), so the flat array's memory
  // (tens of KiB per row) is affordable.
  const h = new Int32Histogram(1, 2, 3);
  h.autoResize = true;
  return h;
}

/** Distinct values batched before they are recorded into the histogram (a small Map stays fast). */
const PEND_MAX = 256;

/** Batched values below this many quanta are counted in an array indexed by value (2 KiB per spilled accumulator). */
const PEND_DIRECT = 256;

/** Σv² is flushed into the BigInt before the double would pass 2^53 (every v² added is < 2^52). */
const SQ_FLUSH = 2 ** 52;
/** Durations up to 2^26 ns (67 ms) square exactly in a double; longer ones go straight to the BigInt. */
const SQ_DIRECT = 2 ** 26;

/** The transferable state of an accumulator (worker threads post it to the main thread). */
export interface StatState {
  quantum: number;
  n: number;
  total: number;
  sq: number;
  sqBig: string;
  min: number;
  max: number;
  bins: [number, number][] | null;
  exact: number[] | null;
  /** Histogram buckets as [lowest value of the bucket, count] pairs. */
  hist: number[] | null;
}

export class StatAccumulator {
  n = 0;
  total = 0;
  /** Σv², exact: `sq` (a double below 2^53) + `sqBig`. */
  private sq = 0;
  private sqBig = 0n;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /**
   * Log-linear bin counts (see `binOf`), indexed by bin, when `withBins`: mergeable distributions for plots and
   * rank tests. An array, not a Map: bins are small integers (< 1600 for any double) and this is per round trip.
   */
  private binCounts: Float64Array | null;

  /** Whether this accumulator keeps bins. */
  get hasBins(): boolean {
    return this.binCounts !== null;
  }
  /** Exact samples (in quanta) while n ≤ EXACT_LIMIT; null afterwards. */
  private exact: number[] | null = [];
  private hist: Histogram | null = null;
  /** Values not yet recorded into `hist`, with their counts: below PEND_DIRECT by value, the rest in a Map (at most
   *  PEND_MAX distinct). */
  private pendSmall: Float64Array | null = null;
  private pendSmallN = 0;
  private readonly pend = new Map<number, number>();

  constructor(
    readonly quantum: number,
    withBins = false,
  ) {
    this.binCounts = withBins ? new Float64Array(BINS_INITIAL) : null;
  }

  /** Record a duration in ns (≥ 0). */
  add(v: number): void {
    this.n++;
    this.total += v;
    if (v <= SQ_DIRECT && Number.isInteger(v)) {
      this.sq += v * v;
      if (this.sq >= SQ_FLUSH) {
        this.sqBig += BigInt(this.sq);
        this.sq = 0;
      }
    } else {
      const r = BigInt(Math.round(v));
      this.sqBig += r * r;
    }
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    const q = Math.round(v / this.quantum);
    if (this.binCounts !== null) this.bump(q < BIN_TABLE_SIZE ? binTable()[q]! : binOf(q), 1);
    if (this.exact !== null) {
      this.exact.push(q);
      if (this.exact.length > EXACT_LIMIT) this.spill();
    } else this.batch(q);
  }

  /**
   * Count `q` (quanta) for the histogram, recorded by `flush`: latencies repeat (µs-quantized text above all), a
   * count bump costs less than a histogram record (two `pow` and a `log2`), and small values (most round trips)
   * are counted by index, not by a Map lookup.
   */
  private batch(q: number, n = 1): void {
    if (q < PEND_DIRECT) {
      const a = (this.pendSmall ??= new Float64Array(PEND_DIRECT));
      a[q]! += n;
      this.pendSmallN += n;
      return;
    }
    const p = this.pend;
    const c = p.get(q);
    if (c !== undefined) p.set(q, c + n);
    else {
      if (p.size >= PEND_MAX) this.flush();
      p.set(q, n);
    }
  }

  private bump(b: number, c: number): void {
    let a = this.binCounts!;
    if (b >= a.length) {
      const g = new Float64Array(Math.max(b + 1, a.length * 2));
      g.set(a);
      this.binCounts = a = g;
    }
    a[b]! += c;
  }

  /** Non-empty bins as [bin, count], ascending. */
  private binList(): [number, number][] {
    const out: [number, number][] = [];
    const a = this.binCounts;
    if (a !== null) for (let b = 0; b < a.length; b++) if (a[b] !== 0) out.push([b, a[b]!]);
    return out;
  }

  /** Record the batched values into the histogram (before anything reads it). */
  private flush(): void {
    const h = this.hist!;
    const a = this.pendSmall;
    if (a !== null && this.pendSmallN > 0) {
      for (let q = 0; q < PEND_DIRECT; q++) {
        if (a[q] !== 0) {
          h.recordValueWithCount(q, a[q]!);
          a[q] = 0;
        }
      }
      this.pendSmallN = 0;
    }
    if (this.pend.size === 0) return;
    for (const [q, c] of this.pend) h.recordValueWithCount(q, c);
    this.pend.clear();
  }

  /** Mean of the samples (Σv/n), 0 when empty. */
  get mean(): number {
    return this.n === 0 ? 0 : this.total / this.n;
  }

  /** Sample variance from the exact sums (0 below two samples). */
  variance(): number {
    if (this.n < 2) return 0;
    const n = BigInt(this.n);
    const s1 = BigInt(Math.round(this.total));
    const s2 = this.sqBig + BigInt(this.sq);
    const num = n * s2 - s1 * s1;
    return num <= 0n ? 0 : Number(num) / (this.n * (this.n - 1));
  }

  merge(o: StatAccumulator): void {
    if (o.n === 0) return;
    this.n += o.n;
    this.sqBig += o.sqBig + BigInt(o.sq);
    this.total += o.total;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    if (this.binCounts !== null && o.binCounts !== null) {
      const ob = o.binCounts;
      for (let b = 0; b < ob.length; b++) if (ob[b] !== 0) this.bump(b, ob[b]!);
    }
    if (this.exact !== null && o.exact !== null) {
      for (const x of o.exact) this.exact.push(x);
      if (this.exact.length > EXACT_LIMIT) this.spill();
      return;
    }
    if (this.exact !== null) this.spill();
    if (o.exact !== null) for (const x of o.exact) this.batch(x);
    else {
      // o's batched values are batched here, as counts (recording them into o's histogram and adding that one,
      // bucket by bucket over its whole counts array, cost ~70 ms at the end of a 2M-line run: the summary merges
      // each cell into four rows). o's histogram is added only when it holds values; o is left as it was.
      const a = o.pendSmall;
      if (a !== null && o.pendSmallN > 0) for (let q = 0; q < PEND_DIRECT; q++) if (a[q] !== 0) this.batch(q, a[q]!);
      for (const [q, c] of o.pend) this.batch(q, c);
      if (o.hist!.totalCount > 0) this.hist!.add(o.hist!);
    }
  }

  /** Past EXACT_LIMIT samples: the kept values go to the histogram (batched like every later one). */
  private spill(): void {
    const kept = this.exact!;
    this.exact = null;
    this.hist = newHistogram();
    for (const x of kept) this.batch(x);
  }

  stats(): LatencyStats | null {
    if (this.n === 0) return null;
    if (this.hist !== null) this.flush();
    const sorted = this.exact !== null ? [...this.exact].sort((a, b) => a - b) : null;
    // Exact rows: simple-statistics' quantile. Large rows: HdrHistogram's nearest rank, reported as the bucket's
    // highest equivalent value, clamped to the exact observed extremes.
    const pct = (p: number): number => {
      const v =
        sorted !== null ? quantileSorted(sorted, p) * this.quantum : this.hist!.getValueAtPercentile(p * 100) * this.quantum;
      return Math.min(this.max, Math.max(this.min, v));
    };
    return {
      count: this.n,
      totalNs: this.total,
      meanNs: this.mean,
      stddevNs: Math.sqrt(this.variance()),
      minNs: this.min,
      p50Ns: pct(0.5),
      p90Ns: pct(0.9),
      p99Ns: pct(0.99),
      p999Ns: pct(0.999),
      maxNs: this.max,
    };
  }

  /**
   * Raw samples in ns when still exact (for bootstrap CIs and rank tests), sorted so that what is computed from
   * them does not depend on arrival order; null when spilled to the histogram.
   */
  exactSamples(): number[] | null {
    return this.exact === null ? null : this.exact.map((x) => x * this.quantum).sort((a, b) => a - b);
  }

  /** The state as plain data (structured-clone safe) for a worker thread to post. */
  toState(): StatState {
    if (this.hist !== null) this.flush();
    return {
      quantum: this.quantum,
      n: this.n,
      total: this.total,
      sq: this.sq,
      sqBig: this.sqBig.toString(),
      min: this.min,
      max: this.max,
      bins: this.binCounts === null ? null : this.binList(),
      exact: this.exact === null ? null : [...this.exact],
      hist: this.hist === null ? null : histPairs(this.hist),
    };
  }

  static fromState(st: StatState): StatAccumulator {
    const a = new StatAccumulator(st.quantum, st.bins !== null);
    a.n = st.n;
    a.total = st.total;
    a.sq = st.sq;
    a.sqBig = BigInt(st.sqBig);
    a.min = st.min;
    a.max = st.max;
    if (st.bins !== null) for (const [b, c] of st.bins) a.bump(b, c);
    if (st.exact !== null) a.exact = [...st.exact];
    else {
      a.exact = null;
      const h = newHistogram();
      const p = st.hist ?? [];
      for (let i = 0; i + 1 < p.length; i += 2) h.recordValueWithCount(p[i]!, p[i + 1]!);
      a.hist = h;
    }
    return a;
  }

  /**
   * The distribution as log-linear bins: [lowNs, highNs, count] with lowNs ≤ v < highNs, ordered. Values below
   * 64 quanta have their own bin; above, 32 bins per octave (≈2.2 % wide).
   */
  histogram(): [number, number, number][] {
    return this.binList().map(([b, c]) => {
        const [lo, hi] = binRange(b);
        return [lo * this.quantum, hi * this.quantum, c];
      });
  }

  /**
   * The empirical CDF at `steps` evenly spaced probabilities (for plots): [{p, valueNs}], p in (0, 1].
   * Exact rows use the kept samples; large rows read the histogram.
   */
  cdf(steps = 200): { p: number; valueNs: number }[] {
    if (this.n === 0) return [];
    if (this.hist !== null) this.flush();
    const out: { p: number; valueNs: number }[] = [];
    const sorted = this.exact !== null ? [...this.exact].sort((a, b) => a - b) : null;
    for (let i = 1; i <= steps; i++) {
      const p = i / steps;
      const raw =
        sorted !== null
          ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
          : this.hist!.getValueAtPercentile(p * 100);
      out.push({ p, valueNs: Math.min(this.max, Math.max(this.min, raw * this.quantum)) });
    }
    return out;
  }
}

/** The non-empty buckets of a histogram, flattened [value, count, value, count, …] (value maps back to its bucket). */
function histPairs(h: Histogram): number[] {
  const out: number[] = [];
  for (let i = 0; i < h.countsArrayLength; i++) {
    const c = h.getCountAtIndex(i);
    if (c > 0) out.push(h.valueFromIndex(i), c);
  }
  return out;
}
