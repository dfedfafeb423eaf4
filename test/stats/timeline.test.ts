/** Timeline collector: exit counts over time per class and per vCPU thread, bounded bins, same totals as the rows. */
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../src/analyze.js';
import type { Analysis, Timeline } from '../../src/model/analysis.js';
import type { ThreadInfo } from '../../src/pair/round-trips.js';
import { ALL_CLASSES } from '../../src/model/classes.js';
import { classSlot, TIMELINE_BINS, TimelineCollector } from '../../src/stats/timeline.js';
import { fixture, HAS_SHARED_LARGE, sharedLarge } from '../helpers.js';

async function withTimeline(path: string): Promise<{ a: Analysis; t: Timeline }> {
  const c = new TimelineCollector();
  const run = await analyzeFiles([path], { onUnit: c.onUnit });
  const t = c.finish(run.relabelUnknown, run.firstTs, run.analysis.input.timestampResolutionNs ?? 1);
  if (t === null) throw new Error('no timeline');
  return { a: run.analysis, t };
}

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

/** Every class and thread total of the timeline equals the analysis row it belongs to. */
function expectSameTotals(a: Analysis, t: Timeline): void {
  const byClass = Object.fromEntries(t.classes.map((c) => [c.mechanism, sum(c.counts)]));
  expect(byClass).toEqual(Object.fromEntries(a.mechanisms.map((m) => [m.mechanism, m.count])));
  const byThread = Object.fromEntries(t.threads.map((c) => [c.thread, sum(c.counts)]));
  expect(byThread).toEqual(Object.fromEntries(a.vcpus.map((v) => [v.thread, v.count])));
  expect(t.untimed).toBe(0);
}

describe('timeline', () => {
  it('every class has its own slot in the per-round-trip class cache', () => {
    expect(new Set(ALL_CLASSES.map(classSlot)).size).toBe(ALL_CLASSES.length);
  });

  it('lab capture (access mode): per-class and per-thread totals match the rows; bins stay bounded', async () => {
    const { a, t } = await withTimeline(fixture('lab', 'tracefs-user-kvm-pvm.txt.gz'));
    expectSameTotals(a, t);
    const n = t.classes[0]!.counts.length;
    expect(n).toBeLessThanOrEqual(TIMELINE_BINS);
    // The span was coarsened: half the bins or more are in use, and the width is a power of two of the time unit.
    expect(n).toBeGreaterThan(TIMELINE_BINS / 2);
    expect(Math.log2(t.binNs) % 1).toBe(0);
    expect(t.binNs).toBeGreaterThanOrEqual(a.input.timestampResolutionNs!);
    // The bins cover the accesses: from the first one to the last.
    expect(t.startNs).toBeGreaterThanOrEqual(0);
    expect(t.endNs).toBeLessThanOrEqual(a.input.spanNs!);
    expect(t.startNs + n * t.binNs).toBeGreaterThan(t.endNs);
    // The workload's phases: 1000 cpuid exits in a burst, not spread over the whole capture.
    const cpuid = t.classes.find((c) => c.mechanism === 'cpuid')!.counts;
    expect(cpuid.filter((x) => x > 0).length).toBeLessThan(n / 4);
  });

  it('public excerpt without kvm_userspace_exit: classes relabelled -unknown exactly like the summary', async () => {
    const { a, t } = await withTimeline(fixture('public', '004-linux-kvm-org-perf-events-old-trace-pipe.txt'));
    expect(t.classes.map((c) => c.mechanism).sort()).toEqual(['mmio-unknown', 'pio-unknown']);
    expectSameTotals(a, t);
    // Two round trips 15 µs apart in µs text: bins are never narrower than one timestamp step (1 µs).
    expect(t.binNs).toBe(1024);
  });

  it.skipIf(!HAS_SHARED_LARGE)('94k round trips over 41 s: totals match, 128–256 bins, per-vCPU rows', async () => {
    const { a, t } = await withTimeline(sharedLarge('01-hip24-thesis-host-2vms-110k.report-derived.txt'));
    expectSameTotals(a, t);
    const n = t.threads[0]!.counts.length;
    expect(n).toBeGreaterThan(TIMELINE_BINS / 2);
    expect(t.threads.map((x) => x.vcpu).sort()).toEqual([0, 0, 1]);
  });

  it('out-of-order and far-apart timestamps: nothing is lost, bin 0 moves left, the width doubles', () => {
    const th: ThreadInfo = { key: 'k', comm: 'CPU 0/KVM', tid: 7, vcpu: 0, instance: '' };
    const c = new TimelineCollector(8);
    c.add(1_000, 'msr', th);
    c.add(1_003, 'msr', th);
    expect(c.finish(false)).toMatchObject({ startNs: 1_000, binNs: 1, endNs: 1_003, classes: [{ mechanism: 'msr', counts: [1, 0, 0, 1] }] });
    c.add(990, 'hlt', th); // earlier than bin 0: the bins shift right, then coarsen (13 units > 8 bins of 1)
    c.add(1_100, 'hlt', th); // far later: coarsen until it fits
    c.add(Number.NEGATIVE_INFINITY, 'hlt', th); // NO_TS
    const t = c.finish(false)!;
    expect(t.untimed).toBe(1);
    expect(sum(t.classes.find((x) => x.mechanism === 'hlt')!.counts)).toBe(2);
    expect(sum(t.classes.find((x) => x.mechanism === 'msr')!.counts)).toBe(2);
    expect(t.startNs).toBeLessThanOrEqual(990);
    expect(t.startNs + t.classes[0]!.counts.length * t.binNs).toBeGreaterThan(1_100);
    expect(t.classes[0]!.counts.length).toBeLessThanOrEqual(8);
    // 110 units in at most 8 bins need a width of at least 16 (a power of two), and never more than twice that.
    expect(t.binNs).toBeGreaterThanOrEqual(16);
    expect(t.binNs).toBeLessThanOrEqual(32);
    // Each count is in the bin that holds its time.
    const hlt = t.classes.find((x) => x.mechanism === 'hlt')!.counts;
    expect(hlt[Math.floor((990 - t.startNs) / t.binNs)]).toBeGreaterThanOrEqual(1);
    expect(hlt[Math.floor((1_100 - t.startNs) / t.binNs)]).toBeGreaterThanOrEqual(1);
  });
});
