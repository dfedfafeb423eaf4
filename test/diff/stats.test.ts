/**
 * The statistics behind `exitlens diff`: Mann–Whitney U on binned data against a brute-force count over real
 * samples, its p-value against an independent erfc, Holm's correction on a hand-worked case, and a reproducible
 * bootstrap CI. Real samples: the VMM-phase durations of the lab capture (pio-vmm and mmio-vmm accesses).
 */
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../src/analyze.js';
import { binned, erfc, holm, mannWhitney, medianDifferenceCi95, quantileBinned } from '../../src/diff/stats.js';
import type { Histogram } from '../../src/model/analysis.js';
import { StatAccumulator } from '../../src/stats/accumulator.js';
import { fixture } from '../helpers.js';

/** Each value its own exact bin (quantum 1): the binned algorithm then sees the raw samples. */
function exactBins(xs: number[]): Histogram {
  const m = new Map<number, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m.entries()].map(([v, c]) => [v, v + 1, c]);
}

/** U of `after` by counting every pair: after > before counts 1, a tie ½. */
function bruteU(before: number[], after: number[]): number {
  let u = 0;
  for (const a of after) for (const b of before) u += a > b ? 1 : a === b ? 0.5 : 0;
  return u;
}

async function labVmmPhases(): Promise<{ pio: number[]; mmio: number[] }> {
  const pio: number[] = [];
  const mmio: number[] = [];
  await analyzeFiles([fixture('lab', 'tracefs-user-kvm-pvm.txt.gz')], {
    onUnit: (u) => {
      if (u.vmmNs === null) return;
      if (u.cls === 'pio-vmm') pio.push(u.vmmNs);
      if (u.cls === 'mmio-vmm') mmio.push(u.vmmNs);
    },
  });
  return { pio, mmio };
}

describe('Mann–Whitney U', () => {
  it('equals a brute-force pair count on real samples, and stays within the binning error on the histogram', async () => {
    const { pio, mmio } = await labVmmPhases();
    expect(pio).toHaveLength(2024);
    expect(mmio).toHaveLength(1000);
    const exact = mannWhitney(binned(exactBins(mmio), 1), binned(exactBins(pio), 1));
    expect(exact.u).toBe(bruteU(mmio, pio));
    expect(exact.n1 * exact.n2).toBe(2024 * 1000);

    // The analysis' own histogram (µs quanta; ≥ 64 µs goes into ~2 % bins): only pairs with a sample that
    // large can change their ½/1 score.
    const accPio = new StatAccumulator(1000, true);
    const accMmio = new StatAccumulator(1000, true);
    pio.forEach((v) => accPio.add(v));
    mmio.forEach((v) => accMmio.add(v));
    const viaHist = mannWhitney(binned(accMmio.histogram(), 1000), binned(accPio.histogram(), 1000));
    const big = (xs: number[]) => xs.filter((v) => v >= 64_000).length;
    const affectedPairs = big(pio) * mmio.length + big(mmio) * pio.length;
    expect(Math.abs(viaHist.u - exact.u)).toBeLessThanOrEqual(0.5 * affectedPairs);
  });

  it('gives the textbook normal-approximation p-value (no ties, continuity-corrected)', () => {
    const before = Array.from({ length: 10 }, (_, i) => (i + 1) * 1000);
    const after = Array.from({ length: 10 }, (_, i) => (i + 11) * 1000);
    const r = mannWhitney(binned(exactBins(before), 1), binned(exactBins(after), 1));
    expect(r.u).toBe(100);
    expect(r.probabilityAfterGreater).toBe(1);
    // z = (100 − 50 − ½) / √(10·10/12 · 21) = 3.7418…; Python: math.erfc(3.7418482827913495 / math.sqrt(2)).
    expect(r.z).toBeCloseTo(3.7418482827913495, 12);
    expect(r.p / 0.0001826717911095504).toBeCloseTo(1, 5);
  });

  it('a sample against itself is no change (p = 1)', async () => {
    const { pio } = await labVmmPhases();
    const b = binned(exactBins(pio), 1);
    const r = mannWhitney(b, b);
    expect(r.z).toBe(0);
    expect(r.p).toBe(1);
    expect(r.probabilityAfterGreater).toBe(0.5);
  });

  it('erfc matches reference values', () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1.959963984540054 / Math.SQRT2)).toBeCloseTo(0.05, 7);
    expect(erfc(-1)).toBeCloseTo(1.8427007929497148, 7);
  });
});

describe('Holm correction', () => {
  it('steps down and keeps the adjusted values monotone', () => {
    // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → max so far 0.06.
    expect(holm([0.01, 0.04, 0.03, 0.005]).map((x) => Number(x.toFixed(10)))).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(holm([0.9, 0.8])).toEqual([1, 1]);
  });
});

describe('bootstrap CI of the median difference', () => {
  it('is reproducible, brackets the observed difference, and the quantile function reads exact bins exactly', async () => {
    const { pio, mmio } = await labVmmPhases();
    const a = binned(exactBins(pio), 1);
    const b = binned(exactBins(mmio), 1);
    const ci1 = medianDifferenceCi95(a, b);
    const ci2 = medianDifferenceCi95(a, b);
    expect(ci1).toEqual(ci2);
    const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
    const med = (xs: number[]) => sorted(xs)[Math.ceil(xs.length / 2) - 1]!;
    expect(quantileBinned(a, 0.5)).toBe(med(pio));
    expect(quantileBinned(b, 0.5)).toBe(med(mmio));
    const d = med(mmio) - med(pio);
    expect(ci1![0]).toBeLessThanOrEqual(d);
    expect(ci1![1]).toBeGreaterThanOrEqual(d);
    expect(medianDifferenceCi95(a, b, 2000, 1)).not.toBeNull();
  });
});
