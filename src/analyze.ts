/**
 * The pipeline in one pass (DevTools `Processor` style): parse → pair → classify → summarize, each event handled
 * as it arrives, round trips aggregated as they complete. `analyzeFiles` drives it from files/stdin, `analyzeText`
 * from a string (tests, library users).
 */
import { ANALYSIS_SCHEMA, type Analysis, type RoundTripCounts } from './model/analysis.js';
import { Diagnostics } from './model/diagnostics.js';
import { NO_TS, type ExitBody, type Isa, type KvmEntry, type KvmExit, type TraceEvent } from './model/events.js';
import { UsageError } from './model/errors.js';
import { classifyAccess, classifyRoundTrip, REASON_CACHE_SLOTS, reasonSlot, type Classification } from './classify/classify.js';
import { AccessGrouper, releaseGroup, type AccessGroup } from './pair/accesses.js';
import { RoundTripPairer, type PairedTrip, type RoundTrip, type ThreadInfo, type TripSink } from './pair/round-trips.js';
import { linesInto, parseInputs, type ParseRunOptions, type ParseSummary } from './parse/index.js';
import { LineSplitter } from './parse/lines.js';
import { TextParser } from './parse/text-parser.js';
import { TimestampParser } from './parse/timestamps.js';
import type { EventSink, FormatName, KnownEventSink } from './parse/types.js';
import { Summarizer, type ClassifiedUnit } from './stats/summarize.js';
import { TimelineCollector } from './stats/timeline.js';
import type { DeferredTrip, RangeJob, RangeResult } from './parallel/types.js';
import { parseParallel, planParallel } from './parallel/driver.js';
import { compareWithModel } from './costmodel/compare.js';
import { loadModel } from './costmodel/load.js';
import type { CostModel } from './costmodel/types.js';
import { VERSION } from './version.js';

export interface AnalyzeOptions extends ParseRunOptions {
  /** Keep only these vCPU ids / thread ids. */
  vcpu?: number[];
  pid?: number[];
  /** Window in trace time, seconds as printed (e.g. "2858.2"). */
  since?: string;
  until?: string;
  /** Called for every classified round trip / access (export, tests, `--explain`). */
  onUnit?: (u: ClassifiedUnit, source: RoundTrip | AccessGroup) => void;
  /** Names to show for the inputs (defaults to the paths). */
  displayNames?: string[];
  /** Compare with this cost model (a built-in name or a CSV/JSON file; see src/costmodel). */
  model?: string;
  /** Hardware exit+entry cost for basis conversion (overrides the model's and the default). */
  transitionNs?: number;
  /** Collect `analysis.timeline` (exit counts over time per class and per vCPU thread). */
  timeline?: boolean;
  /**
   * Threads for one large text file (src/parallel/): byte ranges parsed by worker threads and stitched. Default:
   * the machine's available parallelism; 1 = single-threaded. Results are identical either way.
   */
  threads?: number;
  /** Files smaller than this are read single-threaded (default 64 MiB: below it, starting workers costs more). */
  parallelMinBytes?: number;
  /** Tests: split the file at these byte offsets (each moved to the next line start) instead of evenly. */
  splitAt?: number[];
  /**
   * Work stealing (src/parallel/driver.ts): a thread that ran out of work takes part of the unread part of another
   * thread's range while at least this many bytes of it are left (default 64 MiB; Infinity: never).
   */
  stealMinBytes?: number;
}

export interface AnalysisRun {
  analysis: Analysis;
  diagnostics: Diagnostics;
  summarizer: Summarizer;
  /** True when provisional "-kernel" classes were relabelled "-unknown". */
  relabelUnknown: boolean;
  /** The earliest timestamp of the input on the events' (rebased) time scale; +Infinity without timestamps. */
  firstTs: number;
  /** The parallel path's byte ranges and how many were stitched from worker threads (null: single pass). */
  parallel: { ranges: number; stitched: number } | null;
}

type RawReason = NonNullable<ClassifiedUnit['rawReason']>;
/** Shared, frozen exit-reason keys by printed reason (a handful of reasons repeat millions of times). */
const rawReasonMemo = new Map<string, RawReason[]>();
const RAW_REASON_MEMO_MAX = 4096;
const rawReasonCache: (RawReason | undefined)[] = new Array<RawReason | undefined>(REASON_CACHE_SLOTS);

/** The exit reason as the summary keys it; arm64 rows are named by the exception class (IRQ exits by type). */
function rawReasonOf(x: ExitBody): RawReason {
  const isa = x.isa;
  const raw = isa === 'arm64' && x.arm64 !== undefined ? x.arm64.ecName : x.rawReason;
  const code = x.exitCode;
  const arm64Type = x.arm64?.type ?? '';
  // A direct-mapped cache in front of the memo (keys are shared, frozen objects; see rawReasonMemo).
  const cs = reasonSlot(raw);
  const hit = rawReasonCache[cs];
  if (hit !== undefined && hit.raw === raw && hit.isa === isa && hit.code === code && hit.arm64Type === arm64Type) return hit;
  let list = rawReasonMemo.get(raw);
  if (list !== undefined) {
    for (const r of list) {
      if (r.isa === isa && r.code === code && r.arm64Type === arm64Type) {
        rawReasonCache[cs] = r;
        return r;
      }
    }
  } else if (rawReasonMemo.size < RAW_REASON_MEMO_MAX) {
    list = [];
    rawReasonMemo.set(raw, list);
  }
  const r: RawReason = Object.freeze({ isa, raw, code, arm64Type });
  if (list !== undefined && list.length < 16) list.push(r);
  return r;
}

/** Votes per ISA in the order vmx, svm, arm64, unknown (posted between threads as plain arrays). */
const ISAS = ['vmx', 'svm', 'arm64', 'unknown'] as const;

/** The pipeline state shared by the drivers (the main thread's, or a worker's for one byte range). */
export class Session implements KnownEventSink, TripSink {
  readonly diag: Diagnostics;
  /** The rows; at `finish` of a trace without kvm_exit/kvm_entry, the access summary (`accesses`) takes its place. */
  summarizer: Summarizer;
  readonly pairer: RoundTripPairer;
  readonly grouper: AccessGrouper;
  private ts: TimestampParser | null = null;
  private sawExitOrEntry = false;
  private userspaceExits = 0;
  private readonly isaVotes: Record<Isa, number> = { vmx: 0, svm: 0, arm64: 0, unknown: 0 };
  /** Main thread, replaying a worker's range: the votes as they stood when that range's event was read. */
  private hintVotes: Record<Isa, number> | null = null;
  timeline: TimelineCollector | null;
  /**
   * Access units (see pair/accesses.ts), summarized as they are grouped, apart from the round trips: they are the
   * analysis only if the trace never shows a kvm_exit or kvm_entry (mode 'accesses'), which is known at the end.
   * Keeping the units until then made memory grow with such a trace (a 2M-event trace.dat of the lab's 6.18 host
   * kind: 694 MB peak RSS, a third of the time in GC). The grouper stops at the first exit or entry. Null until the
   * first group.
   */
  private accesses: { summarizer: Summarizer; timeline: TimelineCollector | null; classified: number } | null = null;
  /** Worker: trips whose class needs the whole input's ISA hint (posted to the main thread). */
  private readonly deferred: DeferredTrip[] = [];
  private deferOverflow = false;
  /** With an `onUnit`, the access units and their groups, handed over at `finish` if the mode is 'accesses'. */
  private pendingAccess: { u: ClassifiedUnit; g: AccessGroup }[] = [];
  filtered = 0;
  classified = 0;
  private sinceNs: number | null = null;
  private untilNs: number | null = null;
  private windowReady = false;

  constructor(
    readonly files: string[],
    private readonly opts: AnalyzeOptions,
    /** Set in a worker thread: the byte range this session reads. */
    private readonly job: RangeJob | null = null,
  ) {
    this.diag = new Diagnostics(files);
    this.summarizer = new Summarizer(() => this.ts?.resolutionNs ?? 1);
    if (job !== null) {
      this.summarizer.setQuantum(job.quantum);
      // A worker's range is in round-trip mode: the main thread saw a round trip before it started workers.
      this.sawExitOrEntry = true;
    }
    this.pairer = new RoundTripPairer(
      this,
      this.diag,
      job === null ? null : { headLimit: job.headLimit, votes: () => this.voteList() },
    );
    this.grouper = new AccessGrouper((g) => this.onGroup(g));
    this.timeline = opts.timeline === true ? new TimelineCollector() : null;
    // Loaded before any input is read, so a bad model file fails fast.
    this.model = job === null && opts.model !== undefined ? loadModel(opts.model) : null;
  }

  /** The sample quantum in ns, fixed at the first round trip (the parallel driver starts workers once it is). */
  get quantum(): number | null {
    return this.summarizer.sampleQuantum;
  }

  /** The ISA votes so far as a plain array (ISAS order), for posting between threads. */
  private voteList(): number[] {
    return ISAS.map((k) => this.isaVotes[k]);
  }

  /** Worker: everything the main thread needs to stitch this range (see src/parallel/types.ts). */
  rangeResult(parser: TextParser): RangeResult {
    const ts = this.ts!;
    return {
      unusable: !parser.parallelSafe
        ? 'the range switched on pasted-text repair or multi-file prefixes'
        : this.pairer.headOverflow
          ? 'too many events before the vCPU threads synced'
          : this.deferOverflow
            ? 'too many exits whose reason names no ISA'
            : null,
      counts: { ...parser.counts },
      eventCounts: [...parser.eventCounts],
      ts: ts.toState(),
      diagnostics: this.diag.toState(),
      head: this.pairer.headItems(),
      ends: this.pairer.threadEnds(),
      pairCounts: { ...this.pairer.counts },
      summary: this.summarizer.toState(),
      timeline: this.timeline?.toState() ?? null,
      deferred: this.deferred,
      votes: this.voteList(),
      userspaceExits: this.userspaceExits,
      sawExitOrEntry: this.sawExitOrEntry,
      filtered: this.filtered,
      classified: this.classified,
    };
  }

  /** Main thread: can this worker's result be stitched on (rows and timeline merge without overflow)? */
  canAbsorb(r: RangeResult): boolean {
    if (r.unusable !== null) return false;
    if (!this.summarizer.canMerge(r.summary)) return false;
    if (this.timeline !== null && r.timeline !== null && !this.timeline.canMerge(r.timeline)) return false;
    return true;
  }

  /**
   * Main thread: stitch a worker's range on — the input so far ended where the range begins, `lineOffset` lines
   * into the file. Replays its head on this pairer, adopts its threads, merges its rows.
   */
  absorb(r: RangeResult, lineOffset: number): void {
    // An object may arrive in several places: a memoized event the fast lane made for a line of the range's head
    // is what later trips of the range keep as their children (RoundTripPairer.pushChildAt), and the structured
    // clone keeps it one object. Each is shifted once.
    const shifted = new Set<TraceEvent>();
    const shift = (e: TraceEvent): void => {
      if (shifted.has(e)) return;
      shifted.add(e);
      e.source = { file: e.source.file, line: e.source.line + lineOffset };
    };
    for (const h of r.head) shift(h.ev);
    for (const end of r.ends) {
      if (end.open !== null) shift(end.open);
      for (const c of end.children) shift(c);
    }
    this.diag.mergeState(r.diagnostics, lineOffset);
    const base = { ...this.isaVotes };
    const at = (v: number[]): Record<Isa, number> => ({
      vmx: base.vmx + (v[0] ?? 0),
      svm: base.svm + (v[1] ?? 0),
      arm64: base.arm64 + (v[2] ?? 0),
      unknown: base.unknown + (v[3] ?? 0),
    });
    this.pairer.replay(r.head, (v) => {
      this.hintVotes = v === null ? null : at(v);
    });
    this.hintVotes = null;
    this.pairer.adopt(r.ends, r.pairCounts);
    const infoOf = (k: string) => this.pairer.threadInfo(k);
    this.summarizer.merge(r.summary, infoOf);
    if (this.timeline !== null && r.timeline !== null) this.timeline.merge(r.timeline, infoOf);
    for (const d of r.deferred) {
      shift(d.exit);
      for (const c of d.children) shift(c);
      this.hintVotes = at(d.votes);
      const thread = infoOf(d.threadKey);
      if (thread === undefined) throw new Error(`parallel stitch: unknown thread ${d.threadKey}`);
      const exit = d.exit;
      this.classifyTrip({ thread, exit, exitTs: exit.ts, exitEvent: exit, entry: null, children: d.children, durNs: d.durNs, kernelNs: d.kernelNs, vmmNs: d.vmmNs });
    }
    this.hintVotes = null;
    ISAS.forEach((k, i) => (this.isaVotes[k] += r.votes[i] ?? 0));
    this.userspaceExits += r.userspaceExits;
    this.sawExitOrEntry ||= r.sawExitOrEntry;
    this.filtered += r.filtered;
    this.classified += r.classified;
  }

  private readonly model: CostModel | null;

  bindTimestamps(ts: TimestampParser): void {
    this.ts = ts;
  }

  /** An exit (from any lane; KnownEventSink `exit`). */
  exit(e: KvmExit): void {
    this.vote(e.isa);
    this.sawExitOrEntry = true;
    this.pairer.pushExit(e);
  }

  /** An exit's ISA vote. Named stores (a keyed `votes[e.isa]++` was a slow generic store in a profile). */
  private vote(isa: Isa): void {
    const v = this.isaVotes;
    if (isa === 'vmx') v.vmx++;
    else if (isa === 'svm') v.svm++;
    else if (isa === 'arm64') v.arm64++;
    else v.unknown++;
  }

  /** An entry (from any lane; KnownEventSink `entry`). */
  entry(e: KvmEntry): void {
    this.sawExitOrEntry = true;
    this.pairer.pushEntry(e);
  }

  /** Any other event (`kind` is e.kind). */
  private onOther(e: TraceEvent, kind: TraceEvent['kind']): void {
    this.pairer.push(e);
    this.afterOther(e, kind);
  }

  /** What an event other than an exit or entry updates besides the pairer. */
  private afterOther(e: TraceEvent, kind: TraceEvent['kind']): void {
    if (kind === 'userspace_exit') this.userspaceExits++;
    // Access grouping only matters while the trace has shown no kvm_exit/kvm_entry.
    if (!this.sawExitOrEntry) this.grouper.push(e);
  }

  // The other events of the fast lane whose kind it knows (parse/types.ts KnownEventSink; `exit` and `entry` above):
  // no `kind` read back. They are this class's methods, not closures made per session: a range stolen late in a run
  // is a thread's second session, and its new closures made the optimized callers deoptimize ("wrong call target")
  // just when it started.

  child(e: TraceEvent, kind: TraceEvent['kind'], tid: number, cpu: number, ts: number, comm: string): void {
    // Before the first exit or entry the pairer knows no thread, and does nothing with another event of one (a
    // worker's session starts past that point: its pairer keeps such events as heads).
    if (this.sawExitOrEntry) this.pairer.pushChild(e, kind, tid, cpu, ts, comm);
    this.afterOther(e, kind);
  }

  /** A kvm_other event needs no object when nobody sees the trips or access groups (`onUnit`: their children):
   *  see RoundTripPairer.pushUnkept, and AccessGrouper.pushUnkeptAt before the trace has shown an exit or entry. */
  unkept(tid: number, cpu: number, ts: number, comm: string, file: number, line: number): boolean {
    if (this.opts.onUnit !== undefined) return false;
    if (!this.sawExitOrEntry) return this.grouper.pushUnkeptAt(tid, ts);
    return this.pairer.pushUnkept(tid, cpu, ts, comm, file, line);
  }

  /** Nor does an exit (see RoundTripPairer.pushExitAt), unless it names no ISA: a worker defers its trip to the
   *  main thread, which needs the event. */
  exitAt(tid: number, cpu: number, ts: number, comm: string, body: ExitBody, file: number, line: number): boolean {
    if (this.opts.onUnit !== undefined || body.isa === 'unknown' || !this.pairer.pushExitAt(tid, cpu, ts, comm, body, file, line)) return false;
    this.vote(body.isa);
    this.sawExitOrEntry = true;
    return true;
  }

  /** Nor does any other event whose payload the fast lane memoized: its trip, or before the trace has shown an exit
   *  or entry its access group, keeps the memoized event (RoundTripPairer.pushChildAt, AccessGrouper.pushAt). */
  childAt(body: TraceEvent, kind: TraceEvent['kind'], tid: number, cpu: number, ts: number, comm: string, file: number, line: number): boolean {
    if (this.opts.onUnit !== undefined) return false;
    if (!(this.sawExitOrEntry ? this.pairer.pushChildAt(body, kind, tid, cpu, ts, comm, file, line) : this.grouper.pushAt(body, kind, tid, ts, comm))) return false;
    if (kind === 'userspace_exit') this.userspaceExits++;
    return true;
  }

  /** An entry needs no object when nobody sees the trips: see RoundTripPairer.pushEntryAt. */
  entryAt(tid: number, cpu: number, ts: number, comm: string, vcpu: number, file: number, line: number): boolean {
    if (this.opts.onUnit !== undefined || !this.pairer.pushEntryAt(tid, cpu, ts, comm, vcpu, file, line)) return false;
    this.sawExitOrEntry = true;
    return true;
  }

  readonly sink: EventSink = Object.assign(
    (e: TraceEvent): void => {
      // The kind is read once; exits and entries (most events) go to the pairer's typed entry points.
      const kind = e.kind;
      if (kind === 'exit') this.exit(e);
      else if (kind === 'entry') this.entry(e);
      else this.onOther(e, kind);
    },
    { known: this },
  );

  private isaHint(): Isa {
    if (this.opts.isa !== undefined && this.opts.isa !== 'unknown') return this.opts.isa;
    const v = this.hintVotes ?? this.isaVotes;
    if (v.svm > v.vmx) return 'svm';
    if (v.vmx > 0) return 'vmx';
    if (v.arm64 > 0) return 'arm64';
    return v.unknown > 0 ? 'vmx' : 'unknown';
  }

  private inWindow(t: number, thread: ThreadInfo): boolean {
    if (!this.windowReady) {
      this.windowReady = true;
      if (this.opts.since !== undefined) this.sinceNs = this.ts?.rebaseSeconds(this.opts.since) ?? null;
      if (this.opts.until !== undefined) this.untilNs = this.ts?.rebaseSeconds(this.opts.until) ?? null;
    }
    if (this.opts.vcpu !== undefined && this.opts.vcpu.length > 0 && !this.opts.vcpu.includes(thread.vcpu)) return false;
    if (this.opts.pid !== undefined && this.opts.pid.length > 0 && !this.opts.pid.includes(thread.tid)) return false;
    if (t !== NO_TS) {
      if (this.sinceNs !== null && t < this.sinceNs) return false;
      if (this.untilNs !== null && t > this.untilNs) return false;
    }
    return true;
  }

  /** A completed round trip (the pairer's TripSink). */
  onTrip(rt: PairedTrip): void {
    if (!this.inWindow(rt.exitTs, rt.thread)) {
      this.filtered++;
      return;
    }
    if (this.job !== null && rt.exit.isa === 'unknown' && rt.exit.arm64 === undefined && (this.opts.isa === undefined || this.opts.isa === 'unknown')) {
      // The class depends on the votes of the whole input so far, which only the main thread knows.
      // Its exit is an event: `known.exitAt` declines exits that name no ISA.
      if (rt.exitEvent === null) throw new Error('deferred round trip without its exit event');
      if (this.deferred.length >= this.job.deferLimit) this.deferOverflow = true;
      else {
        this.deferred.push({
          threadKey: rt.thread.key,
          exit: rt.exitEvent,
          children: rt.children,
          durNs: rt.durNs,
          kernelNs: rt.kernelNs,
          vmmNs: rt.vmmNs,
          votes: this.voteList(),
        });
      }
      return;
    }
    this.classifyTrip(rt);
  }

  private classifyTrip(rt: PairedTrip): void {
    const c = classifyRoundTrip(rt.exit, rt.children, this.isaHint());
    const u = this.unit(rt.thread, c, rt.durNs, rt.kernelNs, rt.vmmNs, rawReasonOf(rt.exit));
    this.classified++;
    this.summarizer.add(u);
    this.timeline?.add(rt.exitTs, u.cls, u.thread);
    // With an `onUnit` every trip has both events (the fast lane hands none over without them then).
    if (rt.entry !== null && rt.exitEvent !== null) this.opts.onUnit?.(u, { ...rt, exit: rt.exitEvent, entry: rt.entry });
  }

  private onGroup(g: AccessGroup): void {
    if (!this.inWindow(g.ts, g.thread)) {
      this.filtered++;
      return;
    }
    const c = classifyAccess(g.children);
    const u = this.unit(g.thread, c, null, null, g.vmmNs, null);
    // A worker's session, and a trace that starts with an exit, never make one.
    const a = (this.accesses ??= {
      summarizer: new Summarizer(() => this.ts?.resolutionNs ?? 1),
      timeline: this.opts.timeline === true ? new TimelineCollector() : null,
      classified: 0,
    });
    a.classified++;
    a.summarizer.add(u);
    a.timeline?.add(g.ts, u.cls, u.thread);
    if (this.opts.onUnit !== undefined) this.pendingAccess.push({ u, g });
    else releaseGroup(g);
  }

  private unit(
    thread: ThreadInfo,
    c: Classification,
    durNs: number | null,
    kernelNs: number | null,
    vmmNs: number | null,
    rawReason: ClassifiedUnit['rawReason'],
  ): ClassifiedUnit {
    return { thread, cls: c.cls, evidence: c.evidence, device: c.device, rawReason, durNs, kernelNs, vmmNs };
  }

  finish(parse: ParseSummary): AnalysisRun {
    this.pairer.finish();
    this.grouper.finish();
    const mode: Analysis['mode'] = this.sawExitOrEntry ? 'round-trips' : 'accesses';
    if (mode === 'accesses') {
      // No round trip was summarized (a worker's range is in round-trip mode, and the main thread starts workers only
      // after a round trip): the access summary, if any group was made, is the analysis.
      const a = this.accesses;
      if (a !== null) {
        this.summarizer = a.summarizer;
        this.timeline = a.timeline;
        this.classified += a.classified;
      }
      for (const { u, g } of this.pendingAccess) this.opts.onUnit?.(u, g);
    }
    this.pendingAccess = [];
    const relabelUnknown = this.userspaceExits === 0;
    const isa = this.isaHint();
    if (this.isaVotes.vmx > 0 && this.isaVotes.svm > 0) this.diag.add('mixed_isa');
    if (this.isaVotes.unknown > 0 && this.isaVotes.vmx + this.isaVotes.svm === 0 && this.opts.isa === undefined) {
      this.diag.add('isa_ambiguous', undefined, undefined, this.isaVotes.unknown);
    }
    const rows = this.summarizer.finalize(relabelUnknown, isa);
    const ts = parse.ts;
    const notes: string[] = [];
    const pc = this.pairer.counts;

    if (mode === 'accesses' && this.grouper.count > 0) {
      notes.push(
        'This trace has no kvm_exit/kvm_entry events, so round-trip latency cannot be measured: every access event ' +
          '(kvm_pio, kvm_mmio, kvm_fast_mmio, kvm_hypercall, kvm_msr, kvm_cpuid) was classified with its ' +
          'kvm_emulate_insn/kvm_userspace_exit neighbours, and only the VMM phase (kvm_userspace_exit → the ' +
          "thread's next KVM event) is timed. Record kvm:kvm_exit and kvm:kvm_entry to get latencies.",
      );
    }
    if (relabelUnknown && rows.totalCount > 0) {
      notes.push(
        'The trace holds no kvm_userspace_exit events, so it cannot tell whether KVM or the VMM handled PIO, MMIO ' +
          'and hypercalls: those are classed *-unknown. Record kvm:kvm_userspace_exit to tell them apart.',
      );
    }
    const timeUnit = ts.timeUnit;
    if (timeUnit === 'ticks') {
      this.diag.add('ticks_without_clock_rate');
      notes.push('Timestamps are raw counter ticks (x86-tsc/counter clock): durations are in ticks. Pass --tsc-ghz to convert.');
    }
    const p50 = this.summarizer.overallLatency()?.stats()?.p50Ns ?? Number.NaN;
    const res = ts.resolutionNs;
    if (res !== null && res >= 1000 && Number.isFinite(p50) && p50 < 20 * res) {
      this.diag.add('coarse_timestamps');
      notes.push(
        `Timestamps have ${res / 1000} µs resolution and the median round trip is ${Math.round(p50)} ns: ` +
          'percentiles are quantized to whole microseconds. Use trace-cmd report -t or perf script --ns for nanoseconds.',
      );
    }

    const roundTrips: RoundTripCounts = {
      exits: pc.exits,
      entries: pc.entries,
      complete: pc.complete,
      orphanExits: pc.orphanExits,
      orphanEntries: pc.orphanEntries,
      negative: pc.negative,
      discardedLost: pc.discardedLost,
      untimed: pc.untimed,
      strayAccesses: pc.strayAccesses,
      accesses: mode === 'accesses' ? this.grouper.count : 0,
      filtered: this.filtered,
      classified: this.classified,
      vcpuTimeNs: this.pairer.vcpuTimeNs(),
    };
    if (this.filtered > 0) this.diag.add('filtered', undefined, undefined, this.filtered);
    // Round trips merged into the "(other threads)"/"other" rows (declared codes that were never recorded).
    if (this.summarizer.threadOverflow > 0) this.diag.add('thread_limit', undefined, undefined, this.summarizer.threadOverflow);
    if (this.summarizer.deviceOverflow > 0) this.diag.add('device_limit', undefined, undefined, this.summarizer.deviceOverflow);
    if (this.summarizer.reasonOverflow > 0) this.diag.add('reason_limit', undefined, undefined, this.summarizer.reasonOverflow);

    const eventCounts: Record<string, number> = {};
    for (const [k, v] of [...parse.eventCounts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
      eventCounts[k] = v;
    }
    const filters: Analysis['filters'] = {};
    if (this.opts.vcpu?.length) filters.vcpu = this.opts.vcpu;
    if (this.opts.pid?.length) filters.pid = this.opts.pid;
    if (this.opts.since !== undefined) filters.since = this.opts.since;
    if (this.opts.until !== undefined) filters.until = this.opts.until;

    const formats = [...new Set(parse.formats)];
    const analysis: Analysis = {
      schema: ANALYSIS_SCHEMA,
      tool: { name: 'exitlens', version: VERSION },
      mode,
      input: {
        files: this.files,
        format: formats.join(',') || 'unknown',
        lines: parse.counts.lines,
        events: parse.counts.events,
        nonEventLines: parse.counts.nonEventLines,
        unrecognizedLines: parse.counts.unrecognizedLines,
        bytes: parse.counts.bytes,
        eventCounts,
        timestampResolutionNs: timeUnit === 'ticks' ? null : ts.resolutionNs,
        timeUnit,
        tscGhz: this.opts.tscGhz ?? null,
        isa,
        firstTimestamp: ts.first,
        lastTimestamp: ts.lastText,
        spanNs: Number.isFinite(ts.maxTs) && Number.isFinite(ts.minTs) ? ts.maxTs - ts.minTs : null,
        diagnostics: { bySeverity: this.diag.bySeverity(), byCode: this.diag.summaries() },
      },
      roundTrips,
      mechanisms: rows.mechanisms,
      exitReasons: rows.exitReasons,
      vcpus: rows.vcpus,
      devices: rows.devices,
      notes,
      filters,
    };
    if (this.model !== null) {
      const accs = this.summarizer.classAccumulators(relabelUnknown);
      const mo = this.opts.transitionNs !== undefined ? { transitionNs: this.opts.transitionNs } : {};
      analysis.model = compareWithModel(analysis, accs, this.model, mo);
    }
    if (this.timeline !== null) {
      const tl = this.timeline.finish(relabelUnknown, ts.minTs, analysis.input.timestampResolutionNs ?? 1);
      if (tl !== null) analysis.timeline = tl;
    }
    return { analysis, diagnostics: this.diag, summarizer: this.summarizer, relabelUnknown, firstTs: ts.minTs, parallel: parse.parallel ?? null };
  }
}

function validate(opts: AnalyzeOptions): void {
  for (const k of ['since', 'until'] as const) {
    const v = opts[k];
    if (v !== undefined && !/^\d+(\.\d+)?$/.test(v)) throw new UsageError(`--${k} takes seconds in trace time, e.g. 2858.25; got "${v}"`);
  }
  if (opts.tscGhz !== undefined && !(opts.tscGhz > 0)) throw new UsageError('--tsc-ghz must be a positive number of GHz');
  if (opts.transitionNs !== undefined && !(opts.transitionNs >= 0)) throw new UsageError('--transition-ns must be a non-negative number of ns');
}

/** Analyze files (or `-` for stdin) as one trace. */
export async function analyzeFiles(paths: readonly string[], opts: AnalyzeOptions = {}): Promise<AnalysisRun> {
  validate(opts);
  const names = opts.displayNames ?? paths.map((p) => (p === '-' ? '<stdin>' : p));
  const s = new Session([...names], opts);
  // One large text file: byte ranges in worker threads (src/parallel/), with results identical to the single pass.
  const plan = await planParallel(paths, opts);
  const parse =
    plan !== null
      ? await parseParallel(plan, names[0] ?? paths[0]!, s, opts)
      : await parseInputs(paths, names, s.sink, s.diag, {
          ...opts,
          onTimestamps: (ts) => s.bindTimestamps(ts),
        });
  return s.finish(parse);
}

/** Analyze trace text held in memory (tests, library use). `chunkSize` splits it to exercise chunk boundaries. */
export function analyzeText(text: string, opts: AnalyzeOptions & { name?: string } = {}): AnalysisRun {
  validate(opts);
  const name = opts.name ?? '<text>';
  const s = new Session([name], opts);
  const ts = new TimestampParser(opts.tscGhz ?? null);
  s.bindTimestamps(ts);
  const forced: FormatName | null = opts.format !== undefined && opts.format !== 'auto' ? opts.format : null;
  const parser = new TextParser(0, name, s.diag, ts, s.sink, forced, opts.repair !== false);
  let final = false;
  const splitter = new LineSplitter(linesInto(parser, 0, ts, s.diag, opts.fastLane !== false, () => final));
  const buf = Buffer.from(text, 'utf8');
  const size = opts.chunkSize ?? buf.length;
  for (let i = 0; i < buf.length; i += Math.max(1, size)) splitter.push(buf.subarray(i, Math.min(buf.length, i + Math.max(1, size))));
  final = true;
  splitter.end();
  parser.end();
  return s.finish({
    formats: [parser.format ?? 'ftrace'],
    counts: parser.counts,
    eventCounts: parser.eventCounts,
    ts,
  });
}
