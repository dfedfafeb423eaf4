/**
 * Access grouping, for traces without kvm_exit/kvm_entry (captured with a reduced event list, `perf kvm stat
 * record`-style subsets, or a KVM backend that emits none — ../shared/fixtures/lab is such a real trace).
 *
 * Every access event (kvm_pio, kvm_mmio, kvm_fast_mmio, kvm_hypercall, kvm_msr, kvm_cpuid) becomes one access,
 * grouped with its neighbours on the same thread:
 *   kvm_emulate_insn            starts a group (the instruction that trapped), or
 *   <access event>              starts one when no emulation preceded it (cpuid, ioeventfd kicks);
 *   kvm_userspace_exit          joins the open group and hands the access to the VMM;
 *   the thread's next KVM event ends the VMM phase (the VMM re-entered KVM_RUN);
 *   a completing read           kvm_pio pio_read / kvm_mmio read after a KVM_EXIT_IO/MMIO with no access yet is the
 *                               completion of that exit (KVM logs a PIO read when the data arrives, i.e. after the
 *                               userspace exit — complete_emulator_pio_in), so it joins that group.
 * Round-trip latency cannot be measured without kvm_exit/kvm_entry; the VMM phase can.
 */
import type { AccessEvent, KvmEmulateInsn, KvmUserspaceExit, TraceEvent } from '../model/events.js';
import { NO_TS, isAccessKind } from '../model/events.js';
import { MAX_CHILDREN, threadKeyOf, type ThreadInfo } from './round-trips.js';

export interface AccessGroup {
  thread: ThreadInfo;
  /** Time of the group's first event (NO_TS when untimed). */
  ts: number;
  access: AccessEvent | null;
  emulate: KvmEmulateInsn | null;
  uexit: KvmUserspaceExit | null;
  /** Every KVM event of the group, in order. */
  children: TraceEvent[];
  /** kvm_userspace_exit → the thread's next KVM event; null when not measurable. */
  vmmNs: number | null;
}

interface Open {
  g: AccessGroup;
  vmmEndSet: boolean;
  /** The time of the group's userspace exit, read from its own line (NO_TS: none yet, or untimed). */
  uexitTs: number;
  /** `kvm_other` events handed over without an event (`pushUnkeptAt`): they count toward the children limit. */
  unkept: number;
}

/**
 * A thread's key in the grouper's maps: its tid when the event has one and no instance (the common case), else its
 * `threadKeyOf` string. The number is a key of its own (no string is made per event: building and hashing
 * `|tid` for each line was ~15 % of a profile of an access-only trace); no `threadKeyOf` string is a number, so
 * the two kinds never meet. One map keeps insertion order across both, so groups close in the same order.
 */
type GroupKey = number | string;

function groupKeyOf(e: TraceEvent): GroupKey {
  return e.tid >= 0 && e.instance === '' ? e.tid : threadKeyOf(e);
}

export class AccessGrouper {
  private readonly open = new Map<GroupKey, Open>();
  private readonly infos = new Map<GroupKey, ThreadInfo>();
  count = 0;

  constructor(private readonly onGroup: (g: AccessGroup) => void) {}

  push(e: TraceEvent): void {
    const kind = e.kind;
    if (kind === 'other' || kind === 'lost' || kind === 'exit' || kind === 'entry') return;
    this.add(e, kind, groupKeyOf(e), e.ts, e.tid, e.comm, e.instance);
  }

  /**
   * `push` of an event the fast lane did not make (when nobody outside the pipeline reads the groups: `analyze`
   * without an `onUnit`): an event of kind `kind` (an access, emulation, userspace exit or other KVM event, never an
   * exit or entry) of thread `tid` (instance '') at `ts`, task `comm`, whose payload decoded to `body`, the memoized
   * event of that payload: its header is another line's, so only its kind and body fields are read (as
   * classification does). False when the line has no tid (the caller then makes the event and calls `push`).
   */
  pushAt(body: TraceEvent, kind: TraceEvent['kind'], tid: number, ts: number, comm: string): boolean {
    if (tid < 0) return false;
    this.add(body, kind, tid, ts, tid, comm, '');
    return true;
  }

  /**
   * A `kvm_other` event of thread `tid` (instance '') at `ts`, without the event (see `pushAt`): it ends the VMM
   * phase and counts toward the open group's children. False when the line has no tid.
   */
  pushUnkeptAt(tid: number, ts: number): boolean {
    if (tid < 0) return false;
    const o = this.open.get(tid);
    if (o === undefined) return true;
    endVmmPhase(o, ts);
    if (o.g.children.length + o.unkept < MAX_CHILDREN) o.unkept++;
    return true;
  }

  /** Event `e` (kind `kind`) of the thread `key` at `ts`; `tid`, `comm`, `instance` name the thread when it is new. */
  private add(e: TraceEvent, kind: TraceEvent['kind'], key: GroupKey, ts: number, tid: number, comm: string, instance: string): void {
    let o = this.open.get(key);
    // The first KVM event after a userspace exit ends the VMM phase.
    if (o !== undefined) endVmmPhase(o, ts);
    if (kind === 'emulate_insn') {
      if (o !== undefined) this.close(key);
      o = this.start(key, ts, tid, comm, instance);
      o.g.emulate = e as KvmEmulateInsn;
      o.g.children.push(e);
      return;
    }
    if (isAccessKind(kind)) {
      const a = e as AccessEvent;
      if (o !== undefined && o.g.access === null && o.g.uexit !== null && completes(a, o.g.uexit)) {
        o.g.access = a;
        o.g.children.push(e);
        this.close(key);
        return;
      }
      if (o !== undefined && o.g.access === null && o.g.uexit === null) {
        o.g.access = a;
        o.g.children.push(e);
        return;
      }
      if (o !== undefined) this.close(key);
      o = this.start(key, ts, tid, comm, instance);
      o.g.access = a;
      o.g.children.push(e);
      return;
    }
    if (kind === 'userspace_exit') {
      if (o === undefined || o.g.uexit !== null) {
        if (o !== undefined) this.close(key);
        o = this.start(key, ts, tid, comm, instance);
      }
      o.g.uexit = e as KvmUserspaceExit;
      o.uexitTs = ts;
      o.g.children.push(e);
      return;
    }
    // Other KVM events (kvm_fpu, kvm_page_fault, vcpu_match_mmio…) are evidence of the open group, kept up to the
    // round trips' bound (the accesses, emulations and userspace exits always).
    if (o !== undefined && o.g.children.length + o.unkept < MAX_CHILDREN) o.g.children.push(e);
  }

  finish(): void {
    for (const key of [...this.open.keys()]) this.close(key);
  }

  private start(key: GroupKey, ts: number, tid: number, comm: string, instance: string): Open {
    let info = this.infos.get(key);
    if (info === undefined) {
      info = { key: typeof key === 'number' ? `|${tid}` : key, comm, tid, vcpu: -1, instance };
      this.infos.set(key, info);
    }
    const o: Open = {
      g: { thread: info, ts, access: null, emulate: null, uexit: null, children: [], vmmNs: null },
      vmmEndSet: false,
      uexitTs: NO_TS,
      unkept: 0,
    };
    this.open.set(key, o);
    return o;
  }

  private close(key: GroupKey): void {
    const o = this.open.get(key);
    if (o === undefined) return;
    this.open.delete(key);
    this.count++;
    this.onGroup(o.g);
  }
}

/**
 * Drop a closed group's references to its events, once nothing reads the group any more (`analyze` without an
 * `onUnit`). A group that lived through a young-generation collection sits in the old generation, and until the next
 * full collection its references keep the young events it points to alive through every scavenge, which then
 * promotes them too ("nepotism"). On a generated access-only trace 40 % of what was allocated was promoted that way
 * and the collector took a third of the run; released, the 723k-line trace's GC pauses went 292 → 80 ms, and the
 * 311 MB one ran 4.26 → 3.41 s (6 interleaved pairs on the 2-core VM).
 */
export function releaseGroup(g: AccessGroup): void {
  g.children.length = 0;
  g.access = null;
  g.emulate = null;
  g.uexit = null;
}

/** Event at `ts` of a thread whose open group is `o`: the first after the group's userspace exit ends the VMM phase. */
function endVmmPhase(o: Open, ts: number): void {
  if (o.g.uexit !== null && !o.vmmEndSet) {
    o.vmmEndSet = true;
    if (ts !== NO_TS && o.uexitTs !== NO_TS) o.g.vmmNs = ts - o.uexitTs;
  }
}

function completes(a: AccessEvent, u: KvmUserspaceExit): boolean {
  if (u.reason === 'KVM_EXIT_IO') return a.kind === 'pio' && !a.write;
  if (u.reason === 'KVM_EXIT_MMIO') return a.kind === 'mmio' && a.op !== 'write';
  return false;
}
