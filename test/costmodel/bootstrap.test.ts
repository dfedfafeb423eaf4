/**
 * The exact-sample bootstrap (src/costmodel/bootstrap.ts) draws B·n positions with an inlined PRNG and counts them
 * on distinct values. It must give exactly what the plain algorithm gives — B resamples of n draws from
 * `mulberry32(seedOf(name))`, a count per sorted position, median and mean of each resample, percentile interval —
 * so that an optimization of it never changes an interval. Here that plain algorithm is written out and both are
 * compared on integer samples with repeats (µs text), on samples of a non-integer quantum (TSC clocks, where the
 * grouped sum could round differently, so the code counts per position), and on tiny rows.
 * Rows of many samples with few distinct values (µs text above all) are resampled by the Poisson bootstrap of
 * those values instead (B·n draws there cost ~45 ms a row): a different random stream, the same statistic, so its
 * intervals must agree with the plain bootstrap's up to Monte-Carlo noise.
 */
import { quantileSorted } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_RESAMPLES, bootstrapCi, mulberry32, POISSON_MIN_N, POISSON_VALUES_PER, seedOf } from '../../src/costmodel/bootstrap.js';
import { StatAccumulator } from '../../src/stats/accumulator.js';

function plainBootstrap(samples: number[], name: string, resamples: number): { median: [number, number]; mean: [number, number] } {
  const rnd = mulberry32(seedOf(name));
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const medians: number[] = [];
  const means: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) counts[Math.floor(rnd() * n)]!++;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += counts[i]! * s[i]!;
    const lo = Math.floor((n + 1) / 2);
    const hi = Math.floor(n / 2) + 1;
    let seen = 0;
    let vlo = Number.NaN;
    let vhi = Number.NaN;
    for (let i = 0; i < n; i++) {
      const w = counts[i]!;
      if (w === 0) continue;
      if (Number.isNaN(vlo) && seen + w >= lo) vlo = s[i]!;
      if (seen + w >= hi) {
        vhi = s[i]!;
        break;
      }
      seen += w;
    }
    medians.push((vlo + vhi) / 2);
    means.push(sum / n);
  }
  const ci = (xs: number[]): [number, number] => {
    const sorted = [...xs].sort((a, b) => a - b);
    return [quantileSorted(sorted, 0.025), quantileSorted(sorted, 0.975)];
  };
  return { median: ci(medians), mean: ci(means) };
}

function accOf(quantum: number, quanta: number[]): StatAccumulator {
  const acc = new StatAccumulator(quantum);
  for (const q of quanta) acc.add(q * quantum);
  return acc;
}

describe('bootstrapCi on exact samples = the plain bootstrap', () => {
  const r = mulberry32(5);
  // Round trips of a few µs to a few hundred, heavy tail: repeats, but too many distinct values for the Poisson path.
  const quanta = Array.from({ length: 3000 }, () => (r() < 0.6 ? 2 + Math.floor(r() * 60) : 20 + Math.floor(r() * 4000)));

  it.each([
    ['µs text (quantum 1000 ns, integer samples)', 1000],
    ['ns text (quantum 1 ns)', 1],
    ['TSC clock (quantum 0.37 ns, non-integer samples)', 0.37],
  ])('%s', (_, quantum) => {
    const acc = accOf(quantum, quanta);
    const samples = acc.exactSamples()!;
    expect(new Set(samples).size * POISSON_VALUES_PER).toBeGreaterThan(samples.length);
    const got = bootstrapCi(acc, 'pio-kernel', 300)!;
    expect(got.method).toBe('exact');
    expect({ median: got.median, mean: got.mean }).toEqual(plainBootstrap(samples, 'pio-kernel', 300));
  });

  it('rows below POISSON_MIN_N samples, however repetitive, and tiny rows: one sample, two equal, two different', () => {
    const few = Array.from({ length: POISSON_MIN_N - 1 }, () => 2 + Math.floor(r() * 3));
    for (const q of [few, [7], [3, 3], [2, 9]]) {
      const acc = accOf(1000, q);
      const got = bootstrapCi(acc, 'hypercall', 200)!;
      expect(got.method).toBe('exact');
      expect({ median: got.median, mean: got.mean }).toEqual(plainBootstrap(acc.exactSamples()!, 'hypercall', 200));
    }
  });
});

describe('bootstrapCi on many samples with few distinct values: the Poisson bootstrap of those values', () => {
  it.each([300, 1000, 4000])('%i µs-quantized samples: the intervals of the plain bootstrap, up to Monte-Carlo noise', (n) => {
    for (const seed of [1, 2, 3]) {
      const r = mulberry32(seed);
      // 90 % of a few µs, a tail to 80 µs: ≤ 66 distinct values.
      const acc = accOf(1000, Array.from({ length: n }, () => (r() < 0.9 ? 2 + Math.floor(r() * 6) : 20 + Math.floor(r() * 60))));
      const got = bootstrapCi(acc, 'pio-kernel')!;
      expect(got.method).toBe('exact-poisson');
      const plain = plainBootstrap(acc.exactSamples()!, 'pio-kernel', BOOTSTRAP_RESAMPLES);
      // The median's endpoints are sample values (or the midpoint of two): equal, or a half-step apart at most.
      for (let k = 0; k < 2; k++) expect(Math.abs(got.median[k]! - plain.median[k]!)).toBeLessThanOrEqual(500);
      // The mean's endpoints: within 2.5 % (the 2.5 % quantile of 2000 resamples wobbles by ~1-2 % at n = 300).
      for (let k = 0; k < 2; k++) expect(Math.abs(got.mean[k]! / plain.mean[k]! - 1)).toBeLessThan(0.025);
    }
  });

  it('is reproducible and keyed by the row name', () => {
    const r = mulberry32(9);
    const acc = accOf(1000, Array.from({ length: 2000 }, () => 2 + Math.floor(r() * 5)));
    expect(bootstrapCi(acc, 'mmio-vmm')).toEqual(bootstrapCi(acc, 'mmio-vmm'));
    expect(bootstrapCi(acc, 'mmio-vmm')!.mean).not.toEqual(bootstrapCi(acc, 'pio-vmm')!.mean);
  });
});
