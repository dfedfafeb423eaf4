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
 */
import type { Diagnostics } from '../model/diagnostics.js';
import type { EventHeader, SourceRef, TraceEvent } from '../model/events.js';
import { copyBytes, Decoder, decodePayload, decoderOf, latin1 } from './fast-payloads.js';
import { plainChunk } from './lines.js';
import { MAX_BYTES as MEMO_MAX_BYTES, PayloadMemo } from './payload-memo.js';
import { buildEvent } from './payloads.js';
import type { FastTally, TextParser } from './text-parser.js';
import type { TimestampParser } from './timestamps.js';
import type { PayloadContext } from './types.js';

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

const enum Kind {
  Other = 0,
  KvmOther = 1,
  Typed = 2,
}

interface NameInfo {
  bytes: Uint8Array;
  /** `bytes` as little-endian words (see `equalWords`). */
  words: Int32Array;
  name: string;
  kind: Kind;
  decoder: Decoder;
  tally: FastTally;
}

interface CommInfo {
  tid: number;
  bytes: Uint8Array;
  words: Int32Array;
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
/** timestamps.ts `parseBytes` reads at most 12 digits of seconds. */
const MAX_SECS_DIGITS = 12;
/** Longer lines go to `line` (lines.ts keeps at most 1 MiB per line; the block lane never sees more). */
const MAX_BLOCK_LINE = 1 << 20;

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

/** The little-endian 32-bit words of `k`, the last one zero-padded. */
function wordsOf(k: Uint8Array): Int32Array {
  const w = new Int32Array((k.length + 3) >> 2);
  for (let i = 0; i < k.length; i++) w[i >> 2]! |= k[i]! << (8 * (i & 3));
  return w;
}

/** Masks of the 1-3 bytes of a partial last word. */
const TAIL_MASK = [0, 0xff, 0xffff, 0xffffff];

/**
 * Are bytes [s, e) of the chunk `dv` views equal to the key whose words are `w` and length `n`? Four bytes per
 * read (a byte visit costs ~3 ns on the 2-core VM, a word ~4); the partial last word is read whole and masked when
 * the chunk has the bytes after it.
 */
function equalWords(dv: DataView, b: Uint8Array, s: number, e: number, w: Int32Array, n: number): boolean {
  if (e - s !== n) return false;
  const full = n >> 2;
  let i = s;
  for (let k = 0; k < full; k++, i += 4) if (dv.getInt32(i, true) !== w[k]) return false;
  const t = n & 3;
  if (t === 0) return true;
  let x: number;
  if (i + 4 <= dv.byteLength) x = dv.getInt32(i, true) & TAIL_MASK[t]!;
  else {
    x = 0;
    for (let q = 0; q < t; q++) x |= b[i + q]! << (8 * q);
  }
  return x === w[full];
}

/** Hash of bytes [s, e) read as words (a name), with its length. */
function hashWords(dv: DataView, b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  let h = Math.imul(n, 0x9e3779b1);
  let i = s;
  for (; i + 4 <= e; i += 4) h = Math.imul(h ^ dv.getInt32(i, true), 0x01000193);
  let x = 0;
  for (let q = 0; i < e; i++, q++) x |= b[i]! << (8 * q);
  h = Math.imul(h ^ x, 0x01000193);
  return h ^ (h >>> 16);
}

/**
 * The first byte `c` in [i, e) of the chunk `dv` views, or e: four bytes per read (SWAR: a zero byte of `word ^
 * c·0x01010101` sets its high bit in `(x − 0x01010101) & ~x & 0x80808080`; the lowest one is exact).
 */
function findByte(dv: DataView, b: Uint8Array, i: number, e: number, c: number): number {
  const rep = Math.imul(c, 0x01010101);
  for (; i + 4 <= e; i += 4) {
    const x = dv.getInt32(i, true) ^ rep;
    const z = (x - 0x01010101) & ~x & 0x80808080;
    if (z !== 0) return i + ((31 - Math.clz32(z & -z)) >> 3);
  }
  while (i < e && b[i] !== c) i++;
  return i;
}

/** Four blanks, as a little-endian word. */
const SP4 = 0x20202020;

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
  /** The block lane's names, by `hashWords` (two ways per set, as `names`). */
  private readonly blockNames: (NameInfo | undefined)[] = new Array<NameInfo | undefined>(NAME_SLOTS);
  private readonly comms: (CommInfo | undefined)[] = new Array<CommInfo | undefined>(COMM_SLOTS);
  private readonly perf: boolean;
  private readonly header: EventHeader = { ts: 0, cpu: 0, tid: 0, comm: '', instance: '', source: { file: 0, line: 0 } };
  private readonly ctx: LazyLineContext;
  private readonly memo = new PayloadMemo();
  /** The chunk the block lane is reading, and a DataView of it (the memo reads payloads four bytes at a time). */
  private dvBuf: Buffer | null = null;
  private dv: DataView | null = null;

  constructor(
    private readonly fileIndex: number,
    private readonly parser: TextParser,
    private readonly ts: TimestampParser,
    private readonly diag: Diagnostics,
    format: string,
  ) {
    this.perf = format === 'perf-script';
    this.ctx = new LazyLineContext(diag);
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
   * from `s` up to `limit` (just past a newline), in one loop with no call per line. It takes only the plainest
   * form of the layouts `line` accepts — the first `[` opens the CPU column, a `secs.frac` timestamp — and returns
   * the start of the first line that is anything else (`limit` when none): the splitter hands that line to `line`
   * (then to the text parser) and calls back for the rest. Every line it takes, `line` takes the same way
   * (test/parse/fast-lane.test.ts runs both on every fixture).
   */
  block(b: Buffer, s: number, limit: number): number {
    const perf = this.perf;
    if (this.dvBuf !== b) {
      this.dvBuf = b;
      this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    const dv = this.dv!;
    while (s < limit) {
      // A newline is at limit - 1 at the latest, so every scan below stops at e (b[e] is 10, in no class).
      const e = b.indexOf(10, s);
      if (e - s > MAX_BLOCK_LINE) return s;
      let i = s;
      while (b[i] === SP) i++;
      const cs = i;
      i = findByte(dv, b, i, e, 0x5b);
      if (i >= e) return s;
      const lb = i;
      let k = lb + 1;
      let c = b[k]!;
      let cpu = 0;
      while (c >= 48 && c <= 57) {
        cpu = cpu * 10 + (c - 48);
        c = b[++k]!;
      }
      if (c !== 0x5d || k === lb + 1 || k - lb - 1 > MAX_CPU_DIGITS) return s;
      const rb = k;
      // Task column, right to left from "[".
      let j = lb - 1;
      while (j >= s && b[j] === SP) j--;
      const tidEnd = j + 1;
      while (j >= s && (c = b[j]!) >= 48 && c <= 57) j--;
      if (j === tidEnd - 1 || tidEnd - j - 1 > MAX_TID_DIGITS) return s;
      let tid = 0;
      for (let q = j + 1; q < tidEnd; q++) tid = tid * 10 + (b[q]! - 48);
      let ce: number;
      if (perf) {
        if (j < s || b[j] !== SP) return s;
        ce = j;
        while (ce > cs && b[ce - 1] === SP) ce--;
        if (ce <= cs) return s;
      } else {
        if (j < cs || b[j] !== 0x2d /* - */) return s;
        ce = j;
      }
      // Flags column (ftrace), then `secs.frac:`.
      k = rb + 1;
      if (b[k] !== SP) return s;
      while (b[k] === SP) k++;
      if (!perf && (CLS[b[k]!]! & FLAG0) !== 0) {
        k = flagsEnd(b, k, e);
        if (k < 0) return s;
        while (b[k] === SP) k++;
      }
      const tss = k;
      let hi = 0;
      c = b[k]!;
      while (c >= 48 && c <= 57) {
        hi = hi * 10 + (c - 48);
        c = b[++k]!;
      }
      if (c !== 0x2e /* . */ || k === tss || k - tss > MAX_SECS_DIGITS) return s;
      const fs = ++k;
      let frac = 0;
      c = b[k]!;
      while (c >= 48 && c <= 57) {
        frac = frac * 10 + (c - 48);
        c = b[++k]!;
      }
      const digits = k - fs;
      if (c !== 0x3a /* : */ || digits === 0 || digits > 9) return s;
      const tse = k;
      if (b[++k] !== SP) return s;
      while (k + 4 <= e && dv.getInt32(k, true) === SP4) k += 4;
      while (b[k] === SP) k++;
      // Event name ([sys:]name), then ':': the name up to the first ':', looked up by its words; a name not seen
      // before is checked byte by byte (`line`'s rule: [A-Za-z_][A-Za-z0-9_.]*).
      if ((CLS[b[k]!]! & ID_START) === 0) return s;
      let ns = k;
      let ne = findByte(dv, b, k, e, 0x3a);
      if (ne >= e) return s;
      if ((CLS[b[ne + 1]!]! & ID_START) !== 0) {
        // `sys:` prefix (perf), an identifier (no `.`); the name follows.
        for (let q = ns; q < ne; q++) if ((CLS[b[q]!]! & ID_CHAR) === 0) return s;
        ns = ne + 1;
        ne = findByte(dv, b, ns, e, 0x3a);
        if (ne >= e) return s;
      }
      k = ne + 1;
      if (k < e && b[k] !== SP) return s;
      let ps = k;
      while (ps < e && b[ps] === SP) ps++;
      let pe = e;
      while (pe > ps && b[pe - 1] === SP) pe--;
      const h = hashWords(dv, b, ns, ne);
      let info = this.blockName(dv, b, ns, ne, h);
      if (info === null) {
        for (let q = ns; q < ne; q++) if ((CLS[b[q]!]! & NAME_CHAR) === 0) return s;
        info = this.addBlockName(b, ns, ne, h);
      }
      const tsv = this.ts.fracBytes(hi, frac, digits, b, tss, tse);
      this.commit(info, b, s, e, cs, ce, tid, cpu, tsv, ps, pe);
      s = e + 1;
    }
    return s;
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
    if (info.kind === Kind.Other) {
      this.parser.fastEvent(null, info.tally);
      return;
    }
    const comm = this.commOf(tid, b, cs, ce);
    const source: SourceRef = { file: this.fileIndex, line };
    if (info.kind === Kind.KvmOther) {
      this.parser.fastEvent(
        { kind: 'kvm_other', ts: tsv, cpu, tid, comm, instance: '', source, name: info.name },
        info.tally,
      );
      return;
    }
    const hd = this.header;
    hd.ts = tsv;
    hd.cpu = cpu;
    hd.tid = tid;
    hd.comm = comm;
    hd.source = source;
    let ev: TraceEvent | null = null;
    const d = info.decoder;
    if (d !== Decoder.None) {
      // The block lane's chunk: look the payload up in the memo first.
      const memo = this.dvBuf === b && pe > ps && pe - ps <= MEMO_MAX_BYTES;
      if (memo) ev = this.memo.get(d, b, this.dv!, ps, pe, hd);
      if (ev === null) {
        ev = decodePayload(d, b, ps, pe, hd);
        if (ev !== null && memo) this.memo.put(ev);
      }
    }
    if (ev === null) {
      const ctx = this.ctx;
      ctx.source = source;
      ctx.b = b;
      ctx.s = s;
      ctx.e = e;
      ev = buildEvent(info.name, latin1(b, ps, pe), hd, ctx);
      ctx.b = NO_BYTES; // do not keep the chunk alive
    }
    this.parser.fastEvent(ev, info.tally);
  }

  /** The block lane's name of bytes [s, e) (hash `h`: hashWords), or null when it has none yet. */
  private blockName(dv: DataView, b: Uint8Array, s: number, e: number, h: number): NameInfo | null {
    const slot = h & (NAME_SLOTS - 1);
    const n = this.blockNames[slot];
    if (n !== undefined && equalWords(dv, b, s, e, n.words, n.bytes.length)) return n;
    const m = this.blockNames[slot ^ 1];
    if (m !== undefined && equalWords(dv, b, s, e, m.words, m.bytes.length)) return m;
    return null;
  }

  /** Make and keep the block lane's name of bytes [s, e) (checked by the caller). */
  private addBlockName(b: Uint8Array, s: number, e: number, h: number): NameInfo {
    const slot = h & (NAME_SLOTS - 1);
    const made = this.makeName(b, s, e);
    if (this.blockNames[slot] === undefined) this.blockNames[slot] = made;
    else this.blockNames[slot ^ 1] = made;
    return made;
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
    const bytes = copyBytes(b, s, e);
    return { bytes, words: wordsOf(bytes), name, kind, decoder, tally: this.parser.fastTally(name) };
  }

  private commOf(tid: number, b: Uint8Array, s: number, e: number): string {
    const slot = tid & (COMM_SLOTS - 1);
    const c = this.comms[slot];
    if (c !== undefined && c.tid === tid) {
      if (this.dvBuf === b ? equalWords(this.dv!, b, s, e, c.words, c.bytes.length) : equalBytes(c.bytes, b, s, e)) return c.comm;
    }
    const comm = latin1(b, s, e);
    const bytes = copyBytes(b, s, e);
    this.comms[slot] = { tid, bytes, words: wordsOf(bytes), comm };
    return comm;
  }
}
