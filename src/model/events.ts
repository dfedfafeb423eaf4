/**
 * The typed events every parser produces (text formats and the binary trace.dat reader alike).
 *
 * A parser turns one trace record into one `TraceEvent`: a common header (time, host CPU, thread, comm, source
 * position) plus a `kind`-discriminated body. Only KVM events that the pipeline reasons about get a typed body;
 * every other event (sched_switch, kvm_fpu, write_msr…) becomes `{kind: 'other', name}` so it is counted by name and
 * otherwise passed over. Lost-event markers are events too (`kind: 'lost'`), because they invalidate what they touch.
 *
 * Conventions:
 * - `ts` is an integer in the stream's time unit (nanoseconds, rebased on the whole second of the first timestamp; or raw
 *   counter ticks for clocks without ns, see `TimeUnit`), never computed through a float. `NO_TS` when the line
 *   carried no timestamp (columns cut by the author of a pasted excerpt).
 * - Numbers that can exceed 2^53 (rip, hypercall args, exit info words) are kept as lower-case hex strings without
 *   `0x`; addresses used for attribution (ports, GPAs ≤ 52 bits) are plain numbers.
 * - `-1` means "not printed" for cpu, tid and vcpu.
 */

/** Where a record came from: index into the input file list (0 for stdin / single file) and 1-based line. */
export interface SourceRef {
  readonly file: number;
  readonly line: number;
}

export const NO_TS = Number.NEGATIVE_INFINITY;

/** Instruction-set architecture that named an exit reason. */
export type Isa = 'vmx' | 'svm' | 'arm64' | 'unknown';

export interface EventHeader {
  /** Integer time in the stream unit, rebased; `NO_TS` when absent. */
  ts: number;
  /** Host CPU, -1 when not printed. */
  cpu: number;
  /** Thread id (the vCPU thread for KVM_RUN events), -1 when not printed. */
  tid: number;
  /** Task name as printed (`CPU 0/KVM`, `qemu-system-x86`, `<...>`), '' when not printed. */
  comm: string;
  /** trace-cmd multi-file / instance prefix, '' when none. */
  instance: string;
  source: SourceRef;
}

export interface KvmExit extends EventHeader {
  kind: 'exit';
  isa: Isa;
  /** The reason exactly as printed (`EPT_MISCONFIG`, `io`, `EXIT_IOIO`, `UNKNOWN (2147483681)`, `0x4a`, `apic_access`). */
  rawReason: string;
  /** Numeric exit code when the text or binary gave one (plugin `UNKNOWN (n)`, kernel `0x..` fallback, trace.dat). */
  exitCode: number | null;
  /** VMX flag names printed after the reason (FAILED_VMENTRY), or decoded from bits 16-31 of a numeric code. */
  flags: string[];
  vcpu: number;
  /** Guest RIP / arm64 PC, hex without 0x; '' when not printed. */
  rip: string;
  /** Exit info words (VMX exit qualification / SVM exitinfo1, exitinfo2), hex without 0x; '' when not printed. */
  info1: string;
  info2: string;
  intrInfo: string;
  errorCode: string;
  /** arm64 only: exception type (`IRQ`, `TRAP`…) and ESR_ELx exception class name (`DABT_LOW`) and number. */
  arm64?: { type: string; ecName: string; ec: number };
}

/**
 * What a round trip's classification reads of its exit: everything but the header. The pipeline may hand on the
 * memoized event of an exit's payload as its body (the block lane, when nobody outside it sees the trips), with the
 * exit's own time beside it (pair/round-trips.ts `PairedTrip.exitTs`): a body's header fields are not this exit's.
 */
export type ExitBody = Omit<KvmExit, keyof EventHeader>;

export interface KvmEntry extends EventHeader {
  kind: 'entry';
  vcpu: number;
  rip: string;
  /** 6.9+ `[immediate exit]` suffix. */
  immediateExit: boolean;
}

export interface KvmPio extends EventHeader {
  kind: 'pio';
  write: boolean;
  port: number;
  size: number;
  count: number;
  /** Value when printed (absent before ~3.x kernels), hex without 0x. */
  val: string;
}

export type MmioOp = 'read' | 'write' | 'unsatisfied-read';

export interface KvmMmio extends EventHeader {
  kind: 'mmio';
  op: MmioOp;
  len: number;
  gpa: number;
  val: string;
}

export interface KvmFastMmio extends EventHeader {
  kind: 'fast_mmio';
  gpa: number;
}

export interface KvmHypercall extends EventHeader {
  kind: 'hypercall';
  /** `kvm_hypercall`, `kvm_hv_hypercall` (Hyper-V) or `kvm_xen_hypercall`. */
  flavor: 'kvm' | 'hyperv' | 'xen';
  /** Hypercall number / code, hex without 0x. */
  nr: string;
}

export interface KvmUserspaceExit extends EventHeader {
  kind: 'userspace_exit';
  /** `KVM_EXIT_IO`, `KVM_EXIT_MMIO`, …; `restart` (-EINTR), `error` (other errno), or `0x1d` when the table had no name. */
  reason: string;
  /** The number in parentheses: the exit reason, or -errno for restart/error. */
  code: number;
}

export interface KvmMsr extends EventHeader {
  kind: 'msr';
  write: boolean;
  index: number;
  val: string;
  /** ` (#GP)` suffix: the access faulted. */
  gp: boolean;
}

export interface KvmCpuid extends EventHeader {
  kind: 'cpuid';
  func: number;
  /** Sub-leaf when printed (~5.7+), else -1. */
  idx: number;
}

export interface KvmEmulateInsn extends EventHeader {
  kind: 'emulate_insn';
  /** Instruction bytes or disassembly as printed. */
  insn: string;
  failed: boolean;
}

export interface KvmNestedVmexit extends EventHeader {
  kind: 'nested_vmexit';
  /** `kvm_nested_vmexit` (L2 exit seen by L0) or `kvm_nested_vmexit_inject` (reflected to L1). */
  inject: boolean;
  rawReason: string;
}

export interface KvmPageFault extends EventHeader {
  kind: 'page_fault';
  address: string;
  errorCode: string;
}

/** Any other KVM event that is evidence but needs no fields: kvm_inj_virq, kvm_apic*, kvm_fpu, kvm_cr… */
export interface KvmOtherKvm extends EventHeader {
  kind: 'kvm_other';
  name: string;
}

/** A non-KVM event (sched_switch, write_msr…): counted by name, otherwise passed over. */
export interface OtherEvent extends EventHeader {
  kind: 'other';
  name: string;
}

/** Lost-event marker: ftrace `CPU:N [LOST M EVENTS]`, trace-cmd `CPU:N [M EVENTS DROPPED]` / `[EVENTS DROPPED]`. */
export interface LostEvents extends EventHeader {
  kind: 'lost';
  /** Number of events lost, null when the marker does not say. */
  count: number | null;
}

export type TraceEvent =
  | KvmExit
  | KvmEntry
  | KvmPio
  | KvmMmio
  | KvmFastMmio
  | KvmHypercall
  | KvmUserspaceExit
  | KvmMsr
  | KvmCpuid
  | KvmEmulateInsn
  | KvmNestedVmexit
  | KvmPageFault
  | KvmOtherKvm
  | OtherEvent
  | LostEvents;

export type EventKind = TraceEvent['kind'];

/** Access events: a guest operation that, on its own, identifies a communication mechanism. */
export type AccessEvent = KvmPio | KvmMmio | KvmFastMmio | KvmHypercall | KvmMsr | KvmCpuid;

export function isAccessEvent(e: TraceEvent): e is AccessEvent {
  return isAccessKind(e.kind);
}

/** Is an event of this kind an access event (for callers that have the kind, not the event)? */
export function isAccessKind(kind: EventKind): boolean {
  switch (kind) {
    case 'pio':
    case 'mmio':
    case 'fast_mmio':
    case 'hypercall':
    case 'msr':
    case 'cpuid':
      return true;
    default:
      return false;
  }
}

export function isKvmExit(e: TraceEvent): e is KvmExit {
  return e.kind === 'exit';
}

export function isKvmEntry(e: TraceEvent): e is KvmEntry {
  return e.kind === 'entry';
}

/** Exhaustiveness helper for `switch` over discriminated unions. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
