/**
 * Statistics for `exitlens diff`, computed on the log-linear histograms every analysis carries
 * (`mechanisms[].histogram`, `exitReasons[].histogram`: [lowNs, highNs, count]), so a trace analyzed now and an
 * analysis saved as JSON are compared the same way.
 *
 * - Mann–Whitney U (Mann & Whitney 1947) with mid-ranks for ties and the tie-corrected normal approximation with
 *   continuity correction (e.g. Hollander, Wolfe & Chicken, "Nonparametric Statistical Methods", 3rd ed., §4.1).
 *   Values in one bin are ties: exact below 64 timestamp quanta, ≈2.2 % wide above (src/stats/accumulator.ts), so
 *   binning only makes the test slightly conservative. Rank-based, it suits skewed, heavy-tailed latencies.
 * - Holm's step-down correction (Holm 1979) over all rows of one diff, so that testing 30 rows at 5 % does not
 *   report one of them as changed by chance.
 * - A percentile bootstrap CI of the median difference (Efron & Tibshirani 1993, ch. 13). Each replicate's median
 *   is drawn directly: the k-th order statistic of n draws from the empirical distribution is F⁻¹(U₍ₖ₎) with
 *   U₍ₖ₎ ~ Beta(k, n+1−k), so a replicate costs O(log bins), not O(n). Seeded PRNG: results are reproducible.
 */
import type { Histogram } from '../model/analysis.js';

/** A histogram as sorted representative values with counts. */
export interface Binned {
  lows: number[];
  highs: number[];
  /** Representative value of each bin (low for exact one-quantum bins, midpoint otherwise). */
  values: number[];
  counts: number[];
  /** Cumulative counts before each bin. */
  before: number[];
  n: number;
  /** True for bins that hold one exact value (width ≤ one quantum). */
  exact: boolean[];
}

export function binned(h: Histogram, quantum: number): Binned {
  const rows = [...h].filter((b) => b[2] > 0).sort((a, b) => a[0] - b[0]);
  const out: Binned = { lows: [], highs: [], values: [], counts: [], before: [], n: 0, exact: [] };
  for (const [lo, hi, c] of rows) {
    const exact = hi - lo <= quantum;
    out.lows.push(lo);
    out.highs.push(hi);
    out.values.push(exact ? lo : (lo + hi) / 2);
    out.exact.push(exact);
    out.counts.push(c);
    out.before.push(out.n);
    out.n += c;
  }
  return out;
}

/** Quantile function of a binned distribution, u in (0, 1]: exact bins give their value, wide bins interpolate. */
export function quantileBinned(b: Binned, u: number): number {
  if (b.n === 0) return Number.NaN;
  const pos = Math.min(b.n, Math.max(Number.MIN_VALUE, u * b.n));
  let lo = 0;
  let hi = b.counts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (b.before[mid]! + b.counts[mid]! < pos) lo = mid + 1;
    else hi = mid;
  }
  if (b.exact[lo]) return b.lows[lo]!;
  const frac = (pos - b.before[lo]!) / b.counts[lo]!;
  return b.lows[lo]! + frac * (b.highs[lo]! - b.lows[lo]!);
}

/** erfc(x), Numerical Recipes in C (2nd ed.) §6.2 `erfcc`: fractional error < 1.2e-7 everywhere, tails included. */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export interface MannWhitney {
  /** U of the `after` sample: pairs (before, after) with after > before, ties counted ½. */
  u: number;
  n1: number;
  n2: number;
  z: number;
  /** Two-sided p-value. */
  p: number;
  /** U / (n1·n2): P(after > before) + ½ P(equal). 0.5 = no shift; > 0.5 = after tends to be slower. */
  probabilityAfterGreater: number;
}

/** Mann–Whitney U test of `before` vs `after` (two-sided), ties by mid-rank. */
export function mannWhitney(before: Binned, after: Binned): MannWhitney {
  const n1 = before.n;
  const n2 = after.n;
  const merged = new Map<number, [number, number]>();
  before.values.forEach((v, i) => {
    const e = merged.get(v) ?? [0, 0];
    e[0] += before.counts[i]!;
    merged.set(v, e);
  });
  after.values.forEach((v, i) => {
    const e = merged.get(v) ?? [0, 0];
    e[1] += after.counts[i]!;
    merged.set(v, e);
  });
  let seen = 0;
  let rankSumAfter = 0;
  let tieTerm = 0;
  for (const v of [...merged.keys()].sort((a, b) => a - b)) {
    const [a, b] = merged.get(v)!;
    const t = a + b;
    const midRank = seen + (t + 1) / 2;
    rankSumAfter += b * midRank;
    tieTerm += t * t * t - t;
    seen += t;
  }
  const n = n1 + n2;
  const u = rankSumAfter - (n2 * (n2 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const variance = n > 1 ? ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))) : 0;
  let z = 0;
  if (variance > 0) {
    const d = u - mu;
    // Continuity correction: U moves in steps of ½ with ties, 1 without; the usual ½ is applied.
    z = Math.abs(d) <= 0.5 ? 0 : (d - Math.sign(d) * 0.5) / Math.sqrt(variance);
  }
  const p = Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
  return { u, n1, n2, z, p, probabilityAfterGreater: n1 * n2 > 0 ? u / (n1 * n2) : 0.5 };
}

/** Holm–Bonferroni adjusted p-values, in the input order. */
export function holm(ps: readonly number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const out = new Array<number>(m).fill(1);
  let running = 0;
  order.forEach(({ p, i }, j) => {
    running = Math.max(running, Math.min(1, (m - j) * p));
    out[i] = running;
  });
  return out;
}

/** mulberry32 (Tommy Ettinger, public domain): a small, fast, well-mixed 32-bit PRNG; uniform in (0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

function normal(rand: () => number): number {
  // Marsaglia polar method.
  for (;;) {
    const u = 2 * rand() - 1;
    const v = 2 * rand() - 1;
    const s = u * u + v * v;
    if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
  }
}

/** Gamma(shape ≥ 1, 1): Marsaglia & Tsang (2000), "A simple method for generating gamma variables". */
function gamma(shape: number, rand: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rand);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rand();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function beta(a: number, b: number, rand: () => number): number {
  const x = gamma(a, rand);
  const y = gamma(b, rand);
  return x / (x + y);
}

/** One bootstrap replicate of the sample median of `b` (the ⌈n/2⌉-th order statistic). */
function bootstrapMedian(b: Binned, rand: () => number): number {
  const k = Math.ceil(b.n / 2);
  return quantileBinned(b, beta(k, b.n + 1 - k, rand));
}

/** Replicates for the percentile CI: Efron & Tibshirani (1993, §13.3) advise 1000–2000 for 95 % percentile limits. */
export const BOOTSTRAP_REPLICATES = 2000;
/** Fixed seed ("exit" in ASCII): the same inputs always give the same interval. */
export const BOOTSTRAP_SEED = 0x65786974;

/** 95 % percentile-bootstrap CI of median(after) − median(before). */
export function medianDifferenceCi95(before: Binned, after: Binned, replicates = BOOTSTRAP_REPLICATES, seed = BOOTSTRAP_SEED): [number, number] | null {
  if (before.n === 0 || after.n === 0) return null;
  const rand = mulberry32(seed);
  const d = new Float64Array(replicates);
  for (let i = 0; i < replicates; i++) d[i] = bootstrapMedian(after, rand) - bootstrapMedian(before, rand);
  d.sort();
  const at = (p: number) => d[Math.min(replicates - 1, Math.max(0, Math.ceil(p * replicates) - 1))]!;
  return [at(0.025), at(0.975)];
}
