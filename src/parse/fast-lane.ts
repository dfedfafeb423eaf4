/**
 * The fast lane: parses the common record layouts straight from bytes, without making a string per line.
 *
 * A profile of the text path (regex landmark + per-line strings) showed the work spread over line decoding,
 * the column regexes and payload parsing; multi-GB traces need the per-line cost cut to a byte scan. The fast lane
 * accepts only the standard layouts, all ASCII:
 *   trace-cmd / ftrace   `<comm>-<tid> [<cpu>] [<flags>] <secs>[.<frac>]: <event>: <payload>`
 *   perf script          `<comm> <tid>[/<tid>] [<cpu>] <secs>.<frac>: [<sys>:]<event>: <payload>`
 * and hands everything else (headers, prologues, lost markers, wrapped or damaged lines, non-ASCII, other
 * layouts) to the text parser, so the result is identical to the text path; test/parse/fast-lane.test.ts proves it
 * on every fixture. Non-KVM events are counted by name without building an event (nothing downstream reads them).
 * KVM events with typed bodies are decoded from their bytes by fast-payloads.ts when the payload has a common form,
 * else by the same payload parsers (payloads.ts) as the text path.
 *
 * Two limits keep it equal to the text path where numbers stop being exact: a `[cpu]` of more than 5 digits
 * (record-line.ts CPU_COL reads 1-5) and a tid of more than 15 digits (beyond exact doubles) go to the text parser;
 * the header property test in test/parse/fast-payloads.test.ts found both.
 *
 * Per line (issue #5; 1M-line generated traces on the 2-core VM, parse stage ~1.4-1.5 µs → ~0.75 µs): one pass over
 * the header with a character-class table; the event name and the comm are looked up by their bytes (no string);
 * no re-scan of the payload when the splitter found the whole chunk plain (lines.ts `plainChunk`); the hot
 * payloads decoded from bytes (fast-payloads.ts); one header object and one payload context reused for every line
 * (buildEvent copies what it keeps); per-name counts kept in a tally object (TextParser.fastTally), not a Map
 * update per line. Allocations left per KVM event: its `source` and the event.
 *
 * Whole plain chunks take the block lane (`block`): a WebAssembly scanner (scan/block.ts) reads their lines into
 * records of numbers, and `record` makes the events from them (session 4 of issue #5: 10M-line trace, one thread,
 * 6.4 s → 4.6 s end to end).
 */
import type { Diagnostics } from '../model/diagnostics.js';
import type { EventHeader, KvmEntry, KvmExit, SourceRef, TraceEvent } from '../model/events.js';
import { copyBytes, Decoder, decodePayload, decoderOf, kindOfDecoder, latin1 } from './fast-payloads.js';
import { isPlain, plainChunk } from './lines.js';
import { instantiate } from './payload-memo.js';
import { BlockScanner, NEW, NONE, R_COMM, R_COMM_END, R_COMM_START, R_CPU, R_DIGITS, R_END, R_FRAC, R_MEMO, R_NAME, R_NAME_END, R_NAME_START, R_PAYLOAD_END, R_PAYLOAD_START, R_START, R_TS_END, R_TS_START, SLOT } from './block-scanner.js';
import { buildEvent } from './payloads.js';
import type { FastTally, TextParser } from './text-parser.js';
import type { TimestampParser } from './timestamps.js';
import type { KnownEventSink, PayloadContext } from './types.js';

/** Event names whose payload payloads.ts parses into a typed body (its `buildEvent` switch). */
const TYPED = new Set([
  'kvm_exit',
  'kvm_entry',
  'kvm_pio',
  'kvm_mmio',
  'kvm_fast_mmio',
  'kvm_hypercall',
  'kvm_hv_hypercall',
  'kvm_xen_hypercall',
  'kvm_userspace_exit',
  'kvm_msr',
  'kvm_cpuid',
  'kvm_emulate_insn',
  'kvm_nested_vmexit',
  'kvm_nested_vmexit_inject',
  'kvm_page_fault',
]);

/** The names whose payloads the scanner memoizes: those a byte decoder (fast-payloads.ts) decodes. */
const SCANNER_TYPED = [...TYPED].filter((n) => decoderOf(n) !== Decoder.None).map((n) => Buffer.from(n, 'latin1'));

const enum Kind {
  Other = 0,
  KvmOther = 1,
  Typed = 2,
}

interface NameInfo {
  bytes: Uint8Array;
  name: string;
  kind: Kind;
  decoder: Decoder;
  /** The kind of event this name's lines make, when the name alone says it (kvm_other, or a byte decoder's). */
  evKind: TraceEvent['kind'] | null;
  tally: FastTally;
}

interface CommInfo {
  tid: number;
  bytes: Uint8Array;
  comm: string;
}

const SP = 32;
const TAB = 9;
/** VT, FF, CR (11-13): white space to `trim` and `\s`, and CR ends the text path's `.`. */
const VT = 11;
const CR = 13;

// Character classes, one table lookup per byte.
const DIGIT = 1;
/** `[A-Za-z_]`: may start an event name. */
const ID_START = 2;
/** `[A-Za-z0-9_]` */
const ID_CHAR = 4;
/** `[A-Za-z0-9_.]`: event name characters. */
const NAME_CHAR = 8;
/** ftrace/trace-cmd flags column, per position (record-line.ts FLAGS): `[.dDbX][.nNpBLlb][.hHsSzZ][.0-9a-f]`. */
const FLAG0 = 16;
const FLAG1 = 32;
const FLAG2 = 64;
const HEX_OR_DOT = 128;
/** `[0-9.]`: timestamp characters (the table is 16 bits wide for it). */
const TS_CHAR = 256;
const CLS = new Uint16Array(256);
const mark = (chars: string, bit: number) => {
  for (let i = 0; i < chars.length; i++) CLS[chars.charCodeAt(i)]! |= bit;
};
const DIGITS = '0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_';
mark(DIGITS, DIGIT | ID_CHAR | NAME_CHAR | HEX_OR_DOT);
mark(LETTERS, ID_START | ID_CHAR | NAME_CHAR);
mark('.', NAME_CHAR | HEX_OR_DOT);
mark('abcdef', HEX_OR_DOT);
mark('.dDbX', FLAG0);
mark('.nNpBLlb', FLAG1);
mark('.hHsSzZ', FLAG2);
mark('0123456789.', TS_CHAR);

/** Slots of the name and comm tables (powers of two; a trace has tens of names and a few hundred tids). */
const NAME_SLOTS = 256;
const COMM_SLOTS = 1024;

/** record-line.ts CPU_COL reads `[` 1-5 digits `]`. */
const MAX_CPU_DIGITS = 5;
/** Decimal digits that always fit a double exactly (10^15 < 2^53). */
const MAX_TID_DIGITS = 15;
const NO_BYTES = new Uint8Array(0);

function equalBytes(a: Uint8Array, b: Uint8Array, s: number, e: number): boolean {
  if (a.length !== e - s) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[s + i]) return false;
  return true;
}

/**
 * The end of the ftrace flags column that starts at k (its first byte is FLAG0), or -1 when it is not one: 4 or 5
 * bytes, each of its position's class (record-line.ts FLAGS).
 */
function flagsEnd(b: Uint8Array, k: number, e: number): number {
  let f = k;
  while (f < e && b[f] !== SP) f++;
  const n = f - k;
  if (n < 4 || n > 5 || (CLS[b[k + 1]!]! & FLAG1) === 0 || (CLS[b[k + 2]!]! & FLAG2) === 0) return -1;
  if ((CLS[b[k + 3]!]! & HEX_OR_DOT) === 0 || (n === 5 && (CLS[b[k + 4]!]! & HEX_OR_DOT) === 0)) return -1;
  return f;
}

/**
 * The `PayloadContext` of buildEvent, reused for every line: its `line` (only read for diagnostic samples) is
 * decoded on demand. buildEvent keeps neither the context nor the header, only `source` (a new object per line).
 */
class LazyLineContext implements PayloadContext {
  source: SourceRef = { file: 0, line: 0 };
  b: Uint8Array = NO_BYTES;
  s = 0;
  e = 0;
  constructor(readonly diag: Diagnostics) {}
  get line(): string {
    return latin1(this.b, this.s, this.e);
  }
}

export class FastLane {
  /** Event names by hash, two ways per set (a slot and its neighbour); bounded whatever the trace holds. */
  private readonly names: (NameInfo | undefined)[] = new Array<NameInfo | undefined>(NAME_SLOTS);
  /** The block lane's names, comms and payload templates, by the scanner's slots (see scan/block.ts). */
  // Filled up front to the scanner's table sizes: an array grown by stores at scattered indices turns into a
  // dictionary, and every record paid a slow keyed load for it (a profile's KeyedLoadIC).
  private readonly slotNames: (NameInfo | undefined)[];
  private readonly slotComms: string[];
  private readonly templates: (TraceEvent | undefined)[];
  private readonly comms: (CommInfo | undefined)[] = new Array<CommInfo | undefined>(COMM_SLOTS);
  private readonly perf: boolean;
  private readonly header: EventHeader = { ts: 0, cpu: 0, tid: 0, comm: '', instance: '', source: { file: 0, line: 0 } };
  private readonly ctx: LazyLineContext;
  private readonly scanner: BlockScanner | null;
  /** The sink's typed entry points (null: every event goes to `sink(e)`). */
  private readonly known: KnownEventSink | null;
  /** Set by `build`: the last event came from the text path's payload parser (its kind is not known up front). */
  private built = false;

  constructor(
    private readonly fileIndex: number,
    private readonly parser: TextParser,
    private readonly ts: TimestampParser,
    private readonly diag: Diagnostics,
    format: string,
  ) {
    this.perf = format === 'perf-script';
    this.ctx = new LazyLineContext(diag);
    this.known = parser.knownSink;
    const sc = (this.scanner = BlockScanner.make(CLS, SCANNER_TYPED));
    this.slotNames = new Array<NameInfo | undefined>(sc?.nameSlots ?? 0).fill(undefined);
    this.slotComms = new Array<string>(sc?.commSlots ?? 0).fill('');
    this.templates = new Array<TraceEvent | undefined>(sc?.memoSlots ?? 0).fill(undefined);
  }

  /** Two areas of the scanner's memory to read chunks into (block-scanner.ts `areas`); null without a scanner. */
  areas(size: number): [Buffer, Buffer] | null {
    return this.scanner?.areas(size) ?? null;
  }

  /** Whether chunk `b` is plain (lines.ts `plainChunk`): checked by the scanner as it copies the chunk in. */
  plain(b: Buffer): boolean {
    const sc = this.scanner;
    return sc === null ? isPlain(b) : sc.loadPlain(b, plainChunk.seq);
  }

  /** Try to consume one line; false leaves it to the text parser (nothing was changed). */
  line(b: Buffer, s: number, e: number): boolean {
    // Lines with bytes ≥ 0x80 (UTF-8 decoding, invalid_utf8), VT, FF or CR anywhere, or a tab in the task column
    // go to the text parser: its regexes and `trim` treat those unlike a space. A plain chunk has none of them.
    const plain = b === plainChunk.buf;
    // Leading blanks (ftrace and perf right-align the task column), then "[cpu]": the first `[` followed by digits
    // and `]`.
    let cs = s;
    while (cs < e && b[cs] === SP) cs++;
    let lb = -1;
    let rb = -1;
    let cpu = 0;
    for (let i = cs; i < e; i++) {
      // A plain chunk: only `[` stops the scan (one compare per byte).
      if (plain) while (i < e && b[i] !== 0x5b) i++;
      if (i >= e) break;
      const c = b[i]!;
      if (c === 0x5b) {
        let k = i + 1;
        let v = 0;
        while (k < e && (CLS[b[k]!]! & DIGIT) !== 0) v = v * 10 + (b[k++]! - 48);
        if (k > i + 1 && k < e && b[k] === 0x5d) {
          // The text path reads at most 5 CPU digits (record-line.ts CPU_COL): more is its call.
          if (k - i - 1 > MAX_CPU_DIGITS) return false;
          lb = i;
          rb = k;
          cpu = v;
          break;
        }
      } else if (!plain && (c >= 0x80 || c === TAB || (c >= VT && c <= CR))) {
        return false;
      }
    }
    if (lb < 0) return false;

    // Task column, right to left from "[".
    let j = lb - 1;
    while (j >= s && b[j] === SP) j--;
    const tidEnd = j + 1;
    while (j >= s && (CLS[b[j]!]! & DIGIT) !== 0) j--;
    // A tid over 15 digits is not exact as a double: the text path's Number() decides how it rounds.
    if (j === tidEnd - 1 || tidEnd - j - 1 > MAX_TID_DIGITS) return false;
    let tid = 0;
    for (let q = j + 1; q < tidEnd; q++) tid = tid * 10 + (b[q]! - 48);
    let ce: number;
    if (this.perf) {
      if (b[j] === 0x2f) return false; // pid/tid form: leave to the text parser
      if (j < s || b[j] !== SP) return false;
      ce = j;
      while (ce > cs && b[ce - 1] === SP) ce--;
      if (ce <= cs) return false;
    } else {
      if (j < s || b[j] !== 0x2d /* - */ || j < cs) return false;
      ce = j;
    }

    // Flags column, then the timestamp up to ':'.
    let k = rb + 1;
    if (k >= e || b[k] !== SP) return false;
    while (k < e && b[k] === SP) k++;
    if (!this.perf && k < e && (CLS[b[k]!]! & FLAG0) !== 0) {
      k = flagsEnd(b, k, e);
      if (k < 0) return false;
      while (k < e && b[k] === SP) k++;
    }
    const tss = k;
    while (k < e && (CLS[b[k]!]! & TS_CHAR) !== 0) k++;
    if (k === tss || k >= e || b[k] !== 0x3a /* : */) return false;
    const tse = k;
    k++;
    if (k >= e || b[k] !== SP) return false;
    while (k < e && b[k] === SP) k++;

    // Event name ([sys:]name), then ':'; its hash is taken on the way.
    if (k >= e || (CLS[b[k]!]! & ID_START) === 0) return false;
    let ns = k;
    let h = 0;
    for (; k < e; k++) {
      const c = b[k]!;
      if ((CLS[c]! & NAME_CHAR) === 0) break;
      h = (Math.imul(h, 31) + c) | 0;
    }
    if (k >= e || b[k] !== 0x3a) return false;
    if (k + 1 < e && (CLS[b[k + 1]!]! & ID_START) !== 0) {
      // `sys:` prefix (perf), an identifier (no `.`); the name follows.
      for (let q = ns; q < k; q++) if ((CLS[b[q]!]! & ID_CHAR) === 0) return false;
      ns = k + 1;
      k = ns;
      h = 0;
      for (; k < e; k++) {
        const c = b[k]!;
        if ((CLS[c]! & NAME_CHAR) === 0) break;
        h = (Math.imul(h, 31) + c) | 0;
      }
      if (k >= e || b[k] !== 0x3a) return false;
    }
    const ne = k;
    k++;
    if (k < e && b[k] !== SP) return false;
    // Payload, trimmed; the rest of the line must have no byte ≥ 0x80, VT, FF or CR either (tabs are blanks to both
    // paths there).
    let ps = k;
    while (ps < e && (b[ps] === SP || b[ps] === TAB)) ps++;
    if (!plain) {
      for (let q = ps; q < e; q++) {
        const c = b[q]!;
        if (c >= 0x80 || (c >= VT && c <= CR)) return false;
      }
    }
    let pe = e;
    while (pe > ps && (b[pe - 1] === SP || b[pe - 1] === TAB)) pe--;

    const info = this.nameOf(b, ns, ne, h);
    const tsv = this.ts.parseBytes(b, tss, tse);
    if (Number.isNaN(tsv)) return false;
    this.commit(info, b, s, e, cs, ce, tid, cpu, tsv, ps, pe);
    return true;
  }

  /**
   * The block lane: the complete lines of a plain chunk (all ASCII, no tab, VT, FF or CR; lines.ts `plainChunk`)
   * from `s` up to `limit` (just past a newline). The WebAssembly scanner (scan/block.ts) reads them into records;
   * this loop makes their events in order, with no call per line from the splitter. It takes only the plainest form
   * of the layouts `line` accepts — the first `[` opens the CPU column, a `secs.frac` timestamp — and returns the
   * start of the first line that is anything else (`limit` when none): the splitter hands that line to `line` (then
   * to the text parser) and calls back for the rest. Every line it takes, `line` takes the same way
   * (test/parse/block-lane.test.ts checks both against the text path).
   */
  block(b: Buffer, s: number, limit: number): number {
    const sc = this.scanner;
    if (sc === null) return s;
    sc.load(b, limit, plainChunk.seq);
    const perf = this.perf;
    for (;;) {
      const n = sc.scan(s, limit, perf);
      const stop = sc.stopAt;
      // The records are the lines [s, stop), all events: counted at once.
      const first = this.parser.takeEventLines(n, stop - s);
      const I = sc.i32;
      const F = sc.f64;
      const w = sc.recWords;
      for (let r = 0, p = sc.recs; r < n; r++, p += w) this.record(b, I, F, p, first + r);
      s = stop;
      if (s >= limit || sc.declined) return s;
    }
  }

  /**
   * The event of the scanner's record at `p` (i32 units of `I`; `F` views the same memory) of chunk `b`, line number
   * `line` (counted by the caller).
   */
  private record(b: Buffer, I: Int32Array, F: Float64Array, p: number, line: number): void {
    let slot = I[p + R_NAME]!;
    if ((slot & NEW) !== 0) {
      slot &= SLOT;
      this.slotNames[slot] = this.makeName(b, I[p + R_NAME_START]!, I[p + R_NAME_END]!);
    }
    const info = this.slotNames[slot]!;
    // Every event's timestamp counts (the input's time span), kept or not.
    const tsv = this.ts.fracBytes(F[(p >> 1) + 1]!, I[p + R_FRAC]!, I[p + R_DIGITS]!, b, I[p + R_TS_START]!, I[p + R_TS_END]!);
    // A comm that took its slot is made even when the event is not kept: later lines of the thread hit the slot.
    const c = I[p + R_COMM]!;
    if (info.kind === Kind.Other) {
      if (c !== NONE && (c & NEW) !== 0) this.slotComms[c & SLOT] = latin1(b, I[p + R_COMM_START]!, I[p + R_COMM_END]!);
      this.parser.blockEvent(null, info.tally);
      return;
    }
    const tid = F[p >> 1]!;
    let comm: string;
    if (c === NONE) comm = this.commOf(tid, b, I[p + R_COMM_START]!, I[p + R_COMM_END]!);
    else if ((c & NEW) !== 0) {
      comm = latin1(b, I[p + R_COMM_START]!, I[p + R_COMM_END]!);
      this.slotComms[c & SLOT] = comm;
    } else comm = this.slotComms[c]!;
    const cpu = I[p + R_CPU]!;
    if (info.kind === Kind.KvmOther && this.unkept(info, tid, cpu, tsv, comm, line)) return;
    const m = I[p + R_MEMO]!;
    if (m !== NONE && (m & NEW) === 0) {
      // A payload the memo knows: the event may go without an object of its own.
      const d = info.decoder;
      if (
        d === Decoder.Exit
          ? this.exitAt(info, m, tid, cpu, tsv, comm, line)
          : d === Decoder.Entry
            ? this.entryAt(info, m, tid, cpu, tsv, comm, line)
            : this.childAt(info, m, tid, cpu, tsv, comm, line)
      )
        return;
    }
    this.emit(info, this.eventOf(info, b, I[p + R_START]!, I[p + R_END]!, tid, cpu, tsv, comm, line, I[p + R_PAYLOAD_START]!, I[p + R_PAYLOAD_END]!, m), tid, cpu, tsv, comm);
  }

  /**
   * A kvm_exit whose payload hit memo slot `m`, handed to the sink without its event when the sink takes it so
   * (KnownEventSink `exitAt`, with the memoized event as its body): counted in its name's tally. False: make the
   * event. An exit's event is the largest the lane makes (17 fields and a source); not making it was −4 % (median
   * of 14 interleaved in-process single-threaded runs of the generated 2M-line trace on the 2-core VM).
   */
  private exitAt(info: NameInfo, m: number, tid: number, cpu: number, tsv: number, comm: string, line: number): boolean {
    const k = this.known;
    const t = this.templates[m] as KvmExit | undefined;
    if (k === null || k.exitAt === undefined || t === undefined || !k.exitAt(tid, cpu, tsv, comm, t, this.fileIndex, line)) return false;
    this.parser.blockEvent(null, info.tally);
    return true;
  }

  /**
   * A kvm_entry whose payload hit memo slot `m`, handed to the sink without its event when the sink takes it so
   * (KnownEventSink `entryAt`; the vcpu is the memoized event's): counted in its name's tally. False: make the
   * event. A third of a busy trace's lines are entries; copying the memoized event (payload-memo.ts `instantiate`)
   * and its source was ~4 % of a single-threaded profile of the generated 2M-line trace. Interleaved in-process
   * runs on the 2-core VM (16 pairs): median −6 %, fastest run −1.3 % (the VM was noisy).
   */
  private entryAt(info: NameInfo, m: number, tid: number, cpu: number, tsv: number, comm: string, line: number): boolean {
    const k = this.known;
    const t = this.templates[m] as KvmEntry | undefined;
    if (k === null || k.entryAt === undefined || t === undefined || !k.entryAt(tid, cpu, tsv, comm, t.vcpu, this.fileIndex, line)) return false;
    this.parser.blockEvent(null, info.tally);
    return true;
  }

  /**
   * Another KVM event whose payload hit memo slot `m` (kvm_pio, kvm_mmio, kvm_userspace_exit, …: the evidence of a
   * trip), handed to the sink as the memoized event when the sink takes it so (KnownEventSink `childAt`): counted in
   * its name's tally. False: make the event. A sixth of a busy trace's lines are such events; copying the memoized
   * event with this line's header (payload-memo.ts `instantiate`) and its source for each was the largest part of
   * the event making left in a worker's profile of the generated 10M-line trace.
   */
  private childAt(info: NameInfo, m: number, tid: number, cpu: number, tsv: number, comm: string, line: number): boolean {
    const k = this.known;
    const kind = info.evKind;
    const t = this.templates[m];
    if (k === null || k.childAt === undefined || kind === null || t === undefined || !k.childAt(t, kind, tid, cpu, tsv, comm, this.fileIndex, line)) return false;
    this.parser.blockEvent(null, info.tally);
    return true;
  }

  /**
   * A `kvm_other` line handed to the sink without its event, when the sink takes it so (KnownEventSink `unkept`):
   * counted in its name's tally. False: make the event.
   */
  private unkept(info: NameInfo, tid: number, cpu: number, tsv: number, comm: string, line: number): boolean {
    const k = this.known;
    if (k === null || k.unkept === undefined || !k.unkept(tid, cpu, tsv, comm, this.fileIndex, line)) return false;
    this.parser.blockEvent(null, info.tally);
    return true;
  }

  /**
   * Hand a KVM event (made by `eventOf` just now, header `tid`, `cpu`, `tsv`, `comm`) to the sink: through its typed
   * entry points when it has them and the name says the kind, else as `sink(ev)`. Counted in its name's tally.
   */
  private emit(info: NameInfo, ev: TraceEvent, tid: number, cpu: number, tsv: number, comm: string): void {
    const k = this.known;
    const kind = info.evKind;
    if (k === null || kind === null || this.built) {
      this.parser.blockEvent(ev, info.tally);
      return;
    }
    this.parser.blockEvent(null, info.tally); // counted here, handed over below
    if (kind === 'exit') k.exit(ev as KvmExit);
    else if (kind === 'entry') k.entry(ev as KvmEntry);
    else k.child(ev, kind, tid, cpu, tsv, comm);
  }

  /**
   * The event of a KVM line (name `info`, not Kind.Other; bytes [s, e) of `b`, payload [ps, pe)) with its header.
   * `m` is the payload's memo slot from the scanner (NONE: not memoized, as for every line of `line`).
   */
  private eventOf(
    info: NameInfo,
    b: Buffer,
    s: number,
    e: number,
    tid: number,
    cpu: number,
    tsv: number,
    comm: string,
    line: number,
    ps: number,
    pe: number,
    m: number,
  ): TraceEvent {
    const source: SourceRef = { file: this.fileIndex, line };
    this.built = false;
    if (info.kind === Kind.KvmOther) return { kind: 'kvm_other', ts: tsv, cpu, tid, comm, instance: '', source, name: info.name };
    const hd = this.header;
    hd.ts = tsv;
    hd.cpu = cpu;
    hd.tid = tid;
    hd.comm = comm;
    hd.source = source;
    const d = info.decoder;
    let ev: TraceEvent | null;
    if (m === NONE) ev = d !== Decoder.None ? decodePayload(d, b, ps, pe, hd) : null;
    else if ((m & NEW) !== 0) {
      // The payload took its memo slot: decode it; only what the decoder built is kept (see payload-memo.ts).
      ev = d !== Decoder.None ? decodePayload(d, b, ps, pe, hd) : null;
      this.templates[m & SLOT] = ev ?? undefined;
    } else {
      const t = this.templates[m];
      ev = t !== undefined ? instantiate(d, t, hd) : null;
    }
    return ev ?? this.build(info, b, s, e, ps, pe, source);
  }

  /** The text path's payload parser (payloads.ts) for a line the byte decoders do not take. */
  private build(info: NameInfo, b: Buffer, s: number, e: number, ps: number, pe: number, source: SourceRef): TraceEvent {
    this.built = true;
    const ctx = this.ctx;
    ctx.source = source;
    ctx.b = b;
    ctx.s = s;
    ctx.e = e;
    const ev = buildEvent(info.name, latin1(b, ps, pe), this.header, ctx);
    ctx.b = NO_BYTES; // do not keep the chunk alive
    return ev;
  }

  /** A line that parsed: count it and make its event (bytes [s, e), comm [cs, ce), payload [ps, pe)). */
  private commit(
    info: NameInfo,
    b: Buffer,
    s: number,
    e: number,
    cs: number,
    ce: number,
    tid: number,
    cpu: number,
    tsv: number,
    ps: number,
    pe: number,
  ): void {
    const line = this.parser.takeLine(e - s);
    this.parser.countEvent();
    if (info.kind === Kind.Other) {
      this.parser.blockEvent(null, info.tally);
      return;
    }
    const comm = this.commOf(tid, b, cs, ce);
    if (info.kind === Kind.KvmOther && this.unkept(info, tid, cpu, tsv, comm, line)) return;
    this.emit(info, this.eventOf(info, b, s, e, tid, cpu, tsv, comm, line, ps, pe, NONE), tid, cpu, tsv, comm);
  }

  /**
   * The name of bytes [s, e) (hash `h`, taken by the caller's scan). A trace has tens of names; one with more (or
   * two hot names in one set) only makes names again, at the cost of a string: memory stays bounded.
   */
  private nameOf(b: Uint8Array, s: number, e: number, h: number): NameInfo {
    const slot = (h ^ (h >>> 8)) & (NAME_SLOTS - 1);
    const n = this.names[slot];
    if (n !== undefined && equalBytes(n.bytes, b, s, e)) return n;
    const other = slot ^ 1;
    const m = this.names[other];
    if (m !== undefined && equalBytes(m.bytes, b, s, e)) return m;
    const made = this.makeName(b, s, e);
    // Fill an empty way, else replace the neighbour's (the slot's own name was looked up more recently).
    if (n === undefined) this.names[slot] = made;
    else this.names[other] = made;
    return made;
  }

  private makeName(b: Uint8Array, s: number, e: number): NameInfo {
    const name = latin1(b, s, e);
    // Mirror payloads.ts: typed names get a body; other names are classified by buildEvent's own default rule.
    let kind: Kind;
    if (TYPED.has(name)) kind = Kind.Typed;
    else {
      const probe = buildEvent(name, '', { ts: 0, cpu: -1, tid: -1, comm: '', instance: '', source: { file: 0, line: 0 } }, {
        diag: this.diag,
        source: { file: 0, line: 0 },
        line: '',
      });
      kind = probe.kind === 'other' ? Kind.Other : Kind.KvmOther;
    }
    const decoder = kind === Kind.Typed ? decoderOf(name) : Decoder.None;
    const evKind = kind === Kind.KvmOther ? 'kvm_other' : kindOfDecoder(decoder);
    const bytes = copyBytes(b, s, e);
    return { bytes, name, kind, decoder, evKind, tally: this.parser.fastTally(name) };
  }

  private commOf(tid: number, b: Uint8Array, s: number, e: number): string {
    const slot = tid & (COMM_SLOTS - 1);
    const c = this.comms[slot];
    if (c !== undefined && c.tid === tid) {
      if (equalBytes(c.bytes, b, s, e)) return c.comm;
    }
    const comm = latin1(b, s, e);
    const bytes = copyBytes(b, s, e);
    this.comms[slot] = { tid, bytes, comm };
    return comm;
  }
}
