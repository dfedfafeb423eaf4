/**
 * The text parser: one instance per input stream. It sniffs the format from the first lines (or takes --format),
 * then turns every line into exactly one of: an event (sent to the sink), a known non-event (blank, `#` header or
 * comment, trace-cmd prologue), or a counted diagnostic with file:line. Nothing is dropped silently:
 * `lines === events + nonEventLines + unrecognizedLines` always holds.
 */
import type { Diagnostics } from '../model/diagnostics.js';
import type { EventHeader, TraceEvent } from '../model/events.js';
import { NO_TS } from '../model/events.js';
import { UnknownFormatError } from '../model/errors.js';
import { sniffFtrace } from './ftrace.js';
import { buildEvent } from './payloads.js';
import { sniffPerfScript } from './perf-script.js';
import { parseLostMarker, splitRecordLine, type TaskStyle } from './record-line.js';
import type { TimestampParser } from './timestamps.js';
import { isTraceCmdPrologue, parseCpusLine, sniffTraceCmd } from './trace-cmd-report.js';
import type { EventSink, FormatName } from './types.js';

/** Sniff on at most this many lines / bytes of the input (Firefox Profiler reads 4 KiB; pasted mails need more). */
const SNIFF_LINES = 400;
const SNIFF_BYTES = 256 * 1024;
/**
 * A line that names a KVM trace event (as `kvm_exit:` or `kvm:kvm_exit:`) but did not parse is an error, not
 * prose. Module printk lines such as `kvm_intel: VMX timer exit …` are not trace events and stay prose.
 */
const KVM_MENTION =
  /(?:^|[\s:])kvm_(?:exit|entry|pio|mmio|fast_mmio|hypercall|hv_hypercall|xen_hypercall|userspace_exit|msr|cpuid|emulate_insn|nested_vmexit|nested_vmexit_inject|page_fault|inj_virq|apic|apic_accept_irq|fpu|ple_window_update|set_irq|eoi|ack_irq): /;

export interface LineCounts {
  lines: number;
  events: number;
  nonEventLines: number;
  unrecognizedLines: number;
  bytes: number;
}

export interface SniffOutcome {
  format: FormatName;
  scores: Record<string, number>;
}

export function sniffText(lines: readonly string[]): SniffOutcome | null {
  const scores = {
    'trace-cmd': sniffTraceCmd(lines),
    'perf-script': sniffPerfScript(lines),
    ftrace: sniffFtrace(lines),
  };
  let best: FormatName | null = null;
  let bestScore = 0;
  for (const [k, v] of Object.entries(scores)) {
    if (v > bestScore) {
      best = k as FormatName;
      bestScore = v;
    }
  }
  return best === null ? null : { format: best, scores };
}

export class TextParser {
  readonly counts: LineCounts = { lines: 0, events: 0, nonEventLines: 0, unrecognizedLines: 0, bytes: 0 };
  readonly eventCounts = new Map<string, number>();
  format: FormatName | null;
  private style: TaskStyle = 'dash';
  private pending: { text: string; bad: boolean; final: boolean }[] | null = [];
  private pendingBytes = 0;
  /** trace-cmd multi-file prefixes (from `name: cpus=N` lines). */
  private prefixes: string[] = [];
  private lineNo = 0;

  constructor(
    private readonly fileIndex: number,
    private readonly fileName: string,
    private readonly diag: Diagnostics,
    private readonly ts: TimestampParser,
    private readonly sink: EventSink,
    forced: FormatName | null = null,
  ) {
    this.format = forced;
    if (forced !== null) {
      this.pending = null;
      this.style = forced === 'perf-script' ? 'space' : 'dash';
    }
  }

  /** `final`: the last line of the input, which had no newline (a possibly truncated capture). */
  line(text: string, badUtf8: boolean, final = false): void {
    this.counts.bytes += text.length + 1;
    if (this.pending !== null) {
      this.pending.push({ text, bad: badUtf8, final });
      this.pendingBytes += text.length + 1;
      if (this.pending.length >= SNIFF_LINES || this.pendingBytes >= SNIFF_BYTES) this.decide();
      return;
    }
    this.handle(text, badUtf8, final);
  }

  /** A line over the length limit: counted, never stored. */
  longLine(bytes: number): void {
    this.flushPendingIfAny();
    this.lineNo++;
    this.counts.lines++;
    this.counts.unrecognizedLines++;
    this.counts.bytes += bytes + 1;
    this.diag.add('long_line', { file: this.fileIndex, line: this.lineNo }, `<${bytes} bytes>`);
  }

  end(): void {
    if (this.pending !== null) this.decide(true);
  }


  private flushPendingIfAny(): void {
    if (this.pending !== null) this.decide(true);
  }

  private decide(atEnd = false): void {
    const pending = this.pending ?? [];
    this.pending = null;
    const outcome = sniffText(pending.map((p) => p.text));
    if (outcome === null) {
      const nonBlank = pending.filter((p) => p.text.trim() !== '');
      // Only headers/comments (an empty capture) is a valid, empty trace.
      const onlyHeaders = nonBlank.length > 0 && nonBlank.every((p) => p.text.startsWith('#') || isTraceCmdPrologue(p.text));
      if (onlyHeaders) {
        this.format = nonBlank.some((p) => isTraceCmdPrologue(p.text)) ? 'trace-cmd' : 'ftrace';
      } else {
        const first = nonBlank[0]?.text ?? '';
        const why =
          nonBlank.length === 0
            ? atEnd
              ? 'the input is empty'
              : 'no trace record in the first lines'
            : `no trace record found in the first ${pending.length} lines`;
        throw new UnknownFormatError(this.fileName, first, why);
      }
    } else {
      this.format = outcome.format;
    }
    this.style = this.format === 'perf-script' ? 'space' : 'dash';
    for (const p of pending) this.handle(p.text, p.bad, p.final);
  }

  /**
   * For the fast lane (fast-lane.ts): true once the format is decided and lines need no per-parser state the fast
   * lane does not replicate (multi-file prefixes).
   */
  get fastLaneReady(): boolean {
    return this.pending === null && this.prefixes.length === 0;
  }

  /** For the fast lane: account one more line and return its 1-based number. */
  takeLine(bytes: number): number {
    this.counts.bytes += bytes + 1;
    this.counts.lines++;
    return ++this.lineNo;
  }

  /** For the fast lane: a line it recognised as an event. `ev` null: counted, not emitted (non-KVM events). */
  fastEvent(ev: TraceEvent | null, name: string): void {
    this.counts.events++;
    this.eventCounts.set(name, (this.eventCounts.get(name) ?? 0) + 1);
    if (ev !== null) this.sink(ev);
  }

  private handle(text: string, badUtf8: boolean, final: boolean): void {
    this.lineNo++;
    this.counts.lines++;
    const source = { file: this.fileIndex, line: this.lineNo };
    if (badUtf8) this.diag.add('invalid_utf8', source, text);
    let t = text;
    if (t.length === 0 || t.trim() === '') {
      this.counts.nonEventLines++;
      return;
    }
    const c0 = t.charCodeAt(0);
    if (c0 === 35 /* # */) {
      this.counts.nonEventLines++;
      return;
    }
    const lost = parseLostMarker(t);
    if (lost !== null) {
      this.emit(
        { kind: 'lost', count: lost.count, ts: NO_TS, cpu: lost.cpu, tid: -1, comm: '', instance: '', source },
        'lost_events',
      );
      this.diag.add('lost_events', source, t, lost.count ?? 1);
      return;
    }
    let instance = '';
    if (this.prefixes.length > 0) {
      const stripped = this.stripPrefix(t);
      if (stripped !== null) {
        instance = stripped.prefix;
        t = stripped.rest;
      }
    }
    const cols = splitRecordLine(t, this.style);
    if (cols === null) {
      const cpus = parseCpusLine(t);
      if (cpus !== null) {
        if (cpus.prefix !== '' && !this.prefixes.includes(cpus.prefix)) this.prefixes.push(cpus.prefix);
        this.counts.nonEventLines++;
        return;
      }
      if (isTraceCmdPrologue(t)) {
        this.counts.nonEventLines++;
        return;
      }
      this.unrecognized(t, source, final);
      return;
    }
    const tsv = cols.ts === '' ? NO_TS : this.ts.parse(cols.ts);
    if (Number.isNaN(tsv)) {
      this.unrecognized(t, source, final);
      return;
    }
    const header: EventHeader = {
      ts: tsv,
      cpu: cols.cpu,
      tid: cols.tid,
      comm: cols.comm,
      instance: instance || cols.instance,
      source,
    };
    const ev = buildEvent(cols.name, cols.payload, header, { diag: this.diag, source, line: text });
    this.emit(ev, cols.name);
  }

  private emit(ev: TraceEvent, name: string): void {
    this.counts.events++;
    this.eventCounts.set(name, (this.eventCounts.get(name) ?? 0) + 1);
    this.sink(ev);
  }

  private unrecognized(t: string, source: { file: number; line: number }, final = false): void {
    this.counts.unrecognizedLines++;
    if (final) this.diag.add('truncated_line', source, t);
    else if (KVM_MENTION.test(t)) this.diag.add('unparsed_kvm_record', source, t);
    else this.diag.add('unrecognized_line', source, t);
  }

  private stripPrefix(t: string): { prefix: string; rest: string } | null {
    const s = t.trimStart();
    for (const p of this.prefixes) {
      if (s.startsWith(p) && s.startsWith(': ', p.length)) return { prefix: p, rest: s.slice(p.length + 2) };
    }
    return null;
  }
}
