/**
 * One small inline trace per class (Perfetto-style diff tests: tiny trace in, expected rows out). The lines use
 * real layouts: raw ftrace with 5.10+ kernel formats unless stated.
 */
import { describe, expect, it } from 'vitest';
import { mechanismCounts, run } from '../helpers.js';

const X = (ts: string, payload: string, ev = 'kvm_exit', tid = 100) =>
  `  qemu-system-x86-${tid}   [001] d.... ${ts}: ${ev}: ${payload}`;
const exit = (ts: string, reason: string, info1 = '0x0000000000000000', tid = 100) =>
  X(ts, `vcpu 0 reason ${reason} rip 0xffffffff81000000 info1 ${info1} info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000`, 'kvm_exit', tid);
const entry = (ts: string, tid = 100) => X(ts, 'vcpu 0, rip 0xffffffff81000002', 'kvm_entry', tid);
const uexit = (ts: string, reason: string, code: number) => X(ts, `reason ${reason} (${code})`, 'kvm_userspace_exit');

function one(lines: string[]) {
  const a = run(['# tracer: nop', ...lines].join('\n') + '\n').analysis;
  return a;
}

describe('classes from inline traces', () => {
  it('pio-kernel: IO exit with kvm_pio and no userspace exit (ioeventfd kick)', () => {
    const a = one([
      exit('10.000000000', 'IO_INSTRUCTION', '0x0000000000200000'),
      X('10.000000400', 'pio_write at 0x20 size 1 count 1 val 0xcd', 'kvm_pio'),
      entry('10.000001500'),
      uexit('11.000000000', 'KVM_EXIT_HLT', 5), // makes the trace one that records userspace exits
    ]);
    expect(mechanismCounts(a)).toEqual({ 'pio-kernel': 1 });
    const m = a.mechanisms[0]!;
    expect(m.p50Ns).toBe(1500);
    expect(Object.keys(m.evidence)).toEqual(['IO_INSTRUCTION+kvm_pio']);
    expect(a.devices[0]).toMatchObject({ space: 'pio', addressHex: '0x20', direction: 'write' });
  });

  it('pio-vmm with kernel and VMM phases', () => {
    const a = one([
      exit('10.000000000', 'IO_INSTRUCTION', '0x00000000003f8000'),
      X('10.000000300', 'pio_write at 0x3f8 size 1 count 1 val 0x41', 'kvm_pio'),
      uexit('10.000001000', 'KVM_EXIT_IO', 2),
      entry('10.000006000'),
    ]);
    expect(mechanismCounts(a)).toEqual({ 'pio-vmm': 1 });
    const m = a.mechanisms[0]!;
    expect(m.p50Ns).toBe(6000);
    expect(m.phases?.kernel?.p50Ns).toBe(1000);
    expect(m.phases?.vmm?.p50Ns).toBe(5000);
    expect(a.devices[0]?.name).toMatch(/COM1/);
  });

  it('pio-vmm read: kvm_pio of the read is logged after the userspace exit, still inside the round trip', () => {
    const a = one([
      exit('10.000000000', 'IO_INSTRUCTION', '0x0000000000110008'),
      uexit('10.000001000', 'KVM_EXIT_IO', 2),
      X('10.000004000', 'pio_read at 0x11 size 1 count 1 val 0x5a', 'kvm_pio'),
      entry('10.000004500'),
    ]);
    expect(mechanismCounts(a)).toEqual({ 'pio-vmm': 1 });
    expect(a.devices[0]).toMatchObject({ addressHex: '0x11', direction: 'read' });
  });

  it('mmio-fast: EPT_MISCONFIG + kvm_fast_mmio', () => {
    const a = one([
      exit('10.000000000', 'EPT_MISCONFIG'),
      X('10.000000200', 'fast mmio at gpa 0xfe003000', 'kvm_fast_mmio'),
      entry('10.000000900'),
    ]);
    expect(mechanismCounts(a)).toEqual({ 'mmio-fast': 1 });
    expect(a.devices[0]).toMatchObject({ space: 'mmio', addressHex: '0xfe003000' });
  });

  it('mmio-kernel (LAPIC EOI) and mmio-vmm, in one trace with userspace exits', () => {
    const a = one([
      exit('10.000000000', 'EPT_MISCONFIG'),
      X('10.000000500', '0:ffffffff81000000:89 0c 25 b0 00 e0 fe (prot64)', 'kvm_emulate_insn'),
      X('10.000000600', 'mmio write len 4 gpa 0xfee000b0 val 0x0', 'kvm_mmio'),
      entry('10.000002000'),
      exit('10.000010000', 'EPT_MISCONFIG'),
      X('10.000010600', 'mmio write len 4 gpa 0xfebf1000 val 0x1', 'kvm_mmio'),
      uexit('10.000011000', 'KVM_EXIT_MMIO', 6),
      entry('10.000019000'),
    ]);
    expect(mechanismCounts(a)).toEqual({ 'mmio-kernel': 1, 'mmio-vmm': 1 });
    expect(a.devices.find((d) => d.addressHex === '0xfee000b0')?.name).toMatch(/LAPIC/);
  });

  it('hypercall-kernel and hypercall-vmm', () => {
    const a = one([
      exit('10.000000000', 'VMCALL'),
      X('10.000000300', 'nr 0x5 a0 0x0 a1 0x0 a2 0x0 a3 0x0', 'kvm_hypercall'),
      entry('10.000000800'),
      exit('10.000001000', 'VMCALL'),
      X('10.000001300', 'nr 0xc a0 0x1000 a1 0x1 a2 0x0 a3 0x0', 'kvm_hypercall'),
      uexit('10.000001500', 'KVM_EXIT_HYPERCALL', 3),
      entry('10.000004000'),
    ]);
    expect(mechanismCounts(a)).toEqual({ 'hypercall-kernel': 1, 'hypercall-vmm': 1 });
  });

  it('the other classes by exit reason', () => {
    const reasons: [string, string][] = [
      ['MSR_WRITE', 'msr'],
      ['CPUID', 'cpuid'],
      ['HLT', 'hlt'],
      ['EXTERNAL_INTERRUPT', 'interrupt'],
      ['PREEMPTION_TIMER', 'timer'],
      ['APIC_WRITE', 'apic'],
      ['EPT_VIOLATION', 'page-fault'],
      ['EXCEPTION_NMI', 'exception'],
      ['PAUSE_INSTRUCTION', 'pause'],
      ['XSETBV', 'other'],
    ];
    const lines: string[] = [];
    reasons.forEach(([r], i) => {
      lines.push(exit(`10.00000${i}000`, r), entry(`10.00000${i}500`));
    });
    lines.push(uexit('11.000000000', 'KVM_EXIT_HLT', 5));
    const counts = mechanismCounts(one(lines));
    expect(counts).toEqual(Object.fromEntries(reasons.map(([, c]) => [c, 1])));
  });

  it('SVM: io → pio, npf with the RSVD bit → mmio-unknown, npf without → page-fault, plugin EXIT_ names', () => {
    const tc = (ts: string, ev: string, p: string) => ` qemu-system-x86-7 [002] ${ts}: ${ev.padEnd(21)}${p}`;
    const a = run(
      [
        'cpus=4',
        tc('5.000010', 'kvm_exit:', 'reason EXIT_IOIO rip 0xec08e info cf80140 ec08f'),
        tc('5.000013', 'kvm_entry:', 'vcpu 0, rip 0xec08f'),
        tc('5.000020', 'kvm_exit:', 'reason EXIT_NPF rip 0x1000 info 10000000f fee000b0'),
        tc('5.000023', 'kvm_entry:', 'vcpu 0, rip 0x1000'),
        tc('5.000030', 'kvm_exit:', 'reason EXIT_NPF rip 0x1000 info 100000004 7f000'),
        tc('5.000034', 'kvm_entry:', 'vcpu 0, rip 0x1000'),
      ].join('\n'),
    ).analysis;
    expect(a.input.isa).toBe('svm');
    expect(mechanismCounts(a)).toEqual({ 'pio-unknown': 1, 'mmio-unknown': 1, 'page-fault': 1 });
    expect(a.exitReasons.map((r) => r.reason).sort()).toEqual(['io', 'npf']);
    expect(a.devices[0]).toMatchObject({ addressHex: '0xcf8', direction: 'write', name: expect.stringMatching(/PCI/) });
  });

  it('without any kvm_userspace_exit in the trace, who handled PIO is unknown', () => {
    const a = one([
      exit('10.000000000', 'IO_INSTRUCTION', '0x0000000000700000'),
      X('10.000000300', 'pio_write at 0x70 size 1 count 1 val 0x8f', 'kvm_pio'),
      entry('10.000001000'),
    ]);
    expect(mechanismCounts(a)).toEqual({ 'pio-unknown': 1 });
    expect(a.notes.join(' ')).toMatch(/no kvm_userspace_exit/);
  });
});
