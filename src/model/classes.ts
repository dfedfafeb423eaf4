/**
 * Round-trip classes. Every round trip (or, without kvm_exit/kvm_entry, every access) gets exactly one.
 *
 * Communication mechanisms (names fixed by ../docs: background.md):
 *   hypercall-kernel  vmcall/vmmcall handled by KVM
 *   hypercall-vmm     forwarded to the VMM (KVM_EXIT_HYPERCALL)
 *   pio-kernel        port I/O handled in KVM: ioeventfd kick or in-kernel device (PIT, PIC, ELCR…)
 *   pio-vmm           port I/O emulated by the VMM (KVM_EXIT_IO)
 *   mmio-fast         wildcard (len 0) ioeventfd on the EPT-misconfig fast path (kvm_fast_mmio)
 *   mmio-kernel       MMIO emulated in KVM after a walk and decode (LAPIC, IOAPIC, datamatch ioeventfd)
 *   mmio-vmm          MMIO emulated by the VMM (KVM_EXIT_MMIO)
 *   *-unknown         the trace cannot tell who handled it (it holds no kvm_userspace_exit events at all)
 * Other exits:
 *   msr, cpuid, hlt, interrupt (external interrupt, NMI, interrupt/NMI window), timer (VMX preemption timer),
 *   apic (APIC access/write, EOI induced, TPR below threshold, AVIC), page-fault (EPT violation, NPF without the
 *   reserved bit), exception (EXCEPTION_NMI and SVM exception intercepts without other evidence), pause
 *   (PAUSE/PLE), other (everything else: CR/DR access, XSETBV, INVLPG, triple fault, …).
 */
export const MECHANISMS = [
  'hypercall-kernel',
  'hypercall-vmm',
  'hypercall-unknown',
  'pio-kernel',
  'pio-vmm',
  'pio-unknown',
  'mmio-fast',
  'mmio-kernel',
  'mmio-vmm',
  'mmio-unknown',
] as const;

export const OTHER_CLASSES = [
  'msr',
  'cpuid',
  'hlt',
  'interrupt',
  'timer',
  'apic',
  'page-fault',
  'exception',
  'pause',
  'other',
] as const;

export type Mechanism = (typeof MECHANISMS)[number];
export type OtherClass = (typeof OTHER_CLASSES)[number];
export type ClassName = Mechanism | OtherClass;

export const ALL_CLASSES: readonly ClassName[] = [...MECHANISMS, ...OTHER_CLASSES];

export function isMechanism(c: string): c is Mechanism {
  return (MECHANISMS as readonly string[]).includes(c);
}

export function isClassName(c: string): c is ClassName {
  return (ALL_CLASSES as readonly string[]).includes(c);
}

/** Who handled a communication round trip. */
export type Handler = 'kernel' | 'vmm' | 'unknown' | 'fast';
