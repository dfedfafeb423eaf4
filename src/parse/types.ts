/**
 * Contracts between the parse stage and the rest of the pipeline.
 *
 * A format module (one per tool output, e.g. `trace-cmd-report.ts`) exports a `TraceFormat`: a sniffer that looks
 * only at the first lines, and a line parser. Record lines are split into a header (comm, tid, cpu, timestamp) and
 * `event name` + `payload`; `payloads.ts` turns name + payload into a typed `TraceEvent` for every format alike.
 * The binary trace.dat reader (`tracedat/`) produces the same `TraceEvent`s from decoded fields.
 */
import type { Diagnostics } from '../model/diagnostics.js';
import type { ExitBody, Isa, KvmEntry, KvmExit, SourceRef, TraceEvent } from '../model/events.js';

export type FormatName = 'ftrace' | 'trace-cmd' | 'perf-script' | 'trace-dat';

/** Options that change how text is interpreted. */
export interface ParseOptions {
  /** `--isa`: used when exit-reason names do not identify the ISA. */
  isa?: Isa;
  /** `--tsc-ghz`: clock rate for integer (counter/TSC) timestamps. */
  tscGhz?: number;
  /** Force a format instead of sniffing. */
  format?: FormatName | 'auto';
  /** Undo pasted-text damage (quotes, quoted-printable, wraps, cut columns; src/parse/repair/). Default true. */
  repair?: boolean;
}

/** A record line split into its columns; `null` fields were not printed. */
export interface LineColumns {
  comm: string;
  tid: number;
  cpu: number;
  /** Timestamp text exactly as printed ("2858.169378", "117471684343752"), '' when absent. */
  ts: string;
  /** Event name without the `kvm:` system prefix. */
  name: string;
  /** Payload after `name:` with surrounding white space trimmed. */
  payload: string;
  instance: string;
}

/** What a payload parser needs besides the text. */
export interface PayloadContext {
  diag: Diagnostics;
  source: SourceRef;
  /** The whole line, for diagnostic samples. */
  line: string;
}

/** Sniff result: a confidence in 0..1 (0 = certainly not this format). */
export type Sniffer = (firstLines: readonly string[]) => number;

export interface TraceFormat {
  name: FormatName;
  /** Looks only at the first lines of the input (at most ~4 KiB, as the Firefox Profiler importers do). */
  sniff: Sniffer;
}

/** Where parsed events go, in input order. */
export interface EventSink {
  (e: TraceEvent): void;
  /** Optional: the same events, for those whose kind the fast lane knows (see `KnownEventSink`). */
  known?: KnownEventSink;
}

/**
 * A sink's entry points for the events the fast lane made from bytes, whose kind it knows from the event name: the
 * same events in the same order as `sink(e)` would get them, but with the kind and the header fields as values.
 * The pipeline's handlers would otherwise read `kind`, `tid`, `ts`, … back from events of a dozen object shapes —
 * megamorphic property loads, several of them per event (issue #5 profile).
 */
export interface KnownEventSink {
  exit(e: KvmExit): void;
  entry(e: KvmEntry): void;
  /**
   * Any other KVM event (not exit, entry, lost or other). `kind` is `e.kind`; `tid`, `cpu`, `ts`, `comm` are e's
   * header fields, and its instance is ''.
   */
  child(e: TraceEvent, kind: TraceEvent['kind'], tid: number, cpu: number, ts: number, comm: string): void;
  /**
   * Optional: a `kvm_other` event (line `line` of file `file`) handed over without the event object, when the sink
   * can take it so; false means it cannot (the fast lane then makes the event and calls `child`). Measured on a
   * generated 2M-line trace (a fifth of its lines kvm_apic/kvm_fpu/vcpu_match_mmio): making those events and
   * keeping them in their trips' children was up to ~7 % of a single-threaded run.
   */
  unkept?(tid: number, cpu: number, ts: number, comm: string, file: number, line: number): boolean;
  /**
   * Optional: a kvm_exit (line `line` of file `file`) handed over without the event object, when the sink can take
   * it so; `body` is the memoized event of its payload (its header is another line's). False means it cannot (the
   * fast lane then makes the event and calls `exit`).
   */
  exitAt?(tid: number, cpu: number, ts: number, comm: string, body: ExitBody, file: number, line: number): boolean;
  /**
   * Optional: a kvm_entry (printing `vcpu`; line `line` of file `file`) handed over without the event object, when
   * the sink can take it so; false means it cannot (the fast lane then makes the event and calls `entry`). The block
   * lane offers the entries whose payload it recognised from its memo (the vcpu is the memoized event's).
   */
  entryAt?(tid: number, cpu: number, ts: number, comm: string, vcpu: number, file: number, line: number): boolean;
  /**
   * Optional: any other KVM event of kind `kind` (line `line` of file `file`; header `tid`, `cpu`, `ts`, `comm`)
   * handed over without an event object of its own, when the sink can take it so: `body` is the memoized event of its
   * payload, whose header is another line's (only its kind and body fields are this line's). False means it cannot
   * (the fast lane then makes the event and calls `child`).
   */
  childAt?(body: TraceEvent, kind: TraceEvent['kind'], tid: number, cpu: number, ts: number, comm: string, file: number, line: number): boolean;
}
