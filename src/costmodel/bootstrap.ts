/**
 * Bootstrap confidence intervals for a row's median and mean, reproducible: a seeded PRNG (mulberry32, public
 * domain, T. Ettinger) with a seed derived from the row's name, so the same trace gives byte-identical JSON on
 * every run, whatever the order rows are computed in.
 *
 * - Rows that kept their exact samples (≤ 4096, see stats/accumulator.ts): the classic nonparametric bootstrap
 *   (Efron 1979): B resamples of n draws with replacement; percentile interval. That is B·n draws, 8 million for a
 *   full row, ~45 ms each on the 2-core VM: a 300k-line µs trace spent 0.28 s of its 0.9 s there. So when the
 *   samples hold few distinct values (µs text: tens of values among thousands of samples) — at least
 *   `POISSON_MIN_N` samples and at most one distinct value per `POISSON_VALUES_PER` — each distinct value's count is
 *   redrawn as Poisson(count) instead (below): O(distinct values) per resample.
 * - Larger rows only kept their log-linear histogram. They are resampled by the Poisson bootstrap (Hanley &
 *   MacGibbon 2006; Chamandy et al. 2012): each bin's count is redrawn as Poisson(count), which is the large-n
 *   limit of multinomial resampling and costs O(bins) per resample. A bin stands for its samples at its
 *   midpoint (exact single-quantum bins below 64 quanta stand for their exact value). The bins are ≈2.2 % wide,
 *   so this adds at most ±1.1 % to the CI endpoints.
 */
import { quantileSorted } from 'simple-statistics';
import type { StatAccumulator } from '../stats/accumulator.js';

/** Resamples per interval: ≥ 1000 is the usual advice for percentile intervals (Efron & Tibshirani 1993,
 *  ch. 13); 2000 keeps the Monte-Carlo wobble of a 2.5 % endpoint well under the timestamp quantum. */
export const BOOTSTRAP_RESAMPLES = 2000;

/** Exact rows from this many samples, with few distinct values, are resampled by the Poisson bootstrap. */
export const POISSON_MIN_N = 256;
/** … when they have at most one distinct value per this many samples (a Poisson draw costs a few uniform ones). */
export const POISSON_VALUES_PER = 4;

/** Poisson draws switch to a normal approximation above this mean (error of the approximation negligible for
 *  CI endpoints: the skewness 1/√λ is < 0.18). */
const POISSON_NORMAL_ABOVE = 30;

export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string: a stable 32-bit seed per row name. */
export function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface BootstrapCi {
  median: [number, number];
  mean: [number, number];
  /** How the resampling was done: n draws from the exact samples, Poisson counts of their distinct values, or
   *  Poisson counts of the histogram bins. */
  method: 'exact' | 'exact-poisson' | 'histogram';
}

/** 95 % percentile intervals of the median and the mean; null without samples. */
export function bootstrapCi(acc: StatAccumulator, name: string, resamples = BOOTSTRAP_RESAMPLES): BootstrapCi | null {
  if (acc.n === 0) return null;
  const exact = acc.exactSamples();
  const medians = new Float64Array(resamples);
  const means = new Float64Array(resamples);
  let method: BootstrapCi['method'];
  const s = exact === null ? null : [...exact].sort((a, b) => a - b);
  // The distinct values of the sorted exact samples, their counts, and each sample's value index.
  const values: number[] = [];
  const valueCounts: number[] = [];
  const at = new Uint32Array(s?.length ?? 0);
  if (s !== null) {
    for (let i = 0; i < s.length; i++) {
      if (i === 0 || s[i] !== s[i - 1]) {
        values.push(s[i]!);
        valueCounts.push(0);
      }
      valueCounts[values.length - 1]!++;
      at[i] = values.length - 1;
    }
  }
  if (s !== null && !(s.length >= POISSON_MIN_N && values.length * POISSON_VALUES_PER <= s.length)) {
    method = 'exact';
    const n = s.length;
    // A draw picks a position of the sorted samples; it is counted on that position's distinct value (equal
    // samples are adjacent), so each resample's median and mean scan the few distinct values, not all n.
    // Counting on distinct values changes the order of the mean's sum; with integer samples (a whole-ns quantum)
    // every partial sum is an exact integer, so the sum is the same in any order. Otherwise count per position.
    const grouped = values.every(Number.isInteger) && Math.max(-values[0]!, values[values.length - 1]!) * n < Number.MAX_SAFE_INTEGER;
    const xs = grouped ? values : s;
    const counts = new Uint32Array(xs.length);
    const slot = grouped ? at : Uint32Array.from({ length: n }, (_, i) => i);
    // mulberry32 inlined (the same sequence as `mulberry32(seed)()`): this loop makes B·n draws, up to 8 million.
    // A draw is ⌊u·n⌋ with u = t / 2^32 < 1, so it fits an int32 and `| 0` floors it.
    let st = seedOf(name);
    for (let b = 0; b < resamples; b++) {
      counts.fill(0);
      for (let i = 0; i < n; i++) {
        st = (st + 0x6d2b79f5) >>> 0;
        let t = st;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        counts[slot[((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n) | 0]!]!++;
      }
      const r = weightedStats(xs, counts, n);
      medians[b] = r.median;
      means[b] = r.mean;
    }
  } else {
    // Poisson bootstrap: of the distinct exact values (few among many samples), or of the histogram's bins.
    const rnd = mulberry32(seedOf(name));
    let points: number[];
    let lambdas: Float64Array;
    if (s !== null) {
      method = 'exact-poisson';
      points = values;
      lambdas = Float64Array.from(valueCounts);
    } else {
      method = 'histogram';
      const q = acc.quantum;
      const bins = acc.histogram();
      points = bins.map(([lo, hi]) => (hi - lo <= q ? lo : (lo + hi) / 2));
      lambdas = Float64Array.from(bins, (b) => b[2]);
    }
    const weights = new Uint32Array(points.length);
    // Each point's Poisson constant, computed once instead of once per draw (the same values: same inputs).
    const consts = Float64Array.from(lambdas, (l) => (l > POISSON_NORMAL_ABOVE ? Math.sqrt(l) : Math.exp(-l)));
    for (let b = 0; b < resamples; b++) {
      let total = 0;
      for (let i = 0; i < points.length; i++) {
        const w = poisson(lambdas[i]!, consts[i]!, rnd);
        weights[i] = w;
        total += w;
      }
      if (total === 0) {
        b--; // an empty resample has no median; draw again (only possible for tiny rows, which are exact anyway)
        continue;
      }
      const r = weightedStats(points, weights, total);
      medians[b] = r.median;
      means[b] = r.mean;
    }
  }
  const ci = (xs: Float64Array): [number, number] => {
    const sorted = Array.from(xs.slice().sort()); // a typed array sorts by value, natively (no comparator calls)
    return [quantileSorted(sorted, 0.025), quantileSorted(sorted, 0.975)];
  };
  return { median: ci(medians), mean: ci(means), method };
}

/** Median (the average of the two middle values for an even total, as simple-statistics' quantile) and mean
 *  of sorted `values` with integer `weights` summing to `total`. */
function weightedStats(values: ArrayLike<number>, weights: Uint32Array, total: number): { median: number; mean: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += weights[i]! * values[i]!;
  // 1-based ranks of the middle value(s).
  const lo = Math.floor((total + 1) / 2);
  const hi = Math.floor(total / 2) + 1;
  let seen = 0;
  let vlo = Number.NaN;
  let vhi = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    const w = weights[i]!;
    if (w === 0) continue;
    if (Number.isNaN(vlo) && seen + w >= lo) vlo = values[i]!;
    if (seen + w >= hi) {
      vhi = values[i]!;
      break;
    }
    seen += w;
  }
  return { median: (vlo + vhi) / 2, mean: sum / total };
}

/** A Poisson(λ) draw; `c` is √λ above POISSON_NORMAL_ABOVE, e^−λ below. */
function poisson(lambda: number, c: number, rnd: () => number): number {
  if (lambda <= 0) return 0;
  if (lambda > POISSON_NORMAL_ABOVE) {
    // Box–Muller normal, rounded; clamped at 0.
    const u = 1 - rnd();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
    return Math.max(0, Math.round(lambda + c * z));
  }
  // Knuth's multiplication method.
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rnd();
  } while (p > c);
  return k - 1;
}
