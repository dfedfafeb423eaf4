/** `trace-cmd report` text: prologue, padded names, plugin payloads, multi-file prefixes, DROPPED markers. */
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../src/analyze.js';
import { sniffTraceCmd } from '../../src/parse/trace-cmd-report.js';
import { read, sniffed } from './formats.helpers.js';

describe('trace-cmd report', () => {
  it('sniffs real reports and rejects other formats', () => {
    expect(sniffed(read('public', '020-kvm-list-2019-jailhouse-nested-loop-trace-cmd.txt'))).toBe('trace-cmd');
    expect(sniffed(read('public', '016-blog-qemu-kvm-1gb-pages-trace-cmd-report.txt'))).toBe('trace-cmd');
    expect(sniffed(read('public', '026-trappy-test-trace-cmd-report-header-dropped-nonkvm.txt'))).toBe('trace-cmd');
    expect(sniffTraceCmd(read('public', '003-github-kvm-example-aout-trace-pipe.txt').split('\n'))).toBeLessThan(0.5);
    expect(sniffTraceCmd(['hello', 'world'])).toBe(0);
  });

  it('nested VMware-backdoor loop (#020): pio-vmm with kernel/VMM phases, plugin nested_vmexit counted', () => {
    const a = analyzeText(read('public', '020-kvm-list-2019-jailhouse-nested-loop-trace-cmd.txt')).analysis;
    expect(a.input.eventCounts).toMatchObject({ kvm_exit: 2, kvm_entry: 2, kvm_nested_vmexit: 3, kvm_pio: 2, kvm_userspace_exit: 2 });
    expect(a.mechanisms).toHaveLength(1);
    expect(a.mechanisms[0]).toMatchObject({ mechanism: 'pio-vmm', count: 1, p50Ns: 55000 });
    expect(a.mechanisms[0]?.phases?.kernel?.p50Ns).toBe(3000);
    expect(a.mechanisms[0]?.phases?.vmm?.p50Ns).toBe(52000);
  });

  it('prologue (version, cpus=) and DROPPED markers are accounted for (#026)', () => {
    const a = analyzeText(read('public', '026-trappy-test-trace-cmd-report-header-dropped-nonkvm.txt')).analysis;
    expect(a.input.eventCounts.lost_events).toBe(1);
    expect(a.input.diagnostics.byCode.find((d) => d.code === 'lost_events')?.count).toBe(204600);
    expect(a.input.events + a.input.nonEventLines + a.input.unrecognizedLines).toBe(a.input.lines);
  });

  it('integer timestamps and plugin SVM names (#028)', () => {
    const a = analyzeText(read('public', '028-python-comment-trace-cmd-raw-ts-amd-exit-ioio.txt')).analysis;
    expect(a.input.timeUnit).toBe('ticks');
    expect(a.input.isa).toBe('svm');
    expect(a.roundTrips.exits).toBe(1);
  });

  it('multi-file prefixes key threads by file, and flags column of trace-cmd ≥ 3.3', () => {
    const t = [
      'host.dat: cpus=2',
      'vm2.dat: cpus=2',
      'host.dat: qemu-100 [000] d..1. 5.000001: kvm_exit:             reason HLT rip 0x1 info 0 0',
      ' vm2.dat: qemu-100 [001] d..1. 5.000002: kvm_exit:             reason MSR_WRITE rip 0x1 info 0 0',
      'host.dat: qemu-100 [000] d..1. 5.000009: kvm_entry:            vcpu 0, rip 0x1',
      ' vm2.dat: qemu-100 [001] d..1. 5.000004: kvm_entry:            vcpu 0, rip 0x1',
    ].join('\n');
    const a = analyzeText(t).analysis;
    expect(a.roundTrips.complete).toBe(2);
    expect(a.vcpus.map((v) => v.thread).sort()).toEqual(['host.dat:qemu-100/vcpu0', 'vm2.dat:qemu-100/vcpu0']);
    expect(Object.fromEntries(a.mechanisms.map((m) => [m.mechanism, m.maxNs]))).toEqual({ hlt: 8000, msr: 2000 });
  });
});
