/**
 * The text parser: one instance per input stream. It sniffs the format from the first lines (or takes --format),
 * then turns every line into exactly one of: an event (sent to the sink), a known non-event (blank, `#` header or
 * comment, trace-cmd prologue), or a counted diagnostic with file:line. Nothing is dropped silently:
 * `lines === events + nonEventLines + unrecognizedLines` always holds.
 * Pasted, mail-damaged text first goes through the repair stage (repair/index.ts), switched on from the sniff
 * window or at the first line it would change; a record it rejoined from several lines counts its continuation
 * lines as non-event lines.
 */
import { Diagnostics } from '../model/diagnostics.js';
import type { EventHeader, TraceEvent } from '../model/events.js';
import { NO_TS } from '../model/events.js';
import { UnknownFormatError } from '../model/errors.js';
import { sniffFtrace } from './ftrace.js';
import { buildEvent } from './payloads.js';
import { sniffPerfScript } from './perf-script.js';
import { parseLostMarker, splitRecordLine, type TaskStyle } from './record-line.js';
import type { TimestampParser } from './timestamps.js';
import { isTraceCmdPrologue, parseCpusLine, sniffTraceCmd } from './trace-cmd-report.js';
import {
  detectDamage,
  lateDamage,
  payloadParses,
  REPAIR_CODES,
  Repairer,
  sniffCutRecords,
  splitCutRecord,
  STEP_CUT,
  type LogicalLine,
} from './repair/index.js';
import type { EventSink, FormatName, KnownEventSink, LineColumns } from './types.js';

/** Receives the payload diagnostics of a truncated last line (reported once as `truncated_line`). */
const SCRATCH = new Diagnostics();

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

/** A fast-lane event name and the events of that name not yet folded into `TextParser.eventCounts`. */
export interface FastTally {
  readonly name: string;
  pending: number;
}

export class TextParser {
  readonly counts: LineCounts = { lines: 0, events: 0, nonEventLines: 0, unrecognizedLines: 0, bytes: 0 };
  /** Events per name; read through `eventCounts`, which first folds in the fast lane's per-name tallies. */
  private readonly counted = new Map<string, number>();
  /** The fast lane's per-name tallies (`blockEvent` bumps one field instead of updating the Map per line). */
  private readonly tallies: FastTally[] = [];
  private readonly tallyOf = new Map<string, FastTally>();
  format: FormatName | null;
  private style: TaskStyle = 'dash';
  /** The sniff window; `long` marks a line over the length limit (its byte count), kept in its place. */
  private pending: { text: string; bad: boolean; final: boolean; long?: number }[] | null = [];
  private pendingBytes = 0;
  /** trace-cmd multi-file prefixes (from `name: cpus=N` lines). */
  private prefixes: string[] = [];
  private lineNo = 0;
  /** The repair stage (repair/index.ts); null while the input looks clean (the zero-cost path). */
  private repairer: Repairer | null = null;

  constructor(
    private readonly fileIndex: number,
    private readonly fileName: string,
    private readonly diag: Diagnostics,
    private readonly ts: TimestampParser,
    private readonly sink: EventSink,
    forced: FormatName | null = null,
    /** `--no-repair` passes false: pasted-text damage is then not undone (repair/index.ts). */
    private readonly repairAllowed = true,
    /**
     * false: a worker thread reading a byte range from the middle of the input (src/parallel/): the format is
     * forced and the input's first lines were already looked at for damage, so no sniff window is kept.
     */
    window = true,
  ) {
    this.format = forced;
    if (forced !== null) {
      // A forced format skips sniffing; the window is still buffered when repair may need to look at it.
      if (!repairAllowed || !window) this.pending = null;
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
    this.feed(text, badUtf8, final);
  }

  /** One physical line after the sniff decision: through the repair stage when it is on. */
  private feed(text: string, badUtf8: boolean, final: boolean): void {
    if (this.repairer !== null) this.repairer.push(text, badUtf8, final);
    else this.handle(text, badUtf8, final);
  }

  /** A repaired logical line: `lines - 1` continuation lines are counted with it. */
  private handleLogical(l: LogicalLine): void {
    this.handle(l.text, l.bad, l.final, l.lines - 1, l.steps, l.cols);
  }

  /** A line over the length limit: counted, never stored. */
  longLine(bytes: number): void {
    if (this.pending !== null) {
      // Inside the sniff window: keep its place, so that the lines after it are still sniffed.
      this.pending.push({ text: '', bad: false, final: false, long: bytes });
      this.pendingBytes += 1;
      if (this.pending.length >= SNIFF_LINES) this.decide();
      return;
    }
    this.repairer?.end();
    this.countLong(bytes);
  }

  private countLong(bytes: number): void {
    this.lineNo++;
    this.counts.lines++;
    this.counts.unrecognizedLines++;
    this.counts.bytes += bytes + 1;
    this.diag.add('long_line', { file: this.fileIndex, line: this.lineNo }, `<${bytes} bytes>`);
  }

  end(): void {
    if (this.pending !== null) this.decide(true);
    this.repairer?.end();
  }

  private decide(atEnd = false): void {
    const pending = this.pending ?? [];
    this.pending = null;
    // Repair first when the window shows damage, so the format is sniffed on the repaired lines.
    const profile = this.repairAllowed ? detectDamage(pending.filter((p) => p.long === undefined).map((p) => p.text)) : null;
    const repaired: (LogicalLine | number)[] = [];
    if (profile !== null) {
      const r = new Repairer(profile, (l) => repaired.push(l));
      this.repairer = r;
      for (const p of pending) {
        if (p.long === undefined) {
          r.push(p.text, p.bad, p.final);
        } else {
          r.end(); // a skipped line ends any record being rejoined
          repaired.push(p.long);
        }
      }
    }
    if (this.format === null) {
      const texts = profile === null ? null : repaired.flatMap((l) => (typeof l === 'number' ? [] : [l.text]));
      this.sniff(pending, texts, atEnd);
    }
    this.style = this.format === 'perf-script' ? 'space' : 'dash';
    if (this.repairer !== null) {
      this.repairer.setStyle(this.style);
      this.repairer.out = (l) => this.handleLogical(l);
      for (const l of repaired) {
        if (typeof l === 'number') this.countLong(l);
        else this.handleLogical(l);
      }
    } else {
      for (const p of pending) {
        if (p.long !== undefined) this.countLong(p.long);
        else this.feed(p.text, p.bad, p.final);
      }
    }
    this.onDecided?.();
  }

  /**
   * Called once, when the sniff window has been decided and its lines handled: the parallel driver then hands the
   * workers their ranges at once, not after the rest of the chunk (measured: ~10 ms earlier at the start of a run).
   */
  onDecided: (() => void) | null = null;

  private sniff(pending: { text: string; long?: number }[], repaired: string[] | null, atEnd: boolean): void {
    const outcome = sniffText(repaired ?? pending.map((p) => p.text));
    // Records with their task and CPU columns cut (repair on) are not placed by the sniffers, which need both.
    const cut = outcome === null && repaired !== null ? sniffCutRecords(repaired) : null;
    if (cut !== null) {
      this.format = cut;
      return;
    }
    if (outcome === null) {
      const nonBlank = pending.filter((p) => p.text.trim() !== '');
      // Only headers/comments (an empty capture) is a valid, empty trace.
      const onlyHeaders = nonBlank.length > 0 && nonBlank.every((p) => p.text.startsWith('#') || isTraceCmdPrologue(p.text));
      if (onlyHeaders) {
        this.format = nonBlank.some((p) => isTraceCmdPrologue(p.text)) ? 'trace-cmd' : 'ftrace';
      } else {
        const first = nonBlank[0]?.text ?? '';
        const long = pending.find((p) => p.long !== undefined)?.long;
        const why =
          nonBlank.length === 0
            ? long !== undefined
              ? `no trace record, only a line of ${long} bytes (over the 1 MiB line limit)`
              : atEnd
                ? 'the input is empty'
                : 'no trace record in the first lines'
            : `no trace record found in the first ${pending.length} lines`;
        throw new UnknownFormatError(this.fileName, first, why);
      }
    } else {
      this.format = outcome.format;
    }
  }

  /**
   * For the fast lane (fast-lane.ts): true once the format is decided and lines need no per-parser state the fast
   * lane does not replicate (multi-file prefixes).
   */
  get fastLaneReady(): boolean {
    return this.pending === null && this.prefixes.length === 0 && this.repairer === null;
  }

  /**
   * Lines after this point parse the same whatever came before them (no sniff window pending, no repair stage, no
   * multi-file prefixes): the condition for handing byte ranges of the rest of the input to worker threads.
   */
  get parallelSafe(): boolean {
    return this.format !== null && this.pending === null && this.prefixes.length === 0 && this.repairer === null;
  }

  /** Account the lines a worker thread parsed for this input (its byte range follows what this parser read). */
  skip(counts: LineCounts, eventCounts: ReadonlyMap<string, number>): void {
    this.lineNo += counts.lines;
    this.counts.lines += counts.lines;
    this.counts.events += counts.events;
    this.counts.nonEventLines += counts.nonEventLines;
    this.counts.unrecognizedLines += counts.unrecognizedLines;
    this.counts.bytes += counts.bytes;
    for (const [k, v] of eventCounts) this.eventCounts.set(k, (this.eventCounts.get(k) ?? 0) + v);
  }

  /** For the fast lane: account one more line and return its 1-based number. */
  takeLine(bytes: number): number {
    this.counts.bytes += bytes + 1;
    this.counts.lines++;
    return ++this.lineNo;
  }

  /** Events per name (the fast lane's tallies folded in). */
  get eventCounts(): Map<string, number> {
    for (const t of this.tallies) {
      if (t.pending !== 0) {
        this.counted.set(t.name, (this.counted.get(t.name) ?? 0) + t.pending);
        t.pending = 0;
      }
    }
    return this.counted;
  }

  /** For the fast lane: the tally of one event name (one per name, however often asked; `blockEvent` counts into it). */
  fastTally(name: string): FastTally {
    let t = this.tallyOf.get(name);
    if (t === undefined) {
      t = { name, pending: 0 };
      this.tallyOf.set(name, t);
      this.tallies.push(t);
    }
    return t;
  }

  /**
   * For the block lane: `n` consecutive lines of `bytes` bytes in all (newlines included), all of them events (each
   * then goes to `blockEvent`). Returns the line number of the first.
   */
  takeEventLines(n: number, bytes: number): number {
    this.counts.bytes += bytes;
    this.counts.lines += n;
    this.counts.events += n;
    const first = this.lineNo + 1;
    this.lineNo += n;
    return first;
  }

  /** For the block lane: an event of a line counted by `takeEventLines`. `ev` null: not emitted (non-KVM events). */
  blockEvent(ev: TraceEvent | null, tally: FastTally): void {
    tally.pending++;
    if (ev !== null) this.sink(ev);
  }

  /** For the fast lane: count a line it recognised as an event (the event goes to the sink by other means). */
  countEvent(): void {
    this.counts.events++;
  }

  /** The sink's typed entry points, for the fast lane (types.ts `KnownEventSink`), or null. */
  get knownSink(): KnownEventSink | null {
    return this.sink.known ?? null;
  }

  /**
   * One logical line. `extra` continuation lines (joined by the repair stage) follow it and are counted with it:
   * as non-event lines when it is an event or a header, as unrecognized when it is.
   */
  private handle(
    text: string,
    badUtf8: boolean,
    final: boolean,
    extra = 0,
    steps = 0,
    given?: LineColumns | null,
  ): void {
    if (extra === 0) {
      this.handleOne(text, badUtf8, final, steps, given);
      return;
    }
    const unrecognized = this.counts.unrecognizedLines;
    this.handleOne(text, badUtf8, final, steps, given);
    this.lineNo += extra;
    this.counts.lines += extra;
    if (this.counts.unrecognizedLines > unrecognized) this.counts.unrecognizedLines += extra;
    else this.counts.nonEventLines += extra;
  }

  private handleOne(text: string, badUtf8: boolean, final: boolean, steps: number, given?: LineColumns | null): void {
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
      if (steps !== 0) this.countRepairs(steps, source, t);
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
    let cols = given !== undefined && instance === '' ? given : splitRecordLine(t, this.style);
    if (cols === null && this.repairer !== null) cols = splitCutRecord(t);
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
      const late = this.repairer === null && this.repairAllowed && !badUtf8 && this.pending === null ? lateDamage(text) : null;
      if (late !== null) {
        // Clean so far, and repair would change this line: switch it on here and give it this line.
        this.lineNo--;
        this.counts.lines--;
        this.repairer = new Repairer(late, (l) => this.handleLogical(l));
        this.repairer.setStyle(this.style);
        this.repairer.push(text, badUtf8, final);
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
    // The last line, unterminated, cut inside its payload: a truncated capture (data loss), not a malformed record.
    const cutShort = final && !payloadParses(cols.name, cols.payload);
    if (cutShort) this.diag.add('truncated_line', source, t);
    const ev = buildEvent(cols.name, cols.payload, header, { diag: cutShort ? SCRATCH : this.diag, source, line: text });
    this.emit(ev, cols.name);
    if (this.repairer !== null) {
      const s = cols.tid < 0 || cols.cpu < 0 || cols.ts === '' ? steps | STEP_CUT : steps;
      if (s !== 0) this.countRepairs(s, source, t);
    }
  }

  /** Every repair step that changed this record is counted (never silent). */
  private countRepairs(steps: number, source: { file: number; line: number }, text: string): void {
    for (const [bit, code] of REPAIR_CODES) if ((steps & bit) !== 0) this.diag.add(code, source, text);
  }

  private emit(ev: TraceEvent, name: string): void {
    this.counts.events++;
    this.counted.set(name, (this.counted.get(name) ?? 0) + 1);
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
