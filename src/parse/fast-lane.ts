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
 * on every fixture. Non-KVM events are counted by name without building an event (nothing downstream reads them);
 * KVM events with typed bodies go through the same payload parsers (payloads.ts) as the text path.
 */
import type { Diagnostics } from '../model/diagnostics.js';
import type { EventHeader } from '../model/events.js';
import { buildEvent } from './payloads.js';
import type { TextParser } from './text-parser.js';
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
  bytes: Buffer;
  name: string;
  kind: Kind;
}

interface CommInfo {
  bytes: Buffer;
  comm: string;
}

const SP = 32;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdChar = (c: number) => isIdStart(c) || isDigit(c);
/** ftrace/trace-cmd flags column, per position (see record-line.ts FLAGS). */
const FLAG0 = new Set([46, 100, 68, 98, 88]); // . d D b X
const FLAG1 = new Set([46, 110, 78, 112, 66, 76, 108, 98]); // . n N p B L l b
const FLAG2 = new Set([46, 104, 72, 115, 83, 122, 90]); // . h H s S z Z
const isHexOrDot = (c: number) => c === 46 || isDigit(c) || (c >= 97 && c <= 102);

function equalBytes(a: Buffer, b: Uint8Array, s: number, e: number): boolean {
  if (a.length !== e - s) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[s + i]) return false;
  return true;
}

/** `PayloadContext` whose `line` (only read for diagnostics) is decoded on demand. */
class LazyLineContext implements PayloadContext {
  constructor(
    readonly diag: Diagnostics,
    readonly source: { file: number; line: number },
    private readonly b: Buffer,
    private readonly s: number,
    private readonly e: number,
  ) {}
  get line(): string {
    return latin1(this.b, this.s, this.e);
  }
}

/** Buffer's undocumented-but-stable `latin1Slice` skips `toString`'s argument checks (a measurable cost per line). */
type WithLatin1Slice = Buffer & { latin1Slice?: (s: number, e: number) => string };
function latin1(b: Buffer, s: number, e: number): string {
  const f = (b as WithLatin1Slice).latin1Slice;
  return f !== undefined ? f.call(b, s, e) : b.toString('latin1', s, e);
}

export class FastLane {
  private readonly names = new Map<number, NameInfo[]>();
  private readonly comms = new Map<number, CommInfo>();
  private readonly perf: boolean;

  constructor(
    private readonly fileIndex: number,
    private readonly parser: TextParser,
    private readonly ts: TimestampParser,
    private readonly diag: Diagnostics,
    format: string,
  ) {
    this.perf = format === 'perf-script';
  }

  /** Try to consume one line; false leaves it to the text parser (nothing was changed). */
  line(b: Buffer, s: number, e: number): boolean {
    // Locate "[cpu]".
    let lb = -1;
    let i = s;
    for (; i < e; i++) {
      const c = b[i]!;
      if (c >= 0x80) return false;
      if (c === 0x5b) {
        let k = i + 1;
        while (k < e && isDigit(b[k]!)) k++;
        if (k > i + 1 && k < e && b[k] === 0x5d) {
          lb = i;
          break;
        }
      }
    }
    if (lb < 0) return false;
    let rb = lb + 1;
    while (b[rb] !== 0x5d) rb++;
    let cpu = 0;
    for (let k = lb + 1; k < rb; k++) cpu = cpu * 10 + (b[k]! - 48);

    // Task column, right to left from "[".
    let j = lb - 1;
    while (j >= s && b[j] === SP) j--;
    const tidEnd = j + 1;
    while (j >= s && isDigit(b[j]!)) j--;
    if (j === tidEnd - 1) return false;
    let tid = 0;
    for (let k = j + 1; k < tidEnd; k++) tid = tid * 10 + (b[k]! - 48);
    let cs = s;
    while (cs < e && b[cs] === SP) cs++;
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
    if (!this.perf && k < e && FLAG0.has(b[k]!)) {
      let f = k;
      while (f < e && b[f] !== SP) f++;
      const n = f - k;
      if (n < 4 || n > 5 || !FLAG1.has(b[k + 1]!) || !FLAG2.has(b[k + 2]!) || !isHexOrDot(b[k + 3]!)) return false;
      if (n === 5 && !isHexOrDot(b[k + 4]!)) return false;
      k = f;
      while (k < e && b[k] === SP) k++;
    }
    const tss = k;
    while (k < e && (isDigit(b[k]!) || b[k] === 46)) k++;
    if (k === tss || k >= e || b[k] !== 0x3a /* : */) return false;
    const tse = k;
    k++;
    if (k >= e || b[k] !== SP) return false;
    while (k < e && b[k] === SP) k++;

    // Event name ([sys:]name), then ':'.
    if (k >= e || !isIdStart(b[k]!)) return false;
    let ns = k;
    while (k < e && (isIdChar(b[k]!) || b[k] === 46)) k++;
    if (k >= e || b[k] !== 0x3a) return false;
    if (k + 1 < e && isIdStart(b[k + 1]!)) {
      // `sys:` prefix (perf); the name follows.
      for (let q = ns; q < k; q++) if (!isIdChar(b[q]!)) return false;
      ns = k + 1;
      k = ns;
      while (k < e && (isIdChar(b[k]!) || b[k] === 46)) k++;
      if (k >= e || b[k] !== 0x3a) return false;
    }
    const ne = k;
    k++;
    if (k < e && b[k] !== SP) return false;
    // Payload, trimmed; the rest of the line must be ASCII too.
    let ps = k;
    while (ps < e && (b[ps] === SP || b[ps] === 9)) ps++;
    let pe = e;
    for (let q = ps; q < e; q++) if (b[q]! >= 0x80) return false;
    while (pe > ps && (b[pe - 1] === SP || b[pe - 1] === 9)) pe--;

    const info = this.nameOf(b, ns, ne);
    const tsv = this.ts.parseBytes(b, tss, tse);
    if (Number.isNaN(tsv)) return false;

    // Committed: the line is an event.
    const line = this.parser.takeLine(e - s);
    if (info.kind === Kind.Other) {
      this.parser.fastEvent(null, info.name);
      return true;
    }
    const comm = this.commOf(tid, b, cs, ce);
    const source = { file: this.fileIndex, line };
    if (info.kind === Kind.KvmOther) {
      this.parser.fastEvent(
        { kind: 'kvm_other', ts: tsv, cpu, tid, comm, instance: '', source, name: info.name },
        info.name,
      );
      return true;
    }
    const h: EventHeader = { ts: tsv, cpu, tid, comm, instance: '', source };
    this.parser.fastEvent(buildEvent(info.name, latin1(b, ps, pe), h, new LazyLineContext(this.diag, source, b, s, e)), info.name);
    return true;
  }

  private nameOf(b: Buffer, s: number, e: number): NameInfo {
    let h = e - s;
    for (let i = s; i < e; i++) h = (Math.imul(h, 31) + b[i]!) | 0;
    let list = this.names.get(h);
    if (list !== undefined) {
      for (const n of list) if (equalBytes(n.bytes, b, s, e)) return n;
    } else {
      list = [];
      this.names.set(h, list);
    }
    const name = b.toString('latin1', s, e);
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
    const n: NameInfo = { bytes: Buffer.from(b.subarray(s, e)), name, kind };
    list.push(n);
    return n;
  }

  private commOf(tid: number, b: Buffer, s: number, e: number): string {
    const c = this.comms.get(tid);
    if (c !== undefined && equalBytes(c.bytes, b, s, e)) return c.comm;
    const comm = b.toString('latin1', s, e);
    this.comms.set(tid, { bytes: Buffer.from(b.subarray(s, e)), comm });
    return comm;
  }
}
