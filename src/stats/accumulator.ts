/**
 * Streaming latency statistics for one row (a mechanism, an exit reason, a vCPU, a device).
 *
 * - count, total, min, max, mean and variance online (Welford; merged with Chan et al.'s parallel formula so worker
 *   results combine exactly as if one pass had seen everything).
 * - Percentiles: exact (simple-statistics `quantileSorted` over the kept values) while the row holds at most
 *   `EXACT_LIMIT` samples; above that, an HdrHistogram (hdr-histogram-js, 3 significant digits: ≤0.1 % relative
 *   error, mergeable, bounded memory whatever the trace length). Both depend only on the multiset of samples, so
 *   the result is identical whatever the chunking or worker split.
 * - Samples are recorded in units of the trace's timestamp quantum (1000 ns for µs text), so µs-quantized
 *   latencies stay exact in the histogram up to 2048 quanta.
 */
import hdr from 'hdr-histogram-js';
import { quantileSorted } from 'simple-statistics';
import type { LatencyStats } from '../model/analysis.js';

/** Rows with at most this many samples report exact percentiles. 4096 doubles = 32 KiB per row at most. */
export const EXACT_LIMIT = 4096;

type Histogram = ReturnType<typeof hdr.build>;

/** Exact bins below this many quanta. */
const LINEAR = 64;
/** Bins per doubling above LINEAR. */
const PER_OCTAVE = 32;

export function binOf(q: number): number {
  if (q < LINEAR) return q;
  return LINEAR + Math.floor(Math.log2(q / LINEAR) * PER_OCTAVE);
}

/** [low, high) of a bin, in quanta (integers; adjacent bins share their boundary). */
export function binRange(b: number): [number, number] {
  if (b < LINEAR) return [b, b + 1];
  const k = b - LINEAR;
  return [Math.ceil(LINEAR * 2 ** (k / PER_OCTAVE)), Math.ceil(LINEAR * 2 ** ((k + 1) / PER_OCTAVE))];
}

function newHistogram(): Histogram {
  return hdr.build({
    // 32-bit counters: the packed (sparse) array costs ~3x per record in a profile; rows that reach the histogram
    // are few (≤ 4096 samples stay exact), so the flat array's memory (tens of KiB per row) is affordable.
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

export class StatAccumulator {
  n = 0;
  mean = 0;
  m2 = 0;
  total = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** Log-linear bins (see `binOf`) when `withBins`: mergeable distributions for plots and rank tests. */
  readonly bins: Map<number, number> | null;
  /** Exact samples (in quanta) while n ≤ EXACT_LIMIT; null afterwards. */
  private exact: number[] | null = [];
  private hist: Histogram | null = null;

  constructor(
    readonly quantum: number,
    withBins = false,
  ) {
    this.bins = withBins ? new Map() : null;
  }

  /** Record a duration in ns (≥ 0). */
  add(v: number): void {
    this.n++;
    const d = v - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (v - this.mean);
    this.total += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    const q = Math.round(v / this.quantum);
    if (this.bins !== null) {
      const b = binOf(q);
      this.bins.set(b, (this.bins.get(b) ?? 0) + 1);
    }
    if (this.exact !== null) {
      this.exact.push(q);
      if (this.exact.length > EXACT_LIMIT) this.spill();
    } else {
      this.hist!.recordValue(q);
    }
  }

  merge(o: StatAccumulator): void {
    if (o.n === 0) return;
    if (this.n === 0) {
      this.mean = o.mean;
      this.m2 = o.m2;
    } else {
      const n = this.n + o.n;
      const d = o.mean - this.mean;
      this.m2 = this.m2 + o.m2 + (d * d * this.n * o.n) / n;
      this.mean = this.mean + (d * o.n) / n;
    }
    this.n += o.n;
    this.total += o.total;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    if (this.bins !== null && o.bins !== null) for (const [b, c] of o.bins) this.bins.set(b, (this.bins.get(b) ?? 0) + c);
    if (this.exact !== null && o.exact !== null) {
      for (const x of o.exact) this.exact.push(x);
      if (this.exact.length > EXACT_LIMIT) this.spill();
      return;
    }
    if (this.exact !== null) this.spill();
    if (o.exact !== null) for (const x of o.exact) this.hist!.recordValue(x);
    else this.hist!.add(o.hist!);
  }

  private spill(): void {
    const h = newHistogram();
    for (const x of this.exact!) h.recordValue(x);
    this.exact = null;
    this.hist = h;
  }

  stats(): LatencyStats | null {
    if (this.n === 0) return null;
    const sorted = this.exact !== null ? [...this.exact].sort((a, b) => a - b) : null;
    // Exact rows: simple-statistics' quantile. Large rows: HdrHistogram's nearest rank, reported as the bucket's
    // highest equivalent value, clamped to the exact observed extremes.
    const pct = (p: number): number => {
      const v =
        sorted !== null ? quantileSorted(sorted, p) * this.quantum : this.hist!.getValueAtPercentile(p * 100) * this.quantum;
      return Math.min(this.max, Math.max(this.min, v));
    };
    const variance = this.n > 1 ? this.m2 / (this.n - 1) : 0;
    return {
      count: this.n,
      totalNs: this.total,
      meanNs: this.mean,
      stddevNs: Math.sqrt(Math.max(0, variance)),
      minNs: this.min,
      p50Ns: pct(0.5),
      p90Ns: pct(0.9),
      p99Ns: pct(0.99),
      p999Ns: pct(0.999),
      maxNs: this.max,
    };
  }

  /** Raw samples in ns when still exact (for bootstrap CIs and rank tests); null when spilled to the histogram. */
  exactSamples(): number[] | null {
    return this.exact === null ? null : this.exact.map((x) => x * this.quantum);
  }

  /**
   * The distribution as log-linear bins: [lowNs, highNs, count] with lowNs ≤ v < highNs, ordered. Values below
   * 64 quanta have their own bin; above, 32 bins per octave (≈2.2 % wide).
   */
  histogram(): [number, number, number][] {
    return [...(this.bins ?? new Map<number, number>()).entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([b, c]) => {
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
