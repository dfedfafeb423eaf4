/**
 * Larger real captures (../shared/fixtures/large, Intel VMX host, two VMs at once whose threads both print
 * `vcpu 0`): per-exit-reason counts and latency statistics must agree with an independent per-thread pairing
 * written here from scratch (a plain regex and a Map, the way a user would script it). Skipped when ../shared is
 * absent (a user's clone); these files are never copied into the repo.
 */
import { readFileSync } from 'node:fs';
import { quantileSorted } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../src/analyze.js';
import { EXACT_LIMIT } from '../../src/stats/accumulator.js';
import { HAS_SHARED_LARGE, sharedLarge } from '../helpers.js';

const FILES = [
  '01-hip24-thesis-host-2vms-110k.report-derived.txt',
  '02-hip24-thesis-host-2vms-23k.report-derived.txt',
  '03-hip24-thesis-host-1vcpu-9k.report-derived.txt',
  '04-hip24-thesis-host-2vms-6k.report-derived.txt',
  '05-hip24-thesis-host-report-all-events.txt',
];

/** Independent pairing: key = the `comm-tid` text before ` [cpu]`, durations in µs from the printed seconds. */
function independent(text: string): Map<string, number[]> {
  const re = /^\s*(.+?-\d+)\s+\[\d+\]\s+(\d+)\.(\d{6}):\s+(kvm_exit|kvm_entry):\s+(?:reason (\S+))?/;
  const open = new Map<string, { us: number; reason: string }>();
  const out = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (m === null) continue;
    const us = (Number(m[2]) - 10000) * 1e6 + Number(m[3]);
    if (m[4] === 'kvm_exit') open.set(m[1]!, { us, reason: m[5]! });
    else {
      const x = open.get(m[1]!);
      if (x === undefined) continue;
      open.delete(m[1]!);
      const list = out.get(x.reason) ?? [];
      list.push((us - x.us) * 1000);
      out.set(x.reason, list);
    }
  }
  return out;
}

describe.skipIf(!HAS_SHARED_LARGE)('large real captures agree with an independent pairing', () => {
  it.each(FILES)('%s', async (name) => {
    const path = sharedLarge(name);
    const ref = independent(readFileSync(path, 'utf8'));
    const { analysis: a } = await analyzeFiles([path]);
    expect(a.mode).toBe('round-trips');
    const rows = new Map(a.exitReasons.map((r) => [r.reason, r]));
    expect([...rows.keys()].sort()).toEqual([...ref.keys()].sort());
    let total = 0;
    for (const [reason, durs] of ref) {
      const r = rows.get(reason)!;
      total += durs.length;
      durs.sort((x, y) => x - y);
      expect(r.count, reason).toBe(durs.length);
      expect(r.minNs).toBe(durs[0]);
      expect(r.maxNs).toBe(durs[durs.length - 1]);
      expect(r.totalNs).toBe(durs.reduce((s, d) => s + d, 0));
      expect(r.meanNs! / (durs.reduce((s, d) => s + d, 0) / durs.length)).toBeCloseTo(1, 9);
      for (const [p, got] of [
        [0.5, r.p50Ns],
        [0.9, r.p90Ns],
        [0.99, r.p99Ns],
      ] as const) {
        if (durs.length <= EXACT_LIMIT) {
          expect(got, `${reason} p${p * 100}`).toBeCloseTo(quantileSorted(durs, p), 6);
        } else {
          // HdrHistogram, 3 significant digits: nearest rank within 0.1 % (µs-quantized values below 2048 µs exact).
          const want = durs[Math.ceil(p * durs.length) - 1]!;
          expect(Math.abs(got! - want), `${reason} p${p * 100}`).toBeLessThanOrEqual(Math.max(1e-9, want * 0.001));
        }
      }
    }
    expect(a.roundTrips.complete).toBe(total);
  });

  it('01: two VMs, three vCPU threads, two of them vcpu 0', async () => {
    const { analysis: a } = await analyzeFiles([sharedLarge(FILES[0]!)]);
    expect(a.vcpus.map((v) => v.thread).sort()).toEqual([
      'CPU 0/KVM-453724/vcpu0',
      'CPU 1/KVM-453725/vcpu1',
      'qemu-system-x86-483882/vcpu0',
    ]);
    expect(a.roundTrips).toMatchObject({ exits: 94147, entries: 94147 });
  });
});
