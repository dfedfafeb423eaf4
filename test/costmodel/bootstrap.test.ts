/**
 * The exact-sample bootstrap (src/costmodel/bootstrap.ts) draws B·n positions with an inlined PRNG and counts them
 * on distinct values. It must give exactly what the plain algorithm gives — B resamples of n draws from
 * `mulberry32(seedOf(name))`, a count per sorted position, median and mean of each resample, percentile interval —
 * so that the intervals in every saved analysis stay the same. Here that plain algorithm is written out and both
 * are compared on integer samples with many repeats (µs text), on samples of a non-integer quantum (TSC clocks,
 * where the grouped sum could round differently, so the code counts per position), and on tiny rows.
 */
import { quantileSorted } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { bootstrapCi, mulberry32, seedOf } from '../../src/costmodel/bootstrap.js';
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
  // Round trips of a few µs, heavy tail: many repeats, a few large values.
  const quanta = Array.from({ length: 3000 }, () => (r() < 0.95 ? 2 + Math.floor(r() * 6) : 20 + Math.floor(r() * 400)));

  it.each([
    ['µs text (quantum 1000 ns, integer samples)', 1000],
    ['ns text (quantum 1 ns)', 1],
    ['TSC clock (quantum 0.37 ns, non-integer samples)', 0.37],
  ])('%s', (_, quantum) => {
    const acc = accOf(quantum, quanta);
    const samples = acc.exactSamples()!;
    const got = bootstrapCi(acc, 'pio-kernel', 300)!;
    expect(got.method).toBe('exact');
    expect({ median: got.median, mean: got.mean }).toEqual(plainBootstrap(samples, 'pio-kernel', 300));
  });

  it('tiny rows: one sample, two equal, two different', () => {
    for (const q of [[7], [3, 3], [2, 9]]) {
      const acc = accOf(1000, q);
      const got = bootstrapCi(acc, 'hypercall', 200)!;
      expect({ median: got.median, mean: got.mean }).toEqual(plainBootstrap(acc.exactSamples()!, 'hypercall', 200));
    }
  });
});
