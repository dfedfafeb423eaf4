/**
 * Classification: one class per round trip (or access), from the evidence the trace holds, with the evidence kept
 * so a user can ask why. Pure functions; ordering of rules = strength of evidence:
 *
 *   1. kvm_fast_mmio inside                                  → mmio-fast
 *   2. kvm_mmio inside                                        → mmio-vmm with KVM_EXIT_MMIO, else mmio-kernel
 *   3. kvm_pio inside                                         → pio-vmm with KVM_EXIT_IO, else pio-kernel
 *   4. kvm_hypercall / kvm_hv_hypercall / kvm_xen_hypercall,
 *      or a VMCALL/VMMCALL/HVC exit                           → hypercall-vmm with KVM_EXIT_HYPERCALL/XEN/HYPERV,
 *                                                               else hypercall-kernel
 *   5. IO exit (IO_INSTRUCTION, io)                           → pio-vmm with KVM_EXIT_IO, else pio-kernel
 *   6. EPT_MISCONFIG, or SVM npf with the RSVD bit (bit 3) in exitinfo1 (KVM's MMIO SPTEs fault with RSVD):
 *      the MMIO path, but without kvm_mmio/kvm_fast_mmio the trace cannot tell the fast path from emulation
 *                                                             → mmio-vmm with KVM_EXIT_MMIO, else mmio-unknown
 *   7. a userspace exit KVM_EXIT_IO / KVM_EXIT_MMIO with no other evidence → pio-vmm / mmio-vmm
 *   8. kvm_msr / MSR exits → msr; kvm_cpuid / CPUID → cpuid; then the exit reason's category.
 * "-kernel" results are provisional: when the whole trace holds no kvm_userspace_exit event, nothing could have
 * shown a VMM hand-off, and the summary relabels them "-unknown" (see `unknownWithoutUserspaceExits`).
 *
 * Speed (issue #5): a busy trace repeats a few dozen (exit reason, evidence) combinations millions of times, so
 * `classifyRoundTrip` memoizes the result per combination. The key needs no string or array per round trip: the
 * exit reason's entry is found by its printed name (then ISA / code), the evidence is a bit mask gathered in one
 * pass over the children plus a small integer for the userspace-exit reason. A hit returns the cached
 * classification (frozen, shared) or, when the round trip names a device, a fresh one with that device. Every memo
 * is bounded (garbage reasons cannot grow memory); past a bound the uncached rules run, with the same result.
 * test/classify/cache.test.ts holds the cached path to the pre-cache implementation over every fixture.
 */
import type { ClassName } from '../model/classes.js';
import type {
  AccessEvent,
  ExitBody,
  Isa,
  KvmFastMmio,
  KvmHypercall,
  KvmMmio,
  KvmPio,
  KvmUserspaceExit,
  TraceEvent,
} from '../model/events.js';
import { canonicalizeReason, decodeIoInfo, type CanonicalReason } from '../parse/exit-reasons.js';
import { mmioDeviceName, pioDeviceName } from './devices.js';

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

export interface DeviceRef {
  space: 'pio' | 'mmio';
  address: number;
  write: boolean;
  size: number;
}

export interface Classification {
  cls: ClassName;
  /** Evidence signature, e.g. `IO_INSTRUCTION+kvm_pio+KVM_EXIT_IO`. */
  evidence: string;
  device: DeviceRef | null;
  /** Canonical exit reason (round trips only). */
  reason: CanonicalReason | null;
}

const VMM_HYPERCALL_EXITS = new Set(['KVM_EXIT_HYPERCALL', 'KVM_EXIT_XEN', 'KVM_EXIT_HYPERV']);

/** Memo of canonical reasons: the same few dozen raw names repeat millions of times. */
const reasonMemo = new Map<string, Map<Isa, CanonicalReason>>();
const REASON_MEMO_MAX = 4096;

export function canonicalOf(exit: ExitBody, isaHint: Isa): CanonicalReason {
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

/** Classify one round trip (exit + the KVM events before its entry); memoized, see the header. */
export function classifyRoundTrip(exit: ExitBody, children: readonly TraceEvent[], isaHint: Isa): Classification {
  const entry = reasonEntryOf(exit, isaHint);
  if (entry === null) return classifyRoundTripUncached(exit, children, isaHint);
  // `gather` without the object: the first access of each kind, the first handing-off userspace exit, flag bits.
  let fast: KvmFastMmio | null = null;
  let mmio: KvmMmio | null = null;
  let pio: KvmPio | null = null;
  let hypercall: KvmHypercall | null = null;
  let uexit: KvmUserspaceExit | null = null;
  let mask = 0;
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    switch (c.kind) {
      case 'fast_mmio':
        if (fast === null) fast = c;
        break;
      case 'mmio':
        if (mmio === null) mmio = c;
        break;
      case 'pio':
        if (pio === null) pio = c;
        break;
      case 'hypercall':
        if (hypercall === null) hypercall = c;
        break;
      case 'msr':
        mask |= EV_MSR;
        break;
      case 'cpuid':
        mask |= EV_CPUID;
        break;
      case 'page_fault':
        mask |= EV_PAGE_FAULT;
        break;
      case 'emulate_insn':
        mask |= EV_EMULATE;
        break;
      case 'userspace_exit':
        // `restart` (-EINTR) is not a hand-off: KVM_RUN was interrupted by a signal.
        if (uexit === null && c.reason !== 'restart') uexit = c;
        break;
      default:
        break;
    }
  }
  if (fast !== null) mask |= EV_FAST;
  if (mmio !== null) mask |= EV_MMIO;
  if (pio !== null) mask |= EV_PIO;
  if (hypercall !== null) mask |= hypercall.flavor === 'kvm' ? EV_HC_KVM : hypercall.flavor === 'hyperv' ? EV_HC_HV : EV_HC_XEN;
  if (entry.cat === 'npf' && npfReservedBit(exit.info1)) mask |= EV_RSVD;
  let key = mask;
  if (uexit !== null) {
    const id = uexitId(uexit.reason);
    if (id === 0) return classifyRoundTripUncached(exit, children, isaHint);
    key += id * EV_KEYS;
  }
  let hit = entry.byEvidence.get(key);
  if (hit === undefined) {
    if (entry.byEvidence.size >= EVIDENCE_MEMO_MAX) return classifyRoundTripUncached(exit, children, isaHint);
    const ev: Evidence = {
      fast,
      mmio,
      pio,
      hypercall,
      msr: (mask & EV_MSR) !== 0,
      cpuid: (mask & EV_CPUID) !== 0,
      pageFault: (mask & EV_PAGE_FAULT) !== 0,
      emulate: (mask & EV_EMULATE) !== 0,
      uexit,
    };
    const base = classifyEvidence(ev, entry.cat, exit.info1);
    const evidence = sig([entry.r, ...base.tags, uexit?.reason ?? '']);
    hit = {
      deviceFrom: base.deviceFrom,
      plain: Object.freeze({ cls: base.cls, evidence, device: null, reason: entry.reason }),
    };
    entry.byEvidence.set(key, hit);
  }
  let device: DeviceRef | null;
  switch (hit.deviceFrom) {
    case null:
      return hit.plain;
    case 'fast':
      device = deviceOfAccess(fast);
      break;
    case 'mmio':
      device = deviceOfAccess(mmio);
      break;
    case 'pio':
      device = deviceOfAccess(pio);
      break;
    case 'io':
      device = ioDevice(entry.reason.isa, exit.info1);
      if (device === null) return hit.plain;
      break;
  }
  return { cls: hit.plain.cls, evidence: hit.plain.evidence, device, reason: entry.reason };
}

/** The rules without the memo (past the memo bounds, and the reference the memoized path is tested against). */
export function classifyRoundTripUncached(exit: ExitBody, children: readonly TraceEvent[], isaHint: Isa): Classification {
  const reason = canonicalOf(exit, isaHint);
  const r = reason.reason === '' ? '?' : reason.reason;
  const cat = reasonCategory(reason.isa, reason.reason, exit.arm64?.type);
  const ev = gather(children);
  const u = ev.uexit?.reason ?? '';
  const base = classifyEvidence(ev, cat, exit.info1);
  return {
    cls: base.cls,
    evidence: sig([r, ...base.tags, u]),
    device: deviceFor(base.deviceFrom, ev, reason.isa, exit.info1),
    reason,
  };
}

// Evidence bits of the memo key (the userspace-exit reason's id is added above them, as id × EV_KEYS).
const EV_FAST = 1 << 0;
const EV_MMIO = 1 << 1;
const EV_PIO = 1 << 2;
/** Two bits: which hypercall event came first (kvm_hypercall / kvm_hv_hypercall / kvm_xen_hypercall); 0 = none. */
const EV_HC_KVM = 1 << 3;
const EV_HC_HV = 2 << 3;
const EV_HC_XEN = 3 << 3;
const EV_MSR = 1 << 5;
const EV_CPUID = 1 << 6;
const EV_PAGE_FAULT = 1 << 7;
const EV_EMULATE = 1 << 8;
/** SVM NPF with the RSVD bit in exitinfo1 (the only use of info1 that changes the class). */
const EV_RSVD = 1 << 9;
const EV_KEYS = 1 << 10;

/** A memoized classification: the shared result without a device, and where a device comes from when there is one. */
interface CachedClass {
  deviceFrom: DeviceFrom;
  plain: Classification;
}

/** One canonical exit reason with its category and its evidence memo. */
interface ReasonEntry {
  reason: CanonicalReason;
  /** The reason as it starts the evidence signature ('?' for an empty name). */
  r: string;
  cat: ReasonCategory;
  byEvidence: Map<number, CachedClass>;
}

/** Entries per printed reason: by ISA index without an exit code; keyed code × 4 + ISA index with one (trace.dat). */
interface RawReasonSlots {
  plain: (ReasonEntry | undefined)[];
  coded: Map<number, ReasonEntry> | null;
}

/** Distinct exit reasons memoized; real traces have a few dozen, the bound only protects against garbage. */
const REASON_ENTRIES_MAX = 4096;
/** Evidence combinations per reason: a real reason shows a handful; 256 leaves room for odd traces. */
const EVIDENCE_MEMO_MAX = 256;
/** Userspace-exit reasons given ids (the KVM_EXIT_* table has ~40 names); others take the uncached path. */
const UEXIT_IDS_MAX = 256;

const ISA_INDEX: Record<Isa, number> = { vmx: 0, svm: 1, arm64: 2, unknown: 3 };
const byRawReason = new Map<string, RawReasonSlots>();
const byArm64Class = new Map<string, Map<string, ReasonEntry>>();
let reasonEntries = 0;
const uexitIds = new Map<string, number>();

function uexitId(reason: string): number {
  let id = uexitIds.get(reason);
  if (id === undefined) {
    if (uexitIds.size >= UEXIT_IDS_MAX) return 0;
    id = uexitIds.size + 1;
    uexitIds.set(reason, id);
  }
  return id;
}

function newEntry(reason: CanonicalReason, arm64Type: string | undefined): ReasonEntry {
  reasonEntries++;
  return {
    reason,
    r: reason.reason === '' ? '?' : reason.reason,
    cat: reasonCategory(reason.isa, reason.reason, arm64Type),
    byEvidence: new Map(),
  };
}

/** Slots of the direct-mapped caches keyed by a printed exit reason (here, and analyze.ts `rawReasonOf`). */
export const REASON_CACHE_SLOTS = 256;

/**
 * The cache slot of a printed exit reason: its length and its first, middle and last letters. Hashing the length
 * and the first letter only (64 slots) put EPT_VIOLATION, EPT_MISCONFIG and EXCEPTION_NMI in one slot, and
 * MSR_WRITE with EXTERNAL_INTERRUPT: frequent reasons of one VMX trace, which then took the Map lookup at every other
 * round trip. test/classify checks that the common VMX and SVM reasons each get their own slot.
 */
export function reasonSlot(raw: string): number {
  return (raw.length * 13 + raw.charCodeAt(0) * 3 + raw.charCodeAt(raw.length >> 1) * 5 + raw.charCodeAt(raw.length - 1) * 7) & (REASON_CACHE_SLOTS - 1);
}

const entryCacheRaw: (string | undefined)[] = new Array<string | undefined>(REASON_CACHE_SLOTS);
const entryCacheIsa = new Int8Array(REASON_CACHE_SLOTS).fill(-1);
const entryCache: (ReasonEntry | undefined)[] = new Array<ReasonEntry | undefined>(REASON_CACHE_SLOTS);

/** The memo slots of a printed reason (made on first sight), or null when the memo is full. */
function slotsOf(raw: string): RawReasonSlots | null {
  let slots = byRawReason.get(raw);
  if (slots === undefined) {
    if (reasonEntries >= REASON_ENTRIES_MAX) return null;
    slots = { plain: [undefined, undefined, undefined, undefined], coded: null };
    byRawReason.set(raw, slots);
  }
  return slots;
}

/** `reasonEntryOf` of an exit without an exit code (ISA index `isa`: the exit's, else the hint's). */
function plainEntryOf(exit: ExitBody, isaHint: Isa, isa: number): ReasonEntry | null {
  const slots = slotsOf(exit.rawReason);
  if (slots === null) return null;
  let e = slots.plain[isa];
  if (e === undefined) {
    if (reasonEntries >= REASON_ENTRIES_MAX) return null;
    e = newEntry(canonicalOf(exit, isaHint), undefined);
    slots.plain[isa] = e;
  }
  return e;
}

/** The memo entry of an exit's reason, or null when it cannot be memoized (memo full, unusual exit shape). */
function reasonEntryOf(exit: ExitBody, isaHint: Isa): ReasonEntry | null {
  const arm = exit.arm64;
  if (arm !== undefined) {
    // arm64 exits are named by their exception class, and IRQ exits are interrupts whatever the class.
    if (exit.isa !== 'arm64') return null;
    let byType = byArm64Class.get(arm.ecName);
    if (byType === undefined) {
      if (reasonEntries >= REASON_ENTRIES_MAX) return null;
      byType = new Map();
      byArm64Class.set(arm.ecName, byType);
    }
    let e = byType.get(arm.type);
    if (e === undefined) {
      if (reasonEntries >= REASON_ENTRIES_MAX) return null;
      e = newEntry(canonicalOf(exit, isaHint), arm.type);
      byType.set(arm.type, e);
    }
    return e.reason.code === arm.ec ? e : null;
  }
  const isa = ISA_INDEX[exit.isa !== 'unknown' ? exit.isa : isaHint];
  const raw = exit.rawReason;
  // A direct-mapped cache in front of the map (a Map lookup by string per round trip showed in a profile).
  const cs = (reasonSlot(raw) + isa) & (REASON_CACHE_SLOTS - 1);
  if (exit.exitCode === null) {
    if (entryCacheRaw[cs] === raw && entryCacheIsa[cs] === isa) return entryCache[cs]!;
    const e = plainEntryOf(exit, isaHint, isa);
    if (e !== null) {
      entryCacheRaw[cs] = raw;
      entryCacheIsa[cs] = isa;
      entryCache[cs] = e;
    }
    return e;
  }
  const slots = slotsOf(raw);
  if (slots === null) return null;
  const k = exit.exitCode * 4 + isa;
  let e = slots.coded?.get(k);
  if (e === undefined) {
    if (reasonEntries >= REASON_ENTRIES_MAX) return null;
    e = newEntry(canonicalOf(exit, isaHint), undefined);
    (slots.coded ??= new Map()).set(k, e);
  }
  return e;
}

/** Forget every memoized classification (tests: a cold memo must classify like a warm one). */
export function clearClassifyMemo(): void {
  byRawReason.clear();
  entryCacheRaw.fill(undefined);
  entryCacheIsa.fill(-1);
  entryCache.fill(undefined);
  byArm64Class.clear();
  uexitIds.clear();
  accessMemo.clear();
  reasonEntries = 0;
}

/** Classify an access group (no kvm_exit): the same rules without an exit reason. */
export function classifyAccess(children: readonly TraceEvent[]): Classification {
  const ev = gather(children);
  // Memoized as round trips are (classifyRoundTrip): the class and the evidence follow from the evidence bits and
  // the userspace exit's reason; the device is the group's own.
  let key = (ev.fast !== null ? EV_FAST : 0) | (ev.mmio !== null ? EV_MMIO : 0) | (ev.pio !== null ? EV_PIO : 0);
  if (ev.hypercall !== null) key |= ev.hypercall.kind !== 'hypercall' || ev.hypercall.flavor === 'kvm' ? EV_HC_KVM : ev.hypercall.flavor === 'hyperv' ? EV_HC_HV : EV_HC_XEN;
  if (ev.msr) key |= EV_MSR;
  if (ev.cpuid) key |= EV_CPUID;
  if (ev.pageFault) key |= EV_PAGE_FAULT;
  if (ev.emulate) key |= EV_EMULATE;
  if (ev.uexit !== null) {
    const id = uexitId(ev.uexit.reason);
    if (id === 0) return classifyAccessUncached(ev);
    key += id * EV_KEYS;
  }
  let hit = accessMemo.get(key);
  if (hit === undefined) {
    if (accessMemo.size >= EVIDENCE_MEMO_MAX) return classifyAccessUncached(ev);
    const base = classifyEvidence(ev, null, '');
    hit = { deviceFrom: base.deviceFrom, plain: Object.freeze({ cls: base.cls, evidence: accessEvidence(base.tags, ev), device: null, reason: null }) };
    accessMemo.set(key, hit);
  }
  if (hit.deviceFrom === null) return hit.plain;
  const device = deviceFor(hit.deviceFrom, ev, 'unknown', '');
  return device === null ? hit.plain : { cls: hit.plain.cls, evidence: hit.plain.evidence, device, reason: null };
}

/** Access classes by evidence key (see classifyAccess). */
const accessMemo = new Map<number, CachedClass>();

/** The rules without the memo (past the memo bounds, and the first time a key is seen). */
function classifyAccessUncached(ev: Evidence): Classification {
  const base = classifyEvidence(ev, null, '');
  return { cls: base.cls, evidence: accessEvidence(base.tags, ev), device: deviceFor(base.deviceFrom, ev, 'unknown', ''), reason: null };
}

/** An access group's evidence signature: the evidence tags and the userspace exit's reason. */
function accessEvidence(tags: string[], ev: Evidence): string {
  return sig([...tags, ev.uexit?.reason ?? '']) || 'no-access';
}

/** Where a round trip's device comes from: its first access event of that kind, or the IO exit's info1. */
type DeviceFrom = 'fast' | 'mmio' | 'pio' | 'io' | null;

function deviceFor(from: DeviceFrom, ev: Evidence, isa: Isa, info1: string): DeviceRef | null {
  switch (from) {
    case 'fast':
      return deviceOfAccess(ev.fast);
    case 'mmio':
      return deviceOfAccess(ev.mmio);
    case 'pio':
      return deviceOfAccess(ev.pio);
    case 'io':
      return ioDevice(isa, info1);
    default:
      return null;
  }
}

function ioDevice(isa: Isa, info1: string): DeviceRef | null {
  const io = decodeIoInfo(isa, info1);
  return io === null ? null : { space: 'pio', address: io.port, write: io.write, size: io.size };
}

/** The rules (see the header); the device is named by its source so a memoized class can rebuild it per trip. */
function classifyEvidence(
  ev: Evidence,
  cat: ReasonCategory | null,
  info1: string,
): { cls: ClassName; tags: string[]; deviceFrom: DeviceFrom } {
  const u = ev.uexit?.reason ?? '';
  if (ev.fast !== null) return { cls: 'mmio-fast', tags: ['kvm_fast_mmio'], deviceFrom: 'fast' };
  if (ev.mmio !== null) return { cls: u === 'KVM_EXIT_MMIO' ? 'mmio-vmm' : 'mmio-kernel', tags: ['kvm_mmio'], deviceFrom: 'mmio' };
  if (ev.pio !== null) return { cls: u === 'KVM_EXIT_IO' ? 'pio-vmm' : 'pio-kernel', tags: ['kvm_pio'], deviceFrom: 'pio' };
  if (ev.hypercall !== null || cat === 'hypercall') {
    return {
      cls: VMM_HYPERCALL_EXITS.has(u) ? 'hypercall-vmm' : 'hypercall-kernel',
      tags: ev.hypercall !== null ? [hypercallTag(ev.hypercall)] : [],
      deviceFrom: null,
    };
  }
  if (cat === 'io') return { cls: u === 'KVM_EXIT_IO' ? 'pio-vmm' : 'pio-kernel', tags: [], deviceFrom: 'io' };
  const npfMmio = cat === 'npf' && npfReservedBit(info1);
  if (cat === 'mmio' || npfMmio) {
    return { cls: u === 'KVM_EXIT_MMIO' ? 'mmio-vmm' : 'mmio-unknown', tags: npfMmio ? ['RSVD'] : [], deviceFrom: null };
  }
  if (u === 'KVM_EXIT_IO') return { cls: 'pio-vmm', tags: [], deviceFrom: null };
  if (u === 'KVM_EXIT_MMIO') return { cls: 'mmio-vmm', tags: [], deviceFrom: null };
  if (ev.msr || cat === 'msr') return { cls: 'msr', tags: ev.msr ? ['kvm_msr'] : [], deviceFrom: null };
  if (ev.cpuid || cat === 'cpuid') return { cls: 'cpuid', tags: ev.cpuid ? ['kvm_cpuid'] : [], deviceFrom: null };
  if (cat === null) {
    if (u === 'KVM_EXIT_HLT') return { cls: 'hlt', tags: [], deviceFrom: null };
    return { cls: 'other', tags: ev.emulate ? ['kvm_emulate_insn'] : [], deviceFrom: null };
  }
  if (cat === 'exception' && ev.pageFault) return { cls: 'page-fault', tags: ['kvm_page_fault'], deviceFrom: null };
  return { cls: CATEGORY_CLASS[cat], tags: [], deviceFrom: null };
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

/** Relabel a provisional "-kernel" class when the trace holds no kvm_userspace_exit at all. */
export function unknownWithoutUserspaceExits(cls: ClassName): ClassName {
  switch (cls) {
    case 'pio-kernel':
      return 'pio-unknown';
    case 'mmio-kernel':
      return 'mmio-unknown';
    case 'hypercall-kernel':
      return 'hypercall-unknown';
    default:
      return cls;
  }
}

/** Name of a device for reports. */
export function deviceName(d: DeviceRef): string {
  return d.space === 'pio' ? pioDeviceName(d.address) : mmioDeviceName(d.address);
}
