/**
 * Pairing: kvm_exit → the next kvm_entry of the same vCPU thread is one round trip; every KVM event of that thread
 * in between is attached as evidence (DevTools-style synthetic event that keeps both originals).
 *
 * Keying. Round trips are keyed by the vCPU *thread* (instance + tid), never by `vcpu N` alone: two VMs at once
 * both have a `vcpu 0` (../shared/fixtures/large 01, 02, 04), and kvm_exit prints no vcpu before 5.4 while
 * kvm_entry always does. When the tid was not printed (perf -F without tid, pasted excerpts with columns cut),
 * the key falls back to comm, then host CPU. The vcpu id is recorded on the thread when printed.
 * Threads may migrate between host CPUs; records from all CPUs arrive merged by time (trace-cmd, trace_pipe, perf
 * all merge), so per-thread order is input order.
 *
 * Failure accounting — every exit ends up in exactly one place:
 *   complete (has a duration) | untimed (a side had no timestamp) | negative (entry before exit) |
 *   discardedLost (touched by a lost-event marker) | orphanExits (no entry followed).
 * Entries without an exit are orphanEntries (the first entry of every thread is one: the trace started while the
 * guest ran).
 *
 * Lost events. A marker `CPU:N [LOST M EVENTS]` says events of CPU N are missing before the next record of that CPU.
 * Every thread whose last event ran on CPU N (or every thread, when the marker names no CPU) is tainted: its open
 * round trip, and the next one boundary it crosses, cannot be trusted and are counted as discardedLost.
 */
import type { Diagnostics } from '../model/diagnostics.js';
import type { ExitBody, KvmEntry, KvmExit, SourceRef, TraceEvent } from '../model/events.js';
import { NO_TS, isAccessKind } from '../model/events.js';

/** Evidence kept per round trip; a pathological trip (a stuck emulation loop) cannot grow memory past this. */
export const MAX_CHILDREN = 64;

/** Slots of the pairer's thread table by tid (a power of two; a host runs a few hundred vCPU threads at most). */
const TID_SLOTS = 1024;

export interface ThreadInfo {
  key: string;
  comm: string;
  tid: number;
  vcpu: number;
  instance: string;
}

export interface RoundTrip {
  thread: ThreadInfo;
  exit: KvmExit;
  entry: KvmEntry;
  /** KVM events of the thread between exit and entry, in order (at most MAX_CHILDREN). Read-only: a trip without
   *  children shares one frozen empty array. `kvm_other` events (kvm_apic, kvm_fpu, …: no evidence for any class)
   *  the fast lane handed over without making them (`pushUnkept`) are counted toward MAX_CHILDREN but not listed. */
  children: readonly TraceEvent[];
  /** entry.ts − exit.ts; null when a side had no timestamp. */
  durNs: number | null;
  /** exit → first kvm_userspace_exit, and kvm_userspace_exit → entry; null when the trip did not reach the VMM. */
  kernelNs: number | null;
  vmmNs: number | null;
}

/**
 * What the pairer hands on: a round trip whose exit and entry events may not have been made (`pushExitAt`,
 * `pushEntryAt`, when nobody outside the pipeline sees the trips). `exit` is then the memoized event of the exit's
 * payload, whose header is another line's: the exit's time is `exitTs`. Likewise a child may be the memoized event
 * of its payload (`pushChildAt`): only the kind and the body fields of children are read. A trip that reaches
 * `AnalyzeOptions.onUnit` has its own events throughout (the fast lane offers none of these ways while there is an
 * `onUnit`).
 */
export type PairedTrip = Omit<RoundTrip, 'entry' | 'exit'> & { exit: ExitBody; exitTs: number; exitEvent: KvmExit | null; entry: KvmEntry | null };

/** Where the pairer hands each completed round trip (the analysis session). */
export interface TripSink {
  onTrip(rt: PairedTrip): void;
}

export interface PairCounts {
  exits: number;
  entries: number;
  complete: number;
  untimed: number;
  orphanExits: number;
  orphanEntries: number;
  negative: number;
  discardedLost: number;
  strayAccesses: number;
}

/**
 * Parallel pairing (worker threads, see src/parallel/). A worker reads a byte range from the middle of the input, so
 * it does not know what each vCPU thread was doing when the range began. It keeps every event of a thread aside
 * (the range's *head*) until the thread's first kvm_exit with a host CPU and a timestamp — the *sync* exit: from
 * there on the thread's pairing state no longer depends on the past (an exit starts a fresh round trip) and the
 * worker pairs it itself. Lost-event markers go to the head too (they may taint threads the worker has not synced).
 * The main thread replays each range's head, in input order, on its own pairer (which holds the state at the end
 * of the previous range), then adopts the worker's end state of every synced thread (`adopt`): the result is what
 * one pass over the whole input gives, diagnostics included.
 */
export interface HeadItem {
  ev: TraceEvent;
  /** The thread's sync exit: the worker's state for the thread starts here. */
  sync: boolean;
  /** Entries: the worker's ISA votes (vmx, svm, arm64, unknown) when it was read (the ISA hint of its trip). */
  votes: number[] | null;
}

/** A worker's state of one synced thread at the end of its range. */
export interface ThreadEnd {
  info: ThreadInfo;
  lastCpu: number;
  lastTs: number;
  open: KvmExit | null;
  children: readonly TraceEvent[];
  unkept: number;
  uexitTs: number;
  tainted: boolean;
}

/**
 * The children of a round trip that has none yet: shared, frozen. The first child makes the thread's own array
 * (`childOf`), so a trip without children allocates none, and one with a child allocates it at its size (an empty
 * array literal grew a 17-slot backing store at its first push; this was ~30 of the ~300 bytes allocated per line).
 */
const NO_CHILDREN: readonly TraceEvent[] = Object.freeze([]);

interface ThreadState {
  info: ThreadInfo;
  lastCpu: number;
  firstTs: number;
  lastTs: number;
  /**
   * The open round trip's exit: its event, or (`pushExitAt`) the memoized event of its payload, whose header is
   * another line's. Its own header is in the `open*` fields (only `openTs` when it is an event, `openEvent`).
   */
  open: ExitBody | null;
  openEvent: KvmExit | null;
  openTs: number;
  openCpu: number;
  openComm: string;
  openFile: number;
  openLine: number;
  children: readonly TraceEvent[];
  /** Children of the open trip counted but not kept (`pushUnkept`). */
  unkept: number;
  uexitTs: number;
  /** A lost-event marker touched this thread since its last round-trip boundary. */
  tainted: boolean;
  /** The thread has kvm_exit/kvm_entry events (round-trip mode for it). */
  paired: boolean;
}

/** The open trip's children, kept and unkept, are fewer than MAX_CHILDREN. */
function hasRoom(t: ThreadState): boolean {
  return t.children.length + t.unkept < MAX_CHILDREN;
}

/** Open a round trip at exit event `e`. */
function openAt(t: ThreadState, e: KvmExit): void {
  t.open = e;
  t.openEvent = e;
  t.openTs = e.ts;
}

/** Where the open exit was read (its event's source, or the line `pushExitAt` gave). */
function openSource(t: ThreadState): SourceRef {
  return t.openEvent !== null ? t.openEvent.source : { file: t.openFile, line: t.openLine };
}

/**
 * The open exit as an event: its own, or one made from the memoized body and the `open*` header fields — the event
 * the fast lane would have made (same keys, same order: the body is a decoded exit).
 */
function openEventOf(t: ThreadState): KvmExit | null {
  if (t.open === null || t.openEvent !== null) return t.openEvent;
  const b = t.open as KvmExit;
  return { ...b, ts: t.openTs, cpu: t.openCpu, tid: t.info.tid, comm: t.openComm, instance: t.info.instance, source: { file: t.openFile, line: t.openLine } };
}

/** The open trip ended (closed, orphaned or discarded): no open exit, no children. */
function clearOpen(t: ThreadState): void {
  t.open = null;
  t.openEvent = null;
  clearChildren(t);
}

/** A trip ended or began: no children, kept or unkept. */
function clearChildren(t: ThreadState): void {
  t.children = NO_CHILDREN;
  t.unkept = 0;
}

export function threadKeyOf(e: TraceEvent): string {
  if (e.tid >= 0) return `${e.instance}|${e.tid}`;
  if (e.comm !== '') return `${e.instance}|c:${e.comm}`;
  if (e.cpu >= 0) return `${e.instance}|cpu:${e.cpu}`;
  return `${e.instance}|?`;
}

export class RoundTripPairer {
  readonly counts: PairCounts = {
    exits: 0,
    entries: 0,
    complete: 0,
    untimed: 0,
    orphanExits: 0,
    orphanEntries: 0,
    negative: 0,
    discardedLost: 0,
    strayAccesses: 0,
  };
  private readonly threads = new Map<string, ThreadState>();

  /** Worker mode: the range's head (see HeadItem); null in the main thread. */
  private readonly head: HeadItem[] | null;
  /** Worker mode: the head grew past `headLimit` (the range cannot be stitched; the main thread re-reads it). */
  headOverflow = false;

  constructor(
    /** An object, not a callback: a new session's closure at this hot call site deoptimized its callers. */
    private readonly trips: TripSink,
    private readonly diag: Diagnostics,
    worker: { headLimit: number; votes: () => number[] } | null = null,
  ) {
    this.head = worker === null ? null : [];
    this.headLimit = worker?.headLimit ?? 0;
    this.votes = worker?.votes ?? null;
  }

  private readonly headLimit: number;
  private readonly votes: (() => number[]) | null;

  /** Worker mode: the head items, in input order. */
  headItems(): HeadItem[] {
    return this.head ?? [];
  }

  /** Worker mode: the end state of every thread the worker synced. */
  threadEnds(): ThreadEnd[] {
    return [...this.threads.values()].map((t) => ({
      info: t.info,
      lastCpu: t.lastCpu,
      lastTs: t.lastTs,
      open: openEventOf(t),
      children: t.children,
      unkept: t.unkept,
      uexitTs: t.uexitTs,
      tainted: t.tainted,
    }));
  }

  private toHead(e: TraceEvent, sync: boolean): void {
    if (this.head!.length >= this.headLimit) {
      this.headOverflow = true;
      return;
    }
    this.head!.push({ ev: e, sync, votes: e.kind === 'entry' ? this.votes!() : null });
  }

  /**
   * `push` of an exit (the caller knows the kind: no second read of it). In worker mode, an event of a synced
   * thread is paired at once, as `push` would; the others take `push` (the range's head).
   */
  pushExit(e: KvmExit): void {
    if (this.head !== null && this.find(e.tid, e.instance, e) === undefined) this.push(e);
    else this.exit(e);
  }

  /** `push` of an entry. */
  pushEntry(e: KvmEntry): void {
    if (this.head !== null && this.find(e.tid, e.instance, e) === undefined) this.push(e);
    else this.entry(e);
  }

  /**
   * `push` of any other event whose kind (`kind`, not exit, entry, lost or other) and header fields the caller
   * read as values (instance ''): no property loads on an event that may have any of a dozen shapes.
   */
  pushChild(e: TraceEvent, kind: TraceEvent['kind'], tid: number, cpu: number, ts: number, comm: string): void {
    const t = this.find(tid, '', e);
    // An unknown thread: nothing to pair in the main thread, the range's head in a worker (as `push` does).
    if (t === undefined) this.push(e);
    else this.childOf(t, e, kind, cpu, ts, comm, -1, 0);
  }

  /**
   * `pushChild` without an event of its own (the fast lane, when nobody outside the pipeline reads the trips): an
   * event of kind `kind` of known thread `tid` at `ts` on `cpu` (task `comm`), at line `line` of file `file`, whose
   * payload decoded to `body` (the memoized event of that payload, whose header is another line's). Its trip keeps
   * `body` among its children: classification reads only the kind and the body fields of children. False when the
   * thread is not known (the caller then makes the event and calls `pushChild`: a worker's head keeps it).
   */
  pushChildAt(body: TraceEvent, kind: TraceEvent['kind'], tid: number, cpu: number, ts: number, comm: string, file: number, line: number): boolean {
    if (tid < 0) return false;
    const t = this.find(tid, '', null);
    if (t === undefined) return false;
    this.childOf(t, body, kind, cpu, ts, comm, file, line);
    return true;
  }

  /**
   * `pushChild` of a `kvm_other` event without the event (the fast lane, when nobody outside the pipeline reads the
   * trips: see RoundTrip.children): what the event would change — the thread's time, CPU and comm, a
   * `time_backwards` at `file`:`line`, its place among the trip's children — without the object. False when the
   * thread is not known (the caller then makes the event and calls `pushChild`: a worker's head keeps it).
   */
  pushUnkept(tid: number, cpu: number, ts: number, comm: string, file: number, line: number): boolean {
    const t = this.touchKnown(tid, cpu, ts, comm, file, line);
    if (t === undefined) return false;
    if (t.open !== null && hasRoom(t)) t.unkept++;
    return true;
  }

  /**
   * What the event-less entry points (`pushUnkept`, `pushExitAt`, `pushEntryAt`) first do: the known thread of
   * `tid`, touched (`time_backwards` at `file`:`line`), or undefined (no tid, or a thread not seen yet).
   */
  private touchKnown(tid: number, cpu: number, ts: number, comm: string, file: number, line: number): ThreadState | undefined {
    if (tid < 0) return undefined;
    const t = this.find(tid, '', null);
    if (t !== undefined && this.touch(t, cpu, ts, comm)) this.diag.add('time_backwards', { file, line });
    return t;
  }

  /**
   * `pushExit` without the event (the fast lane, when nobody outside the pipeline reads the trips): an exit of known
   * thread `tid` at `ts` on `cpu` (task `comm`), at line `line` of file `file`, whose payload decoded to `body` (the
   * memoized event of that payload, whose header is another line's). It pairs exactly as the event would; the event
   * is made only if a worker's range ends with the trip open (`threadEnds`). False when the thread is not known (the
   * caller then makes the event and calls `pushExit`: a new thread, or a worker's head).
   */
  pushExitAt(tid: number, cpu: number, ts: number, comm: string, body: ExitBody, file: number, line: number): boolean {
    const t = this.touchKnown(tid, cpu, ts, comm, file, line);
    if (t === undefined) return false;
    this.counts.exits++;
    this.begin(t, body.vcpu);
    t.open = body;
    t.openEvent = null;
    t.openTs = ts;
    t.openCpu = cpu;
    t.openComm = comm;
    t.openFile = file;
    t.openLine = line;
    return true;
  }

  /**
   * `pushEntry` without the event (the fast lane, when nobody outside the pipeline reads the trips): an entry of
   * known thread `tid` at `ts` on `cpu`, printing `vcpu`, at line `line` of file `file`. It pairs exactly as the
   * event would; the trip it closes has no entry object. False when the thread is not known (the caller then makes
   * the event and calls `pushEntry`: a new thread, or a worker's head).
   */
  pushEntryAt(tid: number, cpu: number, ts: number, comm: string, vcpu: number, file: number, line: number): boolean {
    const t = this.touchKnown(tid, cpu, ts, comm, file, line);
    if (t === undefined) return false;
    this.counts.entries++;
    this.close(t, ts, vcpu, null, file, line);
    return true;
  }

  push(e: TraceEvent): void {
    if (this.head !== null && e.kind !== 'other') {
      if (e.kind === 'lost') {
        this.lost(e.cpu);
        this.toHead(e, false);
        return;
      }
      if (this.lookup(e) === undefined) {
        if (e.kind === 'exit' && e.cpu >= 0 && e.ts !== NO_TS) {
          this.toHead(e, true);
          this.syncExit(e);
        } else this.toHead(e, false);
        return;
      }
    }
    switch (e.kind) {
      case 'other':
        return;
      case 'lost':
        this.lost(e.cpu);
        return;
      case 'exit':
        this.exit(e);
        return;
      case 'entry':
        this.entry(e);
        return;
      default:
        this.child(e);
    }
  }

  /** Worker mode: the thread's state as the main thread will have it after replaying this exit (not counted here). */
  private syncExit(e: KvmExit): void {
    const key = threadKeyOf(e);
    const t: ThreadState = {
      info: { key, comm: e.comm, tid: e.tid, vcpu: e.vcpu >= 0 ? e.vcpu : -1, instance: e.instance },
      lastCpu: e.cpu,
      firstTs: e.ts,
      lastTs: e.ts,
      open: e,
      openEvent: e,
      openTs: e.ts,
      openCpu: -1,
      openComm: '',
      openFile: 0,
      openLine: 0,
      children: NO_CHILDREN,
      unkept: 0,
      uexitTs: NO_TS,
      tainted: false,
      paired: true,
    };
    this.register(key, e, t);
  }

  /**
   * Main thread: replay a worker's head (events already shifted to whole-input line numbers). `beforeEntry` is
   * called with each entry's votes before it is paired (the ISA hint of the trip it closes).
   */
  replay(items: readonly HeadItem[], beforeEntry: (votes: number[] | null) => void): void {
    const synced = new Set<string>();
    for (const it of items) {
      const e = it.ev;
      if (e.kind === 'lost') {
        // Threads the worker synced before this marker were tainted by the worker itself.
        this.lost(e.cpu, synced);
        continue;
      }
      if (e.kind === 'entry') beforeEntry(it.votes);
      this.push(e);
      if (it.sync) synced.add(threadKeyOf(e));
    }
  }

  /** Main thread: take over a worker's end state of the threads it synced (after `replay` of the same range). */
  adopt(ends: readonly ThreadEnd[], counts: PairCounts): void {
    for (const end of ends) {
      const t = this.threads.get(end.info.key);
      if (t === undefined) throw new Error(`parallel stitch: thread ${end.info.key} was synced but never replayed`);
      t.open = end.open;
      t.openEvent = end.open;
      t.openTs = end.open?.ts ?? NO_TS;
      // A posted state's empty arrays arrive as one shared, unfrozen array (structured clone keeps identity):
      // taking it would let one thread's children show up in another's.
      t.children = end.children.length === 0 ? NO_CHILDREN : end.children;
      t.unkept = end.unkept;
      t.uexitTs = end.uexitTs;
      t.tainted = end.tainted;
      if (end.lastCpu >= 0) t.lastCpu = end.lastCpu;
      if (end.lastTs !== NO_TS) t.lastTs = end.lastTs;
      t.paired = true;
      if (end.info.vcpu >= 0) t.info.vcpu = end.info.vcpu;
      if (t.info.comm === '' && end.info.comm !== '' && end.info.comm !== '<...>') t.info.comm = end.info.comm;
    }
    for (const k of Object.keys(counts) as (keyof PairCounts)[]) this.counts[k] += counts[k];
  }

  /** The main thread's record of a vCPU thread (rows merged from workers point at it). */
  threadInfo(key: string): ThreadInfo | undefined {
    return this.threads.get(key)?.info;
  }

  /** End of input: open round trips become orphan exits (or lost). */
  finish(): void {
    for (const t of this.threads.values()) {
      if (t.open !== null) {
        if (t.tainted) this.discard(openSource(t), 'discarded_lost');
        else {
          this.counts.orphanExits++;
          this.diag.add('orphan_exit', openSource(t));
        }
        clearOpen(t);
      }
    }
  }

  /** Sum over vCPU threads (threads with exits/entries) of their first→last KVM event span: the vCPU time the
   *  trace covers, the denominator of what-if savings. */
  vcpuTimeNs(): number {
    let sum = 0;
    for (const t of this.threads.values()) {
      if (t.paired && t.firstTs !== NO_TS && t.lastTs !== NO_TS) sum += Math.max(0, t.lastTs - t.firstTs);
    }
    return sum;
  }

  /** Threads with a tid and no instance prefix (nearly all), by number: no key string per event. */
  private readonly byTid = new Map<number, ThreadState>();
  /**
   * In front of `byTid`: the same threads by `tid & (TID_SLOTS - 1)`, one per slot (an array load and a compare
   * instead of a Map lookup per event, which a profile showed at ~60 ns on the 2-core VM). Filled with undefined
   * so that its elements kind is the one it keeps once threads are stored: an empty `new Array(n)` starts as
   * small integers, so each new session's array had another map than the one the optimized code was made for.
   */
  private readonly tidSlots: (ThreadState | undefined)[] = new Array<ThreadState | undefined>(TID_SLOTS).fill(undefined);

  private lookup(e: TraceEvent): ThreadState | undefined {
    return this.find(e.tid, e.instance, e);
  }

  /**
   * The thread of an event, from its tid and instance (`e` only for the key of the rare threads without a tid).
   * The header fields are passed as values, read by the caller: `exit` and `entry` read them from one event shape
   * each, so those reads stay monomorphic (read here, from every kind of event, they were megamorphic property
   * loads, ~50 ns per event in a profile).
   */
  private find(tid: number, instance: string, e: TraceEvent | null): ThreadState | undefined {
    if (tid >= 0 && instance === '') {
      const slot = tid & (TID_SLOTS - 1);
      const s = this.tidSlots[slot];
      if (s !== undefined && s.info.tid === tid) return s;
      const t = this.byTid.get(tid);
      if (t !== undefined) this.tidSlots[slot] = t;
      return t;
    }
    return e === null ? undefined : this.threads.get(threadKeyOf(e));
  }

  /** Record a new thread under its key (and its tid). */
  private register(key: string, e: TraceEvent, t: ThreadState): void {
    this.threads.set(key, t);
    if (e.tid >= 0 && e.instance === '') {
      this.byTid.set(e.tid, t);
      this.tidSlots[e.tid & (TID_SLOTS - 1)] = t;
    }
  }

  /** The thread of an event (made on first sight), with `touch` applied; the header fields as in `find`. */
  private state(tid: number, instance: string, cpu: number, ts: number, comm: string, e: TraceEvent): ThreadState {
    let t = this.find(tid, instance, e);
    if (t === undefined) {
      const key = threadKeyOf(e);
      t = {
        info: { key, comm, tid, vcpu: -1, instance },
        lastCpu: cpu,
        firstTs: NO_TS,
        lastTs: NO_TS,
        open: null,
        openEvent: null,
        openTs: NO_TS,
        openCpu: -1,
        openComm: '',
        openFile: 0,
        openLine: 0,
        children: NO_CHILDREN,
        unkept: 0,
        uexitTs: NO_TS,
        tainted: false,
        paired: false,
      };
      this.register(key, e, t);
    }
    if (this.touch(t, cpu, ts, comm)) this.diag.add('time_backwards', e.source);
    return t;
  }

  /**
   * What every event of a thread updates: its last CPU and time, its first time, its comm. True when its time went
   * backwards (the caller records `time_backwards` at the event's source).
   */
  private touch(t: ThreadState, cpu: number, ts: number, comm: string): boolean {
    let back = false;
    if (cpu >= 0) t.lastCpu = cpu;
    if (ts !== NO_TS) {
      if (t.firstTs === NO_TS) t.firstTs = ts;
      back = t.lastTs !== NO_TS && ts < t.lastTs;
      t.lastTs = ts;
    }
    if (t.info.comm === '' && comm !== '' && comm !== '<...>') t.info.comm = comm;
    return back;
  }

  /** A lost-event marker for `cpu` (-1: any) taints the threads last seen there, except those in `skip`. */
  private lost(cpu: number, skip?: ReadonlySet<string>): void {
    for (const t of this.threads.values()) {
      if (skip?.has(t.info.key) === true) continue;
      if (cpu < 0 || t.lastCpu === cpu || t.lastCpu < 0) t.tainted = true;
    }
  }

  private exit(e: KvmExit): void {
    this.counts.exits++;
    const t = this.state(e.tid, e.instance, e.cpu, e.ts, e.comm, e);
    this.begin(t, e.vcpu);
    openAt(t, e);
  }

  /**
   * An exit of thread `t` (already touched), printing `vcpu`: the end of an open trip that got no entry, and a clean
   * start (the caller then records the new open exit).
   */
  private begin(t: ThreadState, vcpu: number): void {
    t.paired = true;
    if (vcpu >= 0) t.info.vcpu = vcpu;
    if (t.open !== null) {
      // The previous exit never got its entry.
      if (t.tainted) this.discard(openSource(t), 'discarded_lost');
      else {
        this.counts.orphanExits++;
        this.diag.add('orphan_exit', openSource(t));
      }
    }
    // Whatever was lost before this exit ended with the thread in the guest, so this trip starts clean.
    t.tainted = false;
    clearChildren(t);
    t.uexitTs = NO_TS;
  }

  private entry(e: KvmEntry): void {
    this.counts.entries++;
    const t = this.state(e.tid, e.instance, e.cpu, e.ts, e.comm, e);
    this.close(t, e.ts, e.vcpu, e, e.source.file, e.source.line);
  }

  /**
   * An entry of thread `t` (already touched) at `ts`, printing `vcpu`: the end of its open round trip. `e` is the
   * entry event, or null when it was not made (`pushEntryAt`); diagnostics point at line `line` of file `file`.
   */
  private close(t: ThreadState, ts: number, vcpu: number, e: KvmEntry | null, file: number, line: number): void {
    t.paired = true;
    if (vcpu >= 0) t.info.vcpu = vcpu;
    const x = t.open;
    const xTs = t.openTs;
    const xEvent = t.openEvent;
    if (x === null) {
      if (t.tainted) {
        // An entry whose exit was lost.
        this.counts.discardedLost++;
        this.diag.add('discarded_lost', e?.source ?? { file, line });
        t.tainted = false;
      } else {
        this.counts.orphanEntries++;
        this.diag.add('orphan_entry', e?.source ?? { file, line });
      }
      return;
    }
    const children = t.children;
    if (t.tainted) {
      t.tainted = false;
      this.discard(openSource(t), 'discarded_lost');
      clearOpen(t);
      return;
    }
    clearOpen(t);
    let durNs: number | null = null;
    let kernelNs: number | null = null;
    let vmmNs: number | null = null;
    if (xTs !== NO_TS && ts !== NO_TS) {
      durNs = ts - xTs;
      if (durNs < 0) {
        this.counts.negative++;
        this.diag.add('negative_duration', e?.source ?? { file, line });
        return;
      }
      if (t.uexitTs !== NO_TS) {
        kernelNs = t.uexitTs - xTs;
        vmmNs = ts - t.uexitTs;
      }
      this.counts.complete++;
    } else {
      this.counts.untimed++;
      this.diag.add('missing_timestamp', e?.source ?? { file, line });
    }
    this.trips.onTrip({ thread: t.info, exit: x, exitTs: xTs, exitEvent: xEvent, entry: e, children, durNs, kernelNs, vmmNs });
  }

  private child(e: TraceEvent): void {
    const t = this.lookup(e);
    if (t !== undefined) this.childOf(t, e, e.kind, e.cpu, e.ts, e.comm, -1, 0);
  }

  /**
   * Event `e` (kind `kind`, header cpu/ts/comm) of thread `t`: a child of its open round trip, or a stray access.
   * Diagnostics point at line `line` of file `file`, or at `e.source` when `file` is -1 (`e` is then the line's own
   * event; otherwise a memoized one, see `pushChildAt`).
   */
  private childOf(t: ThreadState, e: TraceEvent, kind: TraceEvent['kind'], cpu: number, ts: number, comm: string, file: number, line: number): void {
    if (this.touch(t, cpu, ts, comm)) this.diag.add('time_backwards', file < 0 ? e.source : { file, line });
    if (t.open === null) {
      if (t.paired && isAccessKind(kind)) {
        this.counts.strayAccesses++;
        this.diag.add('stray_access', file < 0 ? e.source : { file, line });
      }
      return;
    }
    if (kind === 'userspace_exit' && t.uexitTs === NO_TS && ts !== NO_TS) t.uexitTs = ts;
    if (!hasRoom(t)) return;
    const c = t.children;
    if (c === NO_CHILDREN) t.children = [e];
    else (c as TraceEvent[]).push(e);
  }

  private discard(at: SourceRef, code: 'discarded_lost'): void {
    this.counts.discardedLost++;
    this.diag.add(code, at);
  }
}
