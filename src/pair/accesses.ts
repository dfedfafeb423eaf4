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
import { NO_TS, isAccessEvent } from '../model/events.js';
import { threadKeyOf, type ThreadInfo } from './round-trips.js';

export interface AccessGroup {
  thread: ThreadInfo;
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
    if (e.kind === 'other' || e.kind === 'lost' || e.kind === 'exit' || e.kind === 'entry') return;
    const key = groupKeyOf(e);
    let o = this.open.get(key);
    // The first KVM event after a userspace exit ends the VMM phase.
    if (o !== undefined && o.g.uexit !== null && !o.vmmEndSet) {
      o.vmmEndSet = true;
      if (e.ts !== NO_TS && o.g.uexit.ts !== NO_TS) o.g.vmmNs = e.ts - o.g.uexit.ts;
    }
    if (e.kind === 'emulate_insn') {
      if (o !== undefined) this.close(key);
      o = this.start(key, e);
      o.g.emulate = e;
      o.g.children.push(e);
      return;
    }
    if (isAccessEvent(e)) {
      if (o !== undefined && o.g.access === null && o.g.uexit !== null && completes(e, o.g.uexit)) {
        o.g.access = e;
        o.g.children.push(e);
        this.close(key);
        return;
      }
      if (o !== undefined && o.g.access === null && o.g.uexit === null) {
        o.g.access = e;
        o.g.children.push(e);
        return;
      }
      if (o !== undefined) this.close(key);
      o = this.start(key, e);
      o.g.access = e;
      o.g.children.push(e);
      return;
    }
    if (e.kind === 'userspace_exit') {
      if (o !== undefined && o.g.uexit === null) {
        o.g.uexit = e;
        o.g.children.push(e);
        return;
      }
      if (o !== undefined) this.close(key);
      o = this.start(key, e);
      o.g.uexit = e;
      o.g.children.push(e);
      return;
    }
    // Other KVM events (kvm_fpu, kvm_page_fault, vcpu_match_mmio…) are evidence of the open group.
    if (o !== undefined && o.g.children.length < 64) o.g.children.push(e);
  }

  finish(): void {
    for (const key of [...this.open.keys()]) this.close(key);
  }

  private start(key: GroupKey, e: TraceEvent): Open {
    let info = this.infos.get(key);
    if (info === undefined) {
      info = { key: threadKeyOf(e), comm: e.comm, tid: e.tid, vcpu: -1, instance: e.instance };
      this.infos.set(key, info);
    }
    const o: Open = {
      g: { thread: info, access: null, emulate: null, uexit: null, children: [], vmmNs: null },
      vmmEndSet: false,
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

function completes(a: AccessEvent, u: KvmUserspaceExit): boolean {
  if (u.reason === 'KVM_EXIT_IO') return a.kind === 'pio' && !a.write;
  if (u.reason === 'KVM_EXIT_MMIO') return a.kind === 'mmio' && a.op !== 'write';
  return false;
}
