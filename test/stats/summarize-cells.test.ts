/**
 * The summarizer adds round trips to cells and folds them into rows before rows are read (summarize.ts `Cell`).
 * That must give exactly the rows the per-unit summarizer gave: same multiset per row, same row limits, same
 * overflow counts. The oracle is that summarizer, kept verbatim in summarize-reference.ts.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/costmodel/bootstrap.js';
import type { ClassName } from '../../src/model/classes.js';
import type { ThreadInfo } from '../../src/pair/round-trips.js';
import { Summarizer, type ClassifiedUnit } from '../../src/stats/summarize.js';
import { Summarizer as Reference } from './summarize-reference.js';

const CLASSES: ClassName[] = ['hlt', 'apic', 'pio-kernel', 'pio-vmm', 'mmio-vmm', 'mmio-fast', 'msr', 'hypercall-kernel', 'other'];
const RAW = ['HLT', 'APIC_WRITE', 'IO_INSTRUCTION', 'EPT_MISCONFIG', 'MSR_WRITE', 'VMCALL', 'io', 'npf'];

/**
 * Units over `threads` threads, `devices` device addresses and the reasons above; shared objects where the pipeline
 * shares them (thread records, reason keys, class strings), fresh device objects as classify makes them.
 */
function units(n: number, seed: number, threads: number, devices: number): ClassifiedUnit[] {
  const r = mulberry32(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const infos: ThreadInfo[] = Array.from({ length: threads }, (_, i) => ({ key: `|${1000 + i}`, comm: `CPU ${i}/KVM`, tid: 1000 + i, vcpu: i, instance: '' }));
  const reasons = RAW.map((raw, i) => Object.freeze({ isa: i < 6 ? ('vmx' as const) : ('svm' as const), raw, code: null, arm64Type: '' }));
  const out: ClassifiedUnit[] = [];
  for (let i = 0; i < n; i++) {
    const cls = pick(CLASSES);
    const withDev = cls.startsWith('pio') || cls.startsWith('mmio');
    const dur = r() < 0.05 ? null : Math.floor(r() < 0.9 ? 300 + r() * 3000 : r() * 5e6) * (r() < 0.5 ? 1000 : 1);
    const vmm = cls.endsWith('-vmm') && dur !== null;
    out.push({
      thread: pick(infos),
      cls,
      evidence: `${cls}+${pick(['', 'kvm_pio', 'kvm_mmio'])}`,
      device: withDev
        ? { space: cls.startsWith('pio') ? 'pio' : 'mmio', address: Math.floor(r() * devices) * 8, write: r() < 0.7, size: pick([1, 2, 4, 8]) }
        : null,
      rawReason: r() < 0.02 ? null : pick(reasons),
      durNs: dur,
      kernelNs: vmm ? Math.floor(dur / 3) : null,
      vmmNs: vmm ? dur - Math.floor(dur / 3) : null,
    });
  }
  return out;
}

function both(us: ClassifiedUnit[]): { cells: Summarizer; ref: Reference } {
  const cells = new Summarizer(() => 1000);
  const ref = new Reference(() => 1000);
  for (const u of us) {
    cells.add(u);
    ref.add(u);
  }
  return { cells, ref };
}

describe('summarizer cells ≡ per-unit summarizer', () => {
  it.each([
    ['few cells', 20_000, 1, 4, 8],
    ['more cells than MAX_CELLS (direct cells)', 30_000, 2, 64, 64],
    ['rows past every limit (overflow rows, forgotten cells)', 90_000, 3, 1500, 6000],
  ])('%s', (_name, n, seed, threads, devices) => {
    const { cells, ref } = both(units(n, seed, threads, devices));
    if (threads > 1024) expect(Math.min(ref.threadOverflow, ref.deviceOverflow)).toBeGreaterThan(0);
    expect(cells.finalize(false, 'vmx')).toEqual(ref.finalize(false, 'vmx'));
    expect(cells.finalize(true, 'svm')).toEqual(ref.finalize(true, 'svm'));
    expect([cells.threadOverflow, cells.deviceOverflow, cells.reasonOverflow]).toEqual([ref.threadOverflow, ref.deviceOverflow, ref.reasonOverflow]);
    // A worker's state (posted, merged by the main thread) gives the same rows too.
    const merged = new Summarizer(() => 1000);
    merged.merge(cells.toState(), () => undefined);
    expect(merged.finalize(false, 'vmx')).toEqual(ref.finalize(false, 'vmx'));
    expect(cells.overallLatency()?.stats()).toEqual(ref.overallLatency()?.stats());
    expect([...cells.classAccumulators(true)].map(([k, a]) => [k, a.stats(), a.histogram()])).toEqual(
      [...ref.classAccumulators(true)].map(([k, a]) => [k, a.stats(), a.histogram()]),
    );
  });

  it('reading rows between units (folds mid-stream) changes nothing', () => {
    const us = units(20_000, 4, 8, 32);
    const cells = new Summarizer(() => 1000);
    const ref = new Reference(() => 1000);
    us.forEach((u, i) => {
      cells.add(u);
      ref.add(u);
      if (i % 4999 === 0) cells.overallLatency();
    });
    expect(cells.finalize(false, 'vmx')).toEqual(ref.finalize(false, 'vmx'));
  });
});
