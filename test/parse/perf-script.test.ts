/** `perf script` text: default fields, --ns, -F subsets, pid/tid, right-aligned sys:event names. */
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../src/analyze.js';
import { sniffPerfScript } from '../../src/parse/perf-script.js';
import { read, sniffed } from './formats.helpers.js';

const line = (comm: string, tid: string, cpu: string, ts: string, ev: string, p: string) =>
  `${comm.padStart(16)} ${tid.padStart(7)} [${cpu}] ${ts}: ${`kvm:${ev}`.padStart(22)}: ${p}`;

describe('perf script', () => {
  it('sniffs perf output (#013) and not ftrace/trace-cmd', () => {
    expect(sniffed(read('public', '013-kvm-list-2022-perf-record-triple-fault.txt'))).toBe('perf-script');
    expect(sniffPerfScript(read('public', '003-github-kvm-example-aout-trace-pipe.txt').split('\n'))).toBe(0);
    expect(sniffPerfScript(read('public', '020-kvm-list-2019-jailhouse-nested-loop-trace-cmd.txt').split('\n'))).toBe(0);
  });

  it('columns cut by the author (#013): events counted, TRIPLE_FAULT exit handed to userspace', () => {
    const a = analyzeText(read('public', '013-kvm-list-2022-perf-record-triple-fault.txt')).analysis;
    expect(a.input.format).toBe('perf-script');
    expect(a.input.eventCounts).toMatchObject({ kvm_entry: 1, kvm_exit: 1, kvm_fpu: 1, kvm_userspace_exit: 1 });
    expect(a.roundTrips).toMatchObject({ exits: 1, entries: 1, orphanExits: 1, orphanEntries: 1 });
  });

  it('default fields with comms containing spaces, --ns timestamps, pid/tid', () => {
    const t = [
      line('CPU 0/KVM', '699876', '020', '18136.763707123', 'kvm_exit', 'reason EPT_MISCONFIG rip 0xffffffff8155ad2e info 0 0'),
      line('CPU 0/KVM', '699876', '020', '18136.763707923', 'kvm_fast_mmio', 'fast mmio at gpa 0xfe003000'),
      line('CPU 0/KVM', '699876', '020', '18136.763708456', 'kvm_entry', 'vcpu 0, rip 0xffffffff8155ad31'),
      line('fc_vcpu 1', '599500', '039', '18136.763709000', 'kvm_exit', 'reason HLT rip 0x1 info 0 0'),
      `        qemu-kvm  1200/599500 [039] 18136.763711500:              kvm:kvm_entry:  vcpu 1 rip 0xffffffff81036706`,
    ].join('\n');
    const a = analyzeText(t).analysis;
    expect(a.input).toMatchObject({ format: 'perf-script', timestampResolutionNs: 1 });
    expect(Object.fromEntries(a.mechanisms.map((m) => [m.mechanism, m.p50Ns]))).toEqual({ 'mmio-fast': 1333, hlt: 2500 });
    expect(a.vcpus.map((v) => v.thread).sort()).toEqual(['CPU 0/KVM-699876/vcpu0', 'fc_vcpu 1-599500/vcpu1']);
  });
});
