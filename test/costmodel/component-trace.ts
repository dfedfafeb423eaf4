/**
 * Inline trace built from known component costs (for the fit tests): raw ftrace text, ns timestamps, 5.10+
 * kvm_exit payloads, one vCPU thread. Every round trip lasts exactly the sum of its components plus a small
 * deterministic noise term, so a correct fit must recover the components within its interval.
 */
export interface Components {
  kernel: number;
  decode: number;
  userspace: number;
}

export type FitClass = 'hypercall-kernel' | 'pio-kernel' | 'mmio-fast' | 'mmio-kernel' | 'pio-vmm' | 'mmio-vmm';

const X = (ns: number, ev: string, payload: string) => `  qemu-system-x86-100   [001] d.... ${ts(ns)}: ${ev}: ${payload}`;

function ts(ns: number): string {
  return `${Math.floor(ns / 1e9)}.${String(ns % 1e9).padStart(9, '0')}`;
}

const exit = (ns: number, reason: string, info1 = '0x0000000000000000') =>
  X(ns, 'kvm_exit', `vcpu 0 reason ${reason} rip 0xffffffff81000000 info1 ${info1} info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000`);
const entry = (ns: number) => X(ns, 'kvm_entry', 'vcpu 0, rip 0xffffffff81000002');

/** Noise in [-amp, amp], deterministic in i (a multiplicative hash), mean ≈ 0. */
export function noise(i: number, amp: number): number {
  return (((i * 7919) % 101) / 100) * 2 * amp - amp;
}

export function expectedNs(cls: FitClass, c: Components): number {
  const decode = cls === 'mmio-kernel' || cls === 'mmio-vmm' ? c.decode : 0;
  const hop = cls.endsWith('-vmm') ? c.userspace : 0;
  return c.kernel + decode + hop;
}

/** `perClass` round trips of each class, interleaved, 20 µs apart; noise amplitude `amp` ns. */
export function componentTrace(c: Components, classes: readonly FitClass[], perClass: number, amp = 40): string {
  const L = ['# tracer: nop'];
  let t = 5_000_000_000;
  let i = 0;
  for (let k = 0; k < perClass; k++) {
    for (const cls of classes) {
      const dur = Math.round(expectedNs(cls, c) + noise(i++, amp));
      const mid = t + Math.min(100, Math.floor(dur / 3));
      switch (cls) {
        case 'hypercall-kernel':
          L.push(exit(t, 'VMCALL'), X(mid, 'kvm_hypercall', 'nr 0x5 a0 0x0 a1 0x0 a2 0x0 a3 0x0'));
          break;
        case 'pio-kernel':
          L.push(exit(t, 'IO_INSTRUCTION', '0x0000000000200000'), X(mid, 'kvm_pio', 'pio_write at 0x20 size 1 count 1 val 0x1'));
          break;
        case 'pio-vmm':
          L.push(
            exit(t, 'IO_INSTRUCTION', '0x00000000003f8000'),
            X(mid, 'kvm_pio', 'pio_write at 0x3f8 size 1 count 1 val 0x41'),
            X(mid + 1, 'kvm_userspace_exit', 'reason KVM_EXIT_IO (2)'),
          );
          break;
        case 'mmio-fast':
          L.push(exit(t, 'EPT_MISCONFIG'), X(mid, 'kvm_fast_mmio', 'fast mmio at gpa 0xfe003000'));
          break;
        case 'mmio-kernel':
          L.push(
            exit(t, 'EPT_MISCONFIG'),
            X(mid, 'kvm_emulate_insn', '0:ffffffff81000000:89 0c 25 b0 00 e0 fe (prot64)'),
            X(mid + 1, 'kvm_mmio', 'mmio write len 4 gpa 0xfee000b0 val 0x0'),
          );
          break;
        case 'mmio-vmm':
          L.push(
            exit(t, 'EPT_MISCONFIG'),
            X(mid, 'kvm_mmio', 'mmio write len 4 gpa 0xfebf1000 val 0x1'),
            X(mid + 1, 'kvm_userspace_exit', 'reason KVM_EXIT_MMIO (6)'),
          );
          break;
      }
      L.push(entry(t + dur));
      t += 20_000;
    }
  }
  return `${L.join('\n')}\n`;
}
