/**
 * The classifier as it was before the memo (src/classify/classify.ts at commit 996b0bc, issue #5), kept verbatim
 * except for the exported names, as the reference test/classify/cache.test.ts compares the memoized classifier
 * with. Do not "fix" or speed this copy up: it is the definition of the expected result.
 */
import type { ClassName } from '../../src/model/classes.js';
import type { AccessEvent, Isa, KvmExit, KvmUserspaceExit, TraceEvent } from '../../src/model/events.js';
import { canonicalizeReason, decodeIoInfo, type CanonicalReason } from '../../src/parse/exit-reasons.js';
import type { Classification, DeviceRef } from '../../src/classify/classify.js';

export type ReasonCategory =
  | 'io'
  | 'mmio'
  | 'npf'
  | 'page-fault'
  | 'hypercall'
  | 'msr'
  | 'cpuid'
  | 'hlt'
  | 'interrupt'
  | 'timer'
  | 'apic'
  | 'pause'
  | 'exception'
  | 'other';

const VMX_CATEGORY: Record<string, ReasonCategory> = {
  IO_INSTRUCTION: 'io',
  EPT_MISCONFIG: 'mmio',
  EPT_VIOLATION: 'page-fault',
  VMCALL: 'hypercall',
  MSR_READ: 'msr',
  MSR_WRITE: 'msr',
  MSR_READ_IMM: 'msr',
  MSR_WRITE_IMM: 'msr',
  CPUID: 'cpuid',
  HLT: 'hlt',
  EXTERNAL_INTERRUPT: 'interrupt',
  INTERRUPT_WINDOW: 'interrupt',
  PENDING_INTERRUPT: 'interrupt',
  NMI_WINDOW: 'interrupt',
  PREEMPTION_TIMER: 'timer',
  APIC_ACCESS: 'apic',
  APIC_WRITE: 'apic',
  EOI_INDUCED: 'apic',
  TPR_BELOW_THRESHOLD: 'apic',
  PAUSE_INSTRUCTION: 'pause',
  EXCEPTION_NMI: 'exception',
};

const SVM_CATEGORY: Record<string, ReasonCategory> = {
  io: 'io',
  npf: 'npf',
  hypercall: 'hypercall',
  msr: 'msr',
  cpuid: 'cpuid',
  hlt: 'hlt',
  'idle-halt': 'hlt',
  idle_halt: 'hlt',
  interrupt: 'interrupt',
  nmi: 'interrupt',
  smi: 'interrupt',
  vintr: 'interrupt',
  avic_incomplete_ipi: 'apic',
  avic_unaccelerated_access: 'apic',
  pause: 'pause',
  'PF excp': 'page-fault',
};

const ARM64_CATEGORY: Record<string, ReasonCategory> = {
  HVC32: 'hypercall',
  HVC64: 'hypercall',
  SMC32: 'hypercall',
  SMC64: 'hypercall',
  WFx: 'hlt',
  DABT_LOW: 'page-fault',
  IABT_LOW: 'page-fault',
  SYS64: 'msr',
  CP15_32: 'msr',
  CP15_64: 'msr',
};

export function reasonCategory(isa: Isa, reason: string, arm64Type = ''): ReasonCategory {
  if (isa === 'svm') {
    const c = SVM_CATEGORY[reason];
    if (c !== undefined) return c;
    return reason.endsWith(' excp') ? 'exception' : 'other';
  }
  if (isa === 'arm64') {
    if (arm64Type === 'IRQ') return 'interrupt';
    return ARM64_CATEGORY[reason] ?? 'other';
  }
  return VMX_CATEGORY[reason] ?? 'other';
}

const CATEGORY_CLASS: Record<ReasonCategory, ClassName> = {
  io: 'pio-kernel',
  mmio: 'mmio-unknown',
  npf: 'page-fault',
  'page-fault': 'page-fault',
  hypercall: 'hypercall-kernel',
  msr: 'msr',
  cpuid: 'cpuid',
  hlt: 'hlt',
  interrupt: 'interrupt',
  timer: 'timer',
  apic: 'apic',
  pause: 'pause',
  exception: 'exception',
  other: 'other',
};

const VMM_HYPERCALL_EXITS = new Set(['KVM_EXIT_HYPERCALL', 'KVM_EXIT_XEN', 'KVM_EXIT_HYPERV']);

/** Memo of canonical reasons: the same few dozen raw names repeat millions of times. */
const reasonMemo = new Map<string, Map<Isa, CanonicalReason>>();
const REASON_MEMO_MAX = 4096;

export function canonicalOf(exit: KvmExit, isaHint: Isa): CanonicalReason {
  if (exit.isa === 'arm64' && exit.arm64 !== undefined) {
    return { isa: 'arm64', reason: exit.arm64.ecName, code: exit.arm64.ec, flags: [], known: true };
  }
  const isa = exit.isa !== 'unknown' ? exit.isa : isaHint;
  if (exit.exitCode !== null) return canonicalizeReason(exit.rawReason, isa, exit.exitCode);
  // Keyed by the printed name, then the ISA: no key string per exit.
  let byIsa = reasonMemo.get(exit.rawReason);
  if (byIsa === undefined) {
    if (reasonMemo.size >= REASON_MEMO_MAX) return canonicalizeReason(exit.rawReason, isa, null);
    byIsa = new Map();
    reasonMemo.set(exit.rawReason, byIsa);
  }
  let r = byIsa.get(isa);
  if (r === undefined) {
    r = canonicalizeReason(exit.rawReason, isa, null);
    byIsa.set(isa, r);
  }
  return r;
}

interface Evidence {
  fast: AccessEvent | null;
  mmio: AccessEvent | null;
  pio: AccessEvent | null;
  hypercall: AccessEvent | null;
  msr: boolean;
  cpuid: boolean;
  pageFault: boolean;
  emulate: boolean;
  uexit: KvmUserspaceExit | null;
}

function gather(children: readonly TraceEvent[]): Evidence {
  const ev: Evidence = {
    fast: null,
    mmio: null,
    pio: null,
    hypercall: null,
    msr: false,
    cpuid: false,
    pageFault: false,
    emulate: false,
    uexit: null,
  };
  for (const c of children) {
    switch (c.kind) {
      case 'fast_mmio':
        ev.fast ??= c;
        break;
      case 'mmio':
        ev.mmio ??= c;
        break;
      case 'pio':
        ev.pio ??= c;
        break;
      case 'hypercall':
        ev.hypercall ??= c;
        break;
      case 'msr':
        ev.msr = true;
        break;
      case 'cpuid':
        ev.cpuid = true;
        break;
      case 'page_fault':
        ev.pageFault = true;
        break;
      case 'emulate_insn':
        ev.emulate = true;
        break;
      case 'userspace_exit':
        // `restart` (-EINTR) is not a hand-off: KVM_RUN was interrupted by a signal.
        if (ev.uexit === null && c.reason !== 'restart') ev.uexit = c;
        break;
      default:
        break;
    }
  }
  return ev;
}

function deviceOfAccess(a: AccessEvent | null): DeviceRef | null {
  if (a === null) return null;
  switch (a.kind) {
    case 'pio':
      return { space: 'pio', address: a.port, write: a.write, size: a.size };
    case 'mmio':
      return { space: 'mmio', address: a.gpa, write: a.op === 'write', size: a.len };
    case 'fast_mmio':
      return { space: 'mmio', address: a.gpa, write: true, size: 0 };
    default:
      return null;
  }
}

function sig(parts: (string | false | null | undefined)[]): string {
  return parts.filter((p): p is string => typeof p === 'string' && p !== '').join('+');
}

/** Evidence signatures repeat: memoize by (reason, tags, userspace exit) so no string is built per round trip. */
const sigMemo = new Map<string, Map<string, string>>();
const SIG_MEMO_MAX = 4096;
function sigOf(r: string, tags: readonly string[], u: string): string {
  const tk = tags.length === 0 ? '' : tags.length === 1 ? tags[0]! : tags.join('+');
  const k2 = `${tk}\u0000${u}`;
  let m = sigMemo.get(r);
  if (m === undefined) {
    if (sigMemo.size >= SIG_MEMO_MAX) return sig([r, ...tags, u]);
    m = new Map();
    sigMemo.set(r, m);
  }
  let v = m.get(k2);
  if (v === undefined) {
    v = sig([r, ...tags, u]);
    if (m.size < SIG_MEMO_MAX) m.set(k2, v);
  }
  return v;
}

/** Classify one round trip (exit + the KVM events before its entry). */
export function referenceClassifyRoundTrip(exit: KvmExit, children: readonly TraceEvent[], isaHint: Isa): Classification {
  const reason = canonicalOf(exit, isaHint);
  const r = reason.reason === '' ? '?' : reason.reason;
  const cat = reasonCategory(reason.isa, reason.reason, exit.arm64?.type);
  const ev = gather(children);
  const u = ev.uexit?.reason ?? '';
  const base = classifyEvidence(ev, cat, reason.isa, exit.info1);
  return {
    cls: base.cls,
    evidence: sigOf(r, base.tags, u),
    device: base.device,
    reason,
  };
}

/** Classify an access group (no kvm_exit): the same rules without an exit reason. */
export function referenceClassifyAccess(children: readonly TraceEvent[]): Classification {
  const ev = gather(children);
  const u = ev.uexit?.reason ?? '';
  const base = classifyEvidence(ev, null, 'unknown', '');
  return { cls: base.cls, evidence: sig([...base.tags, u]) || 'no-access', device: base.device, reason: null };
}

function classifyEvidence(
  ev: Evidence,
  cat: ReasonCategory | null,
  isa: Isa,
  info1: string,
): { cls: ClassName; tags: string[]; device: DeviceRef | null } {
  const u = ev.uexit?.reason ?? '';
  if (ev.fast !== null) return { cls: 'mmio-fast', tags: ['kvm_fast_mmio'], device: deviceOfAccess(ev.fast) };
  if (ev.mmio !== null) {
    return {
      cls: u === 'KVM_EXIT_MMIO' ? 'mmio-vmm' : 'mmio-kernel',
      tags: ['kvm_mmio'],
      device: deviceOfAccess(ev.mmio),
    };
  }
  if (ev.pio !== null) {
    return { cls: u === 'KVM_EXIT_IO' ? 'pio-vmm' : 'pio-kernel', tags: ['kvm_pio'], device: deviceOfAccess(ev.pio) };
  }
  if (ev.hypercall !== null || cat === 'hypercall') {
    return {
      cls: VMM_HYPERCALL_EXITS.has(u) ? 'hypercall-vmm' : 'hypercall-kernel',
      tags: ev.hypercall !== null ? [hypercallTag(ev.hypercall)] : [],
      device: null,
    };
  }
  if (cat === 'io') {
    const io = decodeIoInfo(isa, info1);
    return {
      cls: u === 'KVM_EXIT_IO' ? 'pio-vmm' : 'pio-kernel',
      tags: [],
      device: io === null ? null : { space: 'pio', address: io.port, write: io.write, size: io.size },
    };
  }
  const npfMmio = cat === 'npf' && npfReservedBit(info1);
  if (cat === 'mmio' || npfMmio) {
    return { cls: u === 'KVM_EXIT_MMIO' ? 'mmio-vmm' : 'mmio-unknown', tags: npfMmio ? ['RSVD'] : [], device: null };
  }
  if (u === 'KVM_EXIT_IO') return { cls: 'pio-vmm', tags: [], device: null };
  if (u === 'KVM_EXIT_MMIO') return { cls: 'mmio-vmm', tags: [], device: null };
  if (ev.msr || cat === 'msr') return { cls: 'msr', tags: ev.msr ? ['kvm_msr'] : [], device: null };
  if (ev.cpuid || cat === 'cpuid') return { cls: 'cpuid', tags: ev.cpuid ? ['kvm_cpuid'] : [], device: null };
  if (cat === null) {
    if (u === 'KVM_EXIT_HLT') return { cls: 'hlt', tags: [], device: null };
    return { cls: 'other', tags: ev.emulate ? ['kvm_emulate_insn'] : [], device: null };
  }
  if (cat === 'exception' && ev.pageFault) return { cls: 'page-fault', tags: ['kvm_page_fault'], device: null };
  return { cls: CATEGORY_CLASS[cat], tags: [], device: null };
}

function hypercallTag(h: AccessEvent): string {
  if (h.kind !== 'hypercall') return 'kvm_hypercall';
  return h.flavor === 'kvm' ? 'kvm_hypercall' : `kvm_${h.flavor === 'hyperv' ? 'hv' : 'xen'}_hypercall`;
}

/** SVM NPF exitinfo1 is the page-fault error code; bit 3 (PFERR_RSVD) marks KVM's MMIO SPTEs. */
function npfReservedBit(info1: string): boolean {
  if (info1 === '') return false;
  const low = Number.parseInt(info1.slice(-4), 16);
  return Number.isFinite(low) && (low & 0x8) !== 0;
}
