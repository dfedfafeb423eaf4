/**
 * Diagnostics: malformed or surprising input is counted, never thrown and never silently dropped.
 *
 * Severity classes follow Perfetto's trace-processor stats (info / data loss / error), plus `warning` for
 * conditions that do not lose data but change how numbers should be read (coarse timestamps).
 * - info:     expected non-data (prose between pasted records, events the analyzer does not use).
 * - warning:  the numbers are valid but need care (µs quantization, ambiguous ISA).
 * - dataLoss: records the trace itself lost or could not pair (lost-event markers, orphan exits).
 * - error:    input the analyzer could not understand although it looked like a KVM record.
 * `--strict` exits non-zero when any error-level diagnostic was recorded.
 */
import type { SourceRef } from './events.js';

export type Severity = 'info' | 'warning' | 'dataLoss' | 'error';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'dataLoss', 'error'];

/** Every diagnostic code with its fixed severity and a one-line meaning (shown in reports). */
export const DIAGNOSTIC_CODES = {
  unrecognized_line: ['info', 'line is neither a trace record nor a known header (prose, prompt, other tool output)'],
  unparsed_kvm_record: ['error', 'line names a KVM event but does not match any known record layout'],
  bad_payload: ['error', 'KVM event payload does not match any known kernel or plugin format'],
  unknown_exit_reason: ['warning', 'exit reason not in the VMX/SVM tables; kept as printed'],
  lost_events: ['dataLoss', 'the tracer reported lost events (ring buffer overrun)'],
  orphan_exit: ['dataLoss', 'kvm_exit with no following kvm_entry on its thread'],
  orphan_entry: ['info', 'kvm_entry with no preceding kvm_exit on its thread (trace started mid-run, or first entry)'],
  negative_duration: ['dataLoss', 'round trip whose entry is earlier than its exit; not used for latency'],
  discarded_lost: ['dataLoss', 'round trip touched by a lost-event marker; not used for latency'],
  time_backwards: ['warning', 'timestamp earlier than the previous event of the same thread'],
  coarse_timestamps: ['warning', 'timestamp resolution is coarse relative to the round trips measured'],
  missing_timestamp: ['info', 'record without a timestamp (columns cut); counted as an event, not used for latency'],
  ticks_without_clock_rate: ['warning', 'integer (counter/TSC) timestamps and no --tsc-ghz: durations are in ticks'],
  stray_access: ['info', 'access event outside any round trip on its thread (exit not traced)'],
  isa_ambiguous: ['warning', 'exit reason names did not identify the ISA; assumed from --isa or VMX'],
  mixed_isa: ['warning', 'both VMX and SVM exit reason names appear in one trace'],
  invalid_utf8: ['warning', 'line is not valid UTF-8; decoded with replacement characters'],
  truncated_input: ['error', 'compressed input ended early (gzip cut short); the records before the cut were read'],
  truncated_line: ['dataLoss', 'last line of the input has no newline and does not parse (truncated capture)'],
  long_line: ['error', 'line longer than the 1 MiB limit; skipped without being stored'],
  outside_window: ['info', 'event outside --since/--until'],
  filtered: ['info', 'round trip excluded by --vcpu/--pid'],
  device_limit: ['warning', 'more distinct devices than the per-analysis limit; the rest are merged into "other"'],
  reason_limit: ['warning', 'more distinct exit reasons than the row limit; the rest are merged into "(other reasons)"'],
  thread_limit: ['warning', 'more distinct threads than the per-analysis limit; the rest are merged into one row'],
  // Repairs of pasted text (src/parse/repair/): counted per record the step changed, so nothing is repaired silently.
  repaired_quote_prefix: ['info', 'record behind a mail quote prefix (`> `, `>> `); the prefix was stripped'],
  repaired_qp: ['info', 'record was quoted-printable encoded (=3D escapes, `=` soft line breaks); decoded'],
  repaired_flowed: ['info', 'record split or space-stuffed by format=flowed mail (RFC 3676); undone'],
  repaired_rejoined: ['info', 'record wrapped onto continuation lines; joined (continuations count as non-event lines)'],
  repaired_code_wrapping: ['info', 'record inside a source-code string literal or comment; unwrapped'],
  repaired_spaces: ['info', 'record with no-break spaces (U+00A0), tabs between columns or stray CRs; made plain blanks'],
  cut_columns: ['info', 'record whose leading columns (task-pid, CPU, timestamp) were cut; kept, untimed without a timestamp'],
} as const satisfies Record<string, readonly [Severity, string]>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export interface DiagnosticSample {
  file: string;
  line: number;
  text: string;
}

export interface DiagnosticSummary {
  code: DiagnosticCode;
  severity: Severity;
  count: number;
  message: string;
  samples: DiagnosticSample[];
}

/** How many file:line samples are kept per code (Perfetto keeps a handful; enough to find the lines). */
const MAX_SAMPLES = 5;
/** Samples are cut to this many characters so a 1 GB line cannot end up in a report. */
const SAMPLE_CHARS = 160;

export interface DiagnosticsState {
  counts: [DiagnosticCode, number][];
  samples: [DiagnosticCode, DiagnosticSample[]][];
}

export class Diagnostics {
  private readonly counts = new Map<DiagnosticCode, number>();
  private readonly samples = new Map<DiagnosticCode, DiagnosticSample[]>();

  constructor(private readonly fileNames: readonly string[] = ['<stdin>']) {}

  add(code: DiagnosticCode, source?: SourceRef, text?: string, n = 1): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + n);
    if (source === undefined) return;
    let list = this.samples.get(code);
    if (list === undefined) {
      list = [];
      this.samples.set(code, list);
    }
    // Keep the earliest samples by position (not by arrival: an orphan exit is detected long after its line), so
    // the samples are the first offending lines of the input whatever order the pipeline found them in.
    const file = this.fileNames[source.file] ?? `#${source.file}`;
    const last = list[list.length - 1];
    if (list.length >= MAX_SAMPLES && last !== undefined && !(source.file < this.fileIndexOf(last.file) || (source.file === this.fileIndexOf(last.file) && source.line < last.line))) {
      return;
    }
    const t = text ?? '';
    const s = { file, line: source.line, text: t.length > SAMPLE_CHARS ? `${t.slice(0, SAMPLE_CHARS)}…` : t };
    let i = list.length;
    while (i > 0) {
      const p = list[i - 1]!;
      const pf = this.fileIndexOf(p.file);
      if (pf < source.file || (pf === source.file && p.line <= source.line)) break;
      i--;
    }
    list.splice(i, 0, s);
    if (list.length > MAX_SAMPLES) list.pop();
  }

  private fileIndexOf(name: string): number {
    const i = this.fileNames.indexOf(name);
    return i === -1 ? Number.MAX_SAFE_INTEGER : i;
  }

  count(code: DiagnosticCode): number {
    return this.counts.get(code) ?? 0;
  }

  /** Counts and samples as plain data (worker threads post it). */
  toState(): DiagnosticsState {
    return { counts: [...this.counts], samples: [...this.samples] };
  }

  /**
   * Merge a worker's state; its line numbers count from the start of its byte range, so `lineOffset` (the lines
   * before the range) is added to every sample of file `fileIndex`.
   */
  mergeState(st: DiagnosticsState, lineOffset: number): void {
    const o = new Diagnostics(this.fileNames);
    for (const [code, n] of st.counts) o.counts.set(code, n);
    for (const [code, list] of st.samples) o.samples.set(code, list.map((x) => ({ ...x, line: x.line + lineOffset })));
    this.merge(o);
  }

  /** Merge another sink (a worker's) into this one; samples keep the earliest by (file, line). */
  merge(other: Diagnostics): void {
    for (const [code, n] of other.counts) this.counts.set(code, (this.counts.get(code) ?? 0) + n);
    for (const [code, list] of other.samples) {
      const mine = this.samples.get(code) ?? [];
      const all = [...mine, ...list].sort((a, b) => this.fileIndexOf(a.file) - this.fileIndexOf(b.file) || a.line - b.line);
      this.samples.set(code, all.slice(0, MAX_SAMPLES));
    }
  }

  bySeverity(): Record<Severity, number> {
    const out: Record<Severity, number> = { info: 0, warning: 0, dataLoss: 0, error: 0 };
    for (const [code, n] of this.counts) out[DIAGNOSTIC_CODES[code][0]] += n;
    return out;
  }

  summaries(): DiagnosticSummary[] {
    const order = (s: Severity) => SEVERITIES.indexOf(s);
    return [...this.counts.entries()]
      .filter(([, n]) => n > 0)
      .map(([code, count]) => ({
        code,
        severity: DIAGNOSTIC_CODES[code][0],
        count,
        message: DIAGNOSTIC_CODES[code][1],
        samples: this.samples.get(code) ?? [],
      }))
      .sort((a, b) => order(b.severity) - order(a.severity) || b.count - a.count || (a.code < b.code ? -1 : 1));
  }
}
