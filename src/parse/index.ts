/**
 * The parse stage: input files → `TraceEvent`s, in one streaming pass.
 *
 * FORMATS registry (one module per tool output, each a sniff function; see ../../README.md "Formats"):
 *   trace-cmd-report.ts, perf-script.ts, ftrace.ts (text), tracedat/ (binary trace.dat).
 * Text is sniffed from its first lines unless `--format` forces one. Binary input that is not trace.dat, and text
 * with no trace record in its first lines, is rejected with `UnknownFormatError` (CLI exit 2).
 */
import type { Diagnostics } from '../model/diagnostics.js';
import { UnknownFormatError, UsageError } from '../model/errors.js';
import type { TraceEvent } from '../model/events.js';
import { stat } from 'node:fs/promises';
import { ftrace } from './ftrace.js';
import { DEFAULT_CHUNK_SIZE, hasTraceDatMagic, inputChunks, isGzip, readHead, TRACE_DAT_MAGIC } from './input.js';
import { isPlain, LineSplitter, type LineHandler } from './lines.js';
import { FastLane } from './fast-lane.js';
import { perfScript } from './perf-script.js';
import { TextParser, type LineCounts } from './text-parser.js';
import { TimestampParser } from './timestamps.js';
import { traceCmdReport } from './trace-cmd-report.js';
import type { EventSink, FormatName, ParseOptions } from './types.js';

export const FORMATS = [traceCmdReport, perfScript, ftrace] as const;

export interface ParseRunOptions extends ParseOptions {
  /** Bytes per read; tests use tiny chunks to prove results do not depend on chunk boundaries. */
  chunkSize?: number;
  /** Called after each chunk with the bytes consumed so far (progress bars). */
  onProgress?: (bytes: number) => void;
  /** Parse common layouts straight from bytes (default true); false forces the text path (equivalence tests). */
  fastLane?: boolean;
  /** Called once with the stream's timestamp parser, before the first event (window filters need its base). */
  onTimestamps?: (ts: TimestampParser) => void;
}

export interface ParseSummary {
  /** Format of each input, in order. */
  formats: FormatName[];
  counts: LineCounts;
  eventCounts: Map<string, number>;
  ts: TimestampParser;
  /** Parallel path only: byte ranges, and how many of them worker threads parsed and the main thread stitched. */
  parallel?: { ranges: number; stitched: number };
}

/** Bytes whose presence in the first 4 KiB means "binary, not text" (NUL). */
export function looksBinary(head: Buffer): boolean {
  const n = Math.min(head.length, 4096);
  for (let i = 0; i < n; i++) if (head[i] === 0) return true;
  return false;
}

/** The line handler of one input: the fast lane for common layouts once the format is known, else the text parser. */
export function linesInto(
  parser: TextParser,
  fileIndex: number,
  ts: TimestampParser,
  diag: Diagnostics,
  fast: boolean,
  isFinal: () => boolean,
): LineHandler {
  let lane: FastLane | null = null;
  const laneOf = (): FastLane => (lane ??= new FastLane(fileIndex, parser, ts, diag, parser.format ?? 'ftrace'));
  const h: LineHandler = {
    line: (text, bad) => parser.line(text, bad, isFinal()),
    longLine: (bytes) => parser.longLine(bytes),
    // The fast lane reads timestamps in place and decodes the last one lazily (timestamps.ts `lastText`).
    chunkEnd: () => ts.release(),
  };
  if (fast) {
    h.bytes = (buf, s, e) => {
      if (!parser.fastLaneReady) return false;
      return laneOf().line(buf, s, e);
    };
    h.plain = (buf) => {
      if (!parser.fastLaneReady) return isPlain(buf);
      return laneOf().plain(buf);
    };
    h.block = (buf, s, limit) => {
      if (!parser.fastLaneReady) return s;
      return laneOf().block(buf, s, limit);
    };
    h.areas = (size) => (parser.fastLaneReady ? laneOf().areas(size) : null);
  }
  return h;
}

/** `kvm_<kind>` by kind, made once per kind: a new string per event cost a concatenation and a hash each time. */
const KVM_NAMES = new Map<string, string>();

/** Event name of a decoded trace.dat event, for `input.eventCounts`. */
function eventName(e: TraceEvent): string {
  switch (e.kind) {
    case 'other':
    case 'kvm_other':
      return e.name;
    case 'lost':
      return 'lost_events';
    case 'hypercall':
      return e.flavor === 'kvm' ? 'kvm_hypercall' : e.flavor === 'hyperv' ? 'kvm_hv_hypercall' : 'kvm_xen_hypercall';
    case 'nested_vmexit':
      return e.inject ? 'kvm_nested_vmexit_inject' : 'kvm_nested_vmexit';
    default: {
      let n = KVM_NAMES.get(e.kind);
      if (n === undefined) {
        n = `kvm_${e.kind}`;
        KVM_NAMES.set(e.kind, n);
      }
      return n;
    }
  }
}

async function parseTraceDat(
  path: string,
  sink: EventSink,
  diag: Diagnostics,
  opts: ParseRunOptions,
): Promise<ParseSummary> {
  const ts = new TimestampParser(opts.tscGhz ?? null);
  opts.onTimestamps?.(ts);
  const eventCounts = new Map<string, number>();
  let events = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  // Decode errors throw TraceDatError (an ExitlensError: exit 2 with the section and offset).
  // Loaded only for trace.dat inputs (7 modules and fzstd that a text run never needs).
  const { readTraceDat } = await import('./tracedat/index.js');
  const info = await readTraceDat(
    path,
    (e) => {
      events++;
      const n = eventName(e);
      eventCounts.set(n, (eventCounts.get(n) ?? 0) + 1);
      if (Number.isFinite(e.ts)) {
        if (e.ts < min) min = e.ts;
        if (e.ts > max) max = e.ts;
      }
      sink(e);
    },
    { diag, fileIndex: 0 },
  );
  ts.adoptBinary(info.timeUnit, info.baseTimestamp, info.lastTimestamp, min, max);
  let bytes = 0;
  try {
    bytes = (await stat(path)).size;
  } catch {
    bytes = 0;
  }
  return {
    formats: ['trace-dat'],
    counts: { lines: events, events, nonEventLines: 0, unrecognizedLines: 0, bytes },
    eventCounts,
    ts,
  };
}

/**
 * Is this input a binary trace.dat? Only regular files are probed: a positional read fails on a pipe or FIFO
 * (`exitlens analyze <(trace-cmd report)`: ESPIPE), and a plain read would consume bytes the text path needs.
 * Errors (missing file…) are left to readHead, which reports them.
 */
async function probeTraceDat(p: string): Promise<boolean> {
  if (p === '-') return false;
  const regular = await stat(p).then(
    (st) => st.isFile(),
    () => true,
  );
  return regular && hasTraceDatMagic(await readHead(p, TRACE_DAT_MAGIC.length));
}

/** Parse every input in order into one event stream (one shared time base). */
export async function parseInputs(
  paths: readonly string[],
  displayNames: readonly string[],
  sink: EventSink,
  diag: Diagnostics,
  opts: ParseRunOptions = {},
): Promise<ParseSummary> {
  const ts = new TimestampParser(opts.tscGhz ?? null);
  opts.onTimestamps?.(ts);
  const counts: LineCounts = { lines: 0, events: 0, nonEventLines: 0, unrecognizedLines: 0, bytes: 0 };
  const eventCounts = new Map<string, number>();
  const formats: FormatName[] = [];
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  // Binary trace.dat: read directly (one input at a time; its records carry their own time base).
  const binary: boolean[] = [];
  for (const p of paths) binary.push(await probeTraceDat(p));
  if (binary.some((b) => b)) {
    if (paths.length > 1) {
      throw new UsageError('a binary trace.dat is analyzed on its own; pass it as the only input (or report it to text first)');
    }
    return parseTraceDat(paths[0]!, sink, diag, opts);
  }
  const forced = opts.format !== undefined && opts.format !== 'auto' ? opts.format : null;
  let consumed = 0;

  for (let fi = 0; fi < paths.length; fi++) {
    const path = paths[fi]!;
    const name = displayNames[fi] ?? path;
    const parser = new TextParser(fi, name, diag, ts, sink, forced === 'trace-dat' ? null : forced, opts.repair !== false);
    let lastWasFinal = false;
    const splitter = new LineSplitter(linesInto(parser, fi, ts, diag, opts.fastLane !== false, () => lastWasFinal));
    let first = true;
    try {
      for await (const chunk of inputChunks(path, chunkSize, (size) => splitter.areas(size))) {
        if (first) {
          first = false;
          if (hasTraceDatMagic(chunk)) {
            throw new UnknownFormatError(
              name,
              '',
              'this is a binary trace.dat; it is read directly only from a file path, not from stdin or inside gzip',
            );
          }
          if (isGzip(chunk) || looksBinary(chunk)) {
            throw new UnknownFormatError(name, '', 'binary data (NUL bytes in the first 4 KiB), not trace text');
          }
        }
        splitter.push(chunk);
        consumed += chunk.length;
        opts.onProgress?.(consumed);
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' || /unexpected end of file/.test((e as Error).message)) {
        diag.add('truncated_input', { file: fi, line: parser.counts.lines + 1 }, (e as Error).message);
      } else {
        throw e;
      }
    }
    lastWasFinal = true;
    splitter.end();
    parser.end();
    formats.push(parser.format ?? 'ftrace');
    counts.lines += parser.counts.lines;
    counts.events += parser.counts.events;
    counts.nonEventLines += parser.counts.nonEventLines;
    counts.unrecognizedLines += parser.counts.unrecognizedLines;
    counts.bytes += parser.counts.bytes;
    for (const [k, v] of parser.eventCounts) eventCounts.set(k, (eventCounts.get(k) ?? 0) + v);
  }
  return { formats, counts, eventCounts, ts };
}
