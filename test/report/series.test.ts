/** The HTML report's chart series, prepared from real analyses: CDFs, display histograms, phases, timeline, heatmap. */
import { describe, expect, it } from 'vitest';
import type { Analysis, Histogram } from '../../src/model/analysis.js';
import { cdfPoints, DISPLAY_BINS_PER_OCTAVE, displayBins, MAX_REASON_PANELS, reportData } from '../../src/report/html/series.js';
import { fixture, HAS_SHARED_LARGE, sharedLarge } from '../helpers.js';
import { reportAnalysis } from './analysis.js';

const total = (h: Histogram) => h.reduce((s, b) => s + b[2], 0);

/** The CDF crosses 1/2 between the points that bracket the median, and ends at 1. */
function expectCdfMatchesRows(a: Analysis): void {
  for (const m of a.mechanisms.filter((x) => x.p50Ns !== null)) {
    const pts = cdfPoints(m.histogram);
    expect(pts[pts.length - 1]![1]).toBe(1);
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i]![0]).toBeGreaterThan(pts[i - 1]![0]);
      expect(pts[i]![1]).toBeGreaterThanOrEqual(pts[i - 1]![1]);
    }
    // F(x) = P(latency < x). The median (interpolated between the two middle samples when n is even) is not below
    // the edge before F first reaches 1/2, and not above the first edge where F passes 1/2.
    // (Rows above 4096 samples take p50 from the HdrHistogram: ≤ 0.1 % relative error.)
    const k1 = pts.findIndex((p) => p[1] >= 0.5);
    const k2 = pts.findIndex((p) => p[1] > 0.5);
    expect(pts[k2]![0], m.mechanism).toBeGreaterThanOrEqual(m.p50Ns! * 0.999);
    if (k1 > 0) expect(pts[k1 - 1]![0], m.mechanism).toBeLessThanOrEqual(m.p50Ns! * 1.001);
  }
}

/** Display bins: every round trip kept, ordered, on whole quanta, at most 8 per octave above the linear part. */
function expectDisplayBins(a: Analysis): void {
  const q = a.input.timestampResolutionNs ?? 1;
  for (const r of [...a.mechanisms, ...a.exitReasons]) {
    const bins = displayBins(r.histogram, q);
    expect(bins.reduce((s, b) => s + b[2], 0)).toBe(total(r.histogram));
    for (const [drawLo, hi, c, lo] of bins) {
      expect(c).toBeGreaterThan(0);
      expect(lo % q).toBe(0);
      expect(hi % q).toBe(0);
      expect(hi - lo).toBeGreaterThanOrEqual(q);
      expect(drawLo).toBe(lo === 0 ? hi / 2 : lo);
      // At most 8 per octave: a bin past the linear part is at least 2^(1/8) - 1 ≈ 9 % of its low edge wide.
      if (lo >= 16 * q) expect(hi / lo).toBeGreaterThanOrEqual(2 ** (1 / DISPLAY_BINS_PER_OCTAVE) * 0.999);
    }
    for (let i = 1; i < bins.length; i++) expect(bins[i]![3]).toBeGreaterThanOrEqual(bins[i - 1]![1]);
  }
}

describe('HTML report series', () => {
  it('lab capture (access mode): no latency plots, the VMM phase from the ground truth, rates that add up', async () => {
    const a = await reportAnalysis(fixture('lab', 'tracefs-user-kvm-pvm.txt.gz'));
    const d = reportData(a);
    expect(d.mode).toBe('accesses');
    expect(d.cdf).toEqual([]);
    expect(d.mechanismHistograms).toEqual([]);
    expect(d.phases).toEqual([]);
    // Ground truth: 2024 port accesses and 1000 MMIO accesses went to the VMM (fixtures/README.md).
    expect(d.vmmPhases.map((v) => [v.name, v.toVmm])).toEqual([
      ['pio-vmm', 2024],
      ['mmio-vmm', 1000],
    ]);
    for (const v of d.vmmPhases) expect(v.p50Ns).toBeLessThanOrEqual(v.p99Ns);
    // Timeline: rate × bin width gives back the counts (the last bin is scaled by its covered width).
    const t = a.timeline!;
    const tl = d.timeline!;
    expect(tl.perSecond).toBe(true);
    expect(tl.series.map((s) => s.name).sort()).toEqual(a.mechanisms.map((m) => m.mechanism).sort());
    const n = tl.xs.length;
    for (const s of tl.series) {
      const counts = t.classes.find((c) => c.mechanism === s.name)!.counts;
      for (let i = 0; i < n - 1; i++) expect(s.values[i]! * t.binNs * 1e-9).toBeCloseTo(counts[i]!, 6);
      const cover = Math.min(t.binNs, Math.max(0.1 * t.binNs, t.endNs - (t.startNs + (n - 1) * t.binNs) + 1));
      expect(s.values[n - 1]! * cover * 1e-9).toBeCloseTo(counts[n - 1]!, 6);
    }
    // Heatmap: one row per vCPU thread, cells that add up to the thread's accesses.
    const h = d.heatmap!;
    expect(h.threads).toEqual(a.vcpus.map((v) => v.thread));
    const sums = h.threads.map(() => 0);
    for (const [x, y, r] of h.cells) sums[y]! += x === n - 1 ? t.threads[y]!.counts[x]! : r * t.binNs * 1e-9;
    expect(sums.map(Math.round)).toEqual(a.vcpus.map((v) => v.count));
    expect(h.scaleMax).toBeGreaterThan(0);
    expect(h.scaleMax).toBeLessThanOrEqual(h.max);
  });

  it('public excerpt with round trips: CDF and histograms per mechanism and exit reason', async () => {
    const a = await reportAnalysis(fixture('public', '003-github-kvm-example-aout-trace-pipe.txt'));
    const d = reportData(a);
    expect(d.cdf.map((c) => c.name)).toEqual(a.mechanisms.map((m) => m.mechanism));
    expect(d.cdf.map((c) => c.count)).toEqual(a.mechanisms.map((m) => m.count));
    expect(d.reasonHistograms.map((r) => r.name)).toEqual(a.exitReasons.map((r) => r.reason));
    expectCdfMatchesRows(a);
    expectDisplayBins(a);
  });

  it.skipIf(!HAS_SHARED_LARGE)('94k round trips: CDFs bracket every median, display bins keep every round trip', async () => {
    const a = await reportAnalysis(sharedLarge('01-hip24-thesis-host-2vms-110k.report-derived.txt'));
    expectCdfMatchesRows(a);
    expectDisplayBins(a);
    const d = reportData(a);
    // No kvm_userspace_exit in this trace: the kernel/VMM split is not drawn.
    expect(d.phases).toEqual([]);
    expect(d.reasonHistograms).toHaveLength(Math.min(MAX_REASON_PANELS, a.exitReasons.length));
    expect(d.reasonsTotal).toBe(a.exitReasons.length);
    // hlt spans µs to 0.3 s: fewer bars per octave, so its panel keeps about 64 bars, not 150.
    const hlt = d.mechanismHistograms.find((p) => p.name === 'hlt')!;
    expect(hlt.bins.length).toBeLessThan(90);
    expect(d.heatmap!.threads).toHaveLength(3);
  });

  it('CDF points from bins: a [0, 1 µs) bin is plotted at 1 µs, never at zero on the log axis', () => {
    expect(cdfPoints([[0, 1000, 3], [1000, 2000, 1]])).toEqual([[1000, 0.75], [2000, 1]]);
    expect(cdfPoints([[5000, 6000, 1], [7000, 8000, 1]])).toEqual([[5000, 0], [6000, 0.5], [8000, 1]]);
    expect(cdfPoints([])).toEqual([]);
  });
});
