/**
 * A row's latency statistics (accumulator.ts) against what they claim to be: exact percentiles (simple-statistics)
 * up to EXACT_LIMIT samples, an HdrHistogram of every sample above it, exact sums, and nothing that depends on the
 * order samples arrived in or on how they were split between worker threads. The accumulator batches samples
 * (counts by value, runs recorded once); the oracle here records every sample into the histogram one by one.
 */
import { describe, expect, it } from 'vitest';
import * as Int32HistogramModule from 'hdr-histogram-js/dist/Int32Histogram.js';
import type { JsHistogram } from 'hdr-histogram-js';
import { quantileSorted } from 'simple-statistics';
import { mulberry32 } from '../../src/costmodel/bootstrap.js';
import { EXACT_LIMIT, StatAccumulator } from '../../src/stats/accumulator.js';

type HistClass = new (lo: number, hi: number, digits: number) => JsHistogram;
const cjs = Int32HistogramModule as unknown as { default: HistClass | { default: HistClass } };
const Int32Histogram: HistClass = 'default' in cjs.default ? cjs.default.default : cjs.default;

/** Percentiles the way the accumulator documents them, from every sample recorded one at a time. */
function oracle(ns: number[], quantum: number): Record<string, number> {
  const q = ns.map((v) => Math.round(v / quantum));
  const min = Math.min(...ns);
  const max = Math.max(...ns);
  let at: (p: number) => number;
  if (ns.length <= EXACT_LIMIT) {
    const sorted = [...q].sort((a, b) => a - b);
    at = (p) => quantileSorted(sorted, p) * quantum;
  } else {
    const h = new Int32Histogram(1, 2, 3);
    h.autoResize = true;
    for (const x of q) h.recordValue(x);
    at = (p) => h.getValueAtPercentile(p * 100) * quantum;
  }
  const clamp = (v: number) => Math.min(max, Math.max(min, v));
  return { p50Ns: clamp(at(0.5)), p90Ns: clamp(at(0.9)), p99Ns: clamp(at(0.99)), p999Ns: clamp(at(0.999)) };
}

/** Round-trip-like durations: mostly a few hundred quanta apart or µs multiples, with a long tail. */
function samples(n: number, seed: number, quantum: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const u = r();
    const quanta = u < 0.6 ? 1 + Math.floor(r() * 40) : u < 0.9 ? Math.floor(r() * 600) : Math.floor(r() * 2e6);
    return quanta * quantum;
  });
}

function shuffled<T>(a: readonly T[], seed: number): T[] {
  const r = mulberry32(seed);
  const out = [...a];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A state with Σv² in one number (how it is split between the double and the BigInt depends on the order). */
function state(a: StatAccumulator): ReturnType<StatAccumulator['toState']> {
  const s = a.toState();
  return { ...s, sq: 0, sqBig: (BigInt(s.sqBig) + BigInt(s.sq)).toString() };
}

/** The samples split into `parts` accumulators (worker ranges), each posted as state, merged in order. */
function viaWorkers(ns: number[], quantum: number, parts: number): StatAccumulator {
  const into = new StatAccumulator(quantum, true);
  const size = Math.ceil(ns.length / parts);
  for (let k = 0; k < parts; k++) {
    const a = new StatAccumulator(quantum, true);
    for (const v of ns.slice(k * size, (k + 1) * size)) a.add(v);
    into.merge(StatAccumulator.fromState(structuredClone(a.toState())));
  }
  return into;
}

describe('StatAccumulator', () => {
  for (const [n, quantum] of [
    [EXACT_LIMIT, 1000],
    [EXACT_LIMIT + 1, 1000],
    [60_000, 1000],
    [60_000, 1],
  ] as const) {
    it(`${n} samples, quantum ${quantum} ns: percentiles, sums and extremes as documented`, () => {
      const ns = samples(n, n + quantum, quantum);
      const a = new StatAccumulator(quantum, true);
      for (const v of ns) a.add(v);
      const st = a.stats()!;
      expect(st.count).toBe(n);
      expect(st.totalNs).toBe(ns.reduce((x, y) => x + y, 0));
      expect(st.minNs).toBe(Math.min(...ns));
      expect(st.maxNs).toBe(Math.max(...ns));
      expect({ p50Ns: st.p50Ns, p90Ns: st.p90Ns, p99Ns: st.p99Ns, p999Ns: st.p999Ns }).toEqual(oracle(ns, quantum));
      // The histogram's bins hold every sample.
      expect(a.histogram().reduce((x, [, , c]) => x + c, 0)).toBe(n);
    });
  }

  it('gives the same statistics, bins, CDF and state whatever the order and the split between workers', () => {
    const ns = samples(30_000, 7, 1000);
    const one = new StatAccumulator(1000, true);
    for (const v of ns) one.add(v);
    const expected = { stats: one.stats(), bins: one.histogram(), cdf: one.cdf(), state: state(one) };
    for (const [seed, parts] of [
      [1, 1],
      [2, 2],
      [3, 7],
      [4, 13],
    ] as const) {
      const a = viaWorkers(shuffled(ns, seed), 1000, parts);
      expect({ stats: a.stats(), bins: a.histogram(), cdf: a.cdf(), state: a.toState() }).toEqual(expected);
    }
  });

  it('reads the same before and after more samples arrive (reading flushes batched samples, it loses none)', () => {
    const ns = samples(20_000, 11, 1000);
    const a = new StatAccumulator(1000, true);
    const b = new StatAccumulator(1000, true);
    ns.forEach((v, i) => {
      a.add(v);
      b.add(v);
      // Read `a` often while it fills: every read flushes what is batched.
      if (i % 997 === 0) a.stats();
    });
    expect(a.stats()).toEqual(b.stats());
    expect(a.toState()).toEqual(b.toState());
  });
});
