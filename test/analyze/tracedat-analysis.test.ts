/**
 * trace.dat through the whole pipeline: the binary read directly gives the same analysis counts as its text
 * report, with nanosecond instead of microsecond timestamps.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../src/analyze.js';
import { cli, fixture, HAS_SHARED_LARGE, mechanismCounts, sharedLarge } from '../helpers.js';

describe('analyze trace.dat', () => {
  it('lab trace.dat (v7 zstd): the lab ground truth, ns resolution', async () => {
    const { analysis: a } = await analyzeFiles([fixture('tracedat', 'lab-trace-cmd_user-v7-zstd.dat')]);
    expect(a.input).toMatchObject({ format: 'trace-dat', timestampResolutionNs: 1, timeUnit: 'ns' });
    expect(mechanismCounts(a)).toEqual({ 'pio-vmm': 2025, 'pio-kernel': 1000, 'mmio-vmm': 1000, 'mmio-kernel': 2000, cpuid: 1000 });
    expect(a.input.events).toBe(25133);
  });

  it.skipIf(!HAS_SHARED_LARGE)('large v7 zlib capture: same round trips per exit reason as its trace-cmd report', async () => {
    const bin = (await analyzeFiles([sharedLarge('04-hip24-thesis-host-2vms-6k.trace.dat')])).analysis;
    const txt = (await analyzeFiles([sharedLarge('04-hip24-thesis-host-2vms-6k.report-derived.txt')])).analysis;
    expect(bin.roundTrips).toEqual({ ...txt.roundTrips, vcpuTimeNs: bin.roundTrips.vcpuTimeNs });
    const counts = (x: typeof bin) => Object.fromEntries(x.exitReasons.map((r) => [r.reason, r.count]));
    expect(counts(bin)).toEqual(counts(txt));
    // Same round trips, finer clock: totals agree within the report's µs rounding (±0.5 µs per timestamp).
    for (const r of bin.exitReasons) {
      const t = txt.exitReasons.find((x) => x.reason === r.reason)!;
      expect(Math.abs(r.totalNs! - t.totalNs!)).toBeLessThanOrEqual(r.count * 1000);
    }
  });

  it('CLI: a truncated trace.dat exits 2 naming the section and offset; trace.dat on stdin is refused clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'exitlens-dat-'));
    try {
      const whole = readFileSync(fixture('tracedat', 'kvm-user-v6.dat'));
      const cut = join(dir, 'cut.dat');
      writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 3)));
      const r = cli(['analyze', cut]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cut\.dat/);
      expect(r.stderr).toMatch(/offset/i);
      const s = cli(['analyze', '-'], whole);
      expect(s.code).toBe(2);
      expect(s.stderr).toMatch(/binary trace\.dat; it is read directly only from a file path/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
