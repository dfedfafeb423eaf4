/**
 * Byte-level decoders for the common forms of the hot KVM payloads, for the fast lane (fast-lane.ts).
 *
 * They read the payload bytes [ps, pe) of an all-ASCII line (trimmed of blanks, as the fast lane hands them over)
 * and build the event straight away, with no payload string, no token strings and no per-line context object.
 * Each one accepts only the payloads that payloads.ts (`buildEvent`) parses cleanly and answers `null` for
 * everything else: malformed or unusual text, anything that would record a diagnostic (`bad_payload`,
 * `unknown_exit_reason`), numbers beyond exact doubles. The caller then runs `buildEvent` on the payload string, so
 * the result is always exactly what the text path gives. test/parse/fast-payloads.test.ts checks that, event by
 * event, on every fixture, the generated traces, the large real captures and property-generated payload variants.
 *
 * Decoded (the forms, with examples, are listed in payloads.ts's header, which follows torvalds/linux
 * arch/x86/kvm/trace.h and rostedt/libtraceevent plugins/plugin_kvm.c):
 *   kvm_exit            `[vcpu N ]reason NAME rip 0xRIP[ SYMBOL][ info A B | info1 0x… info2 0x… intr_info 0x…
 *                        error_code 0x…[ requests 0x…]]` with a one-word NAME (flags, `UNKNOWN (n)`, SVM `PF excp`
 *                        and arm64/MIPS texts go to buildEvent)
 *   kvm_entry           `vcpu N`, `vcpu N, rip 0x…`, `vcpu N rip 0x…[ SYMBOL]`, `… intr_info 0x… error_code 0x…`,
 *                        any of them with the `[immediate exit]` suffix
 *   kvm_pio, kvm_mmio, kvm_fast_mmio, kvm_msr, kvm_userspace_exit, kvm_hypercall / kvm_hv_hypercall /
 *   kvm_xen_hypercall   every form payloads.ts accepts
 *   kvm_emulate_insn    the kernel form `0:ffffffffa0632f49:44 89 2c 25 00 00 00 10 (prot64)[ failed]` (the plugin
 *                        forms go to buildEvent)
 * The other typed events (kvm_cpuid, kvm_nested_vmexit*, kvm_page_fault) are rare per line and go to buildEvent.
 *
 * Tokens must be separated by exactly one space, as the kernel and libtraceevent print them; a tab or a run of
 * blanks inside the payload (hand-edited text) sends it to buildEvent, whose cursor tolerates them. Positions are
 * plain locals (a module-level token cursor, as payloads.ts has, cost ~10 ns per token here: the decoders are too
 * big for V8 to inline its helpers). Hex is normalized as payloads.ts does: lower-case, no `0x`, no leading zeros
 * (one digit kept); the strings of recurring values come from a table keyed by the 64-bit value, so most lines
 * make none. Numbers stored as doubles (ports, GPAs, MSR indexes) are decoded here only up to 13 significant hex
 * digits (52 bits, exact); longer ones go to buildEvent, which rounds them the way `Number.parseInt` does. Event
 * objects are built with the same keys in the same order as payloads.ts, so both paths give V8 the same shapes.
 */
import type { EventHeader, KvmEntry, KvmExit, MmioOp, TraceEvent } from '../model/events.js';
import { vmxFlagsOf } from './exit-reasons.js';
import { reasonInfo, type ReasonInfo } from './payloads.js';

/** Decoder ids, one per event name the fast lane sends here (0: none; the name goes to buildEvent). */
export const enum Decoder {
  None = 0,
  Exit = 1,
  Entry = 2,
  Pio = 3,
  Mmio = 4,
  FastMmio = 5,
  Msr = 6,
  UserspaceExit = 7,
  Hypercall = 8,
  HvHypercall = 9,
  XenHypercall = 10,
  EmulateInsn = 11,
}

/** Each byte decoder: the event name it reads (bare, without the `kvm:` system prefix) and the one kind it makes. */
const DECODED: readonly (readonly [string, Decoder, TraceEvent['kind']])[] = [
  ['kvm_exit', Decoder.Exit, 'exit'],
  ['kvm_entry', Decoder.Entry, 'entry'],
  ['kvm_pio', Decoder.Pio, 'pio'],
  ['kvm_mmio', Decoder.Mmio, 'mmio'],
  ['kvm_fast_mmio', Decoder.FastMmio, 'fast_mmio'],
  ['kvm_msr', Decoder.Msr, 'msr'],
  ['kvm_userspace_exit', Decoder.UserspaceExit, 'userspace_exit'],
  ['kvm_hypercall', Decoder.Hypercall, 'hypercall'],
  ['kvm_hv_hypercall', Decoder.HvHypercall, 'hypercall'],
  ['kvm_xen_hypercall', Decoder.XenHypercall, 'hypercall'],
  ['kvm_emulate_insn', Decoder.EmulateInsn, 'emulate_insn'],
];
const decoderByName = new Map(DECODED.map(([name, d]) => [name, d]));
const kindByDecoder = new Map(DECODED.map(([, d, kind]) => [d, kind]));

/** The decoder for an event name (bare, without the `kvm:` system prefix). */
export function decoderOf(name: string): Decoder {
  return decoderByName.get(name) ?? Decoder.None;
}

/** The kind of event a decoder makes (each makes one kind, or nothing). */
export function kindOfDecoder(d: Decoder): TraceEvent['kind'] | null {
  return kindByDecoder.get(d) ?? null;
}

/** Decode `b[ps, pe)` (an ASCII payload, trimmed) of an event with decoder `d`; null: use buildEvent. */
export function decodePayload(d: Decoder, b: Uint8Array, ps: number, pe: number, h: EventHeader): TraceEvent | null {
  switch (d) {
    case Decoder.Exit:
      return decodeExit(b, ps, pe, h);
    case Decoder.Entry:
      return decodeEntry(b, ps, pe, h);
    case Decoder.Pio:
      return decodePio(b, ps, pe, h);
    case Decoder.Mmio:
      return decodeMmio(b, ps, pe, h);
    case Decoder.FastMmio:
      return decodeFastMmio(b, ps, pe, h);
    case Decoder.Msr:
      return decodeMsr(b, ps, pe, h);
    case Decoder.UserspaceExit:
      return decodeUserspaceExit(b, ps, pe, h);
    case Decoder.Hypercall:
    case Decoder.HvHypercall:
    case Decoder.XenHypercall:
      return decodeHypercall(d, b, ps, pe, h);
    case Decoder.EmulateInsn:
      return decodeEmulateInsn(b, ps, pe, h);
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tokens. A decoder walks the payload with plain index locals: `word` matches a keyword token, `after` steps over
// the single space that must follow a token (-1: end of payload, a tab or a run of blanks), and `hexTok` /
// `hexNumTok` / `decTok` read a value token in one pass, leaving its end in END.j. Every byte is looked at once:
// on this 2-core VM a byte visit costs ~2 ns, so the count of visits is the cost.

/** End of the token read last by hexTok / hexNumTok / decTok (one object: a module `let` costs a TDZ check). */
const END = { j: 0 };

/** End of the token starting at i: the next space or tab, or pe. */
function tokEnd(b: Uint8Array, i: number, pe: number): number {
  while (i < pe) {
    const c = b[i]!;
    if (c === 32 || c === 9) return i;
    i++;
  }
  return pe;
}

/** Start of the token after the one that ends at j; -1 at the end of the payload or when the gap is not one space. */
function after(b: Uint8Array, j: number, pe: number): number {
  // The payload is trimmed: a blank at j < pe is always followed by another byte.
  if (j < 0 || j >= pe - 1 || b[j] !== 32) return -1;
  const c = b[j + 1]!;
  return c === 32 || c === 9 ? -1 : j + 1;
}

/** The end of the token at i when that token is exactly `w`; else -1. */
function word(b: Uint8Array, i: number, pe: number, w: Uint8Array): number {
  const n = w.length;
  const j = i + n;
  if (j > pe) return -1;
  for (let k = 0; k < n; k++) if (b[i + k] !== w[k]) return -1;
  if (j < pe) {
    const c = b[j]!;
    if (c !== 32 && c !== 9) return -1;
  }
  return j;
}

const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const W_VCPU = bytesOf('vcpu');
const W_VCPU_COLON = bytesOf('vcpu:');
const W_REASON = bytesOf('reason');
const W_RIP = bytesOf('rip');
const W_PC = bytesOf('PC:');
const W_INFO = bytesOf('info');
const W_INFO1 = bytesOf('info1');
const W_INFO2 = bytesOf('info2');
const W_INTR_INFO = bytesOf('intr_info');
const W_ERROR_CODE = bytesOf('error_code');
const W_REQUESTS = bytesOf('requests');
const W_PIO_READ = bytesOf('pio_read');
const W_PIO_WRITE = bytesOf('pio_write');
const W_AT = bytesOf('at');
const W_SIZE = bytesOf('size');
const W_COUNT = bytesOf('count');
const W_VAL = bytesOf('val');
const W_ELLIPSIS = bytesOf('(...)');
const W_MMIO = bytesOf('mmio');
const W_READ = bytesOf('read');
const W_WRITE = bytesOf('write');
const W_UNSATISFIED_READ = bytesOf('unsatisfied-read');
const W_LEN = bytesOf('len');
const W_GPA = bytesOf('gpa');
const W_FAST = bytesOf('fast');
const W_MSR_READ = bytesOf('msr_read');
const W_MSR_WRITE = bytesOf('msr_write');
const W_EQ = bytesOf('=');
const W_GP = bytesOf('(#GP)');
const W_NR = bytesOf('nr');
const W_CODE = bytesOf('code');
const W_CPL = bytesOf('cpl');
const W_IMMEDIATE_EXIT = bytesOf('[immediate exit]');
const W_FAILED = bytesOf(' failed');
/** kvm_trace_symbol_emul_flags (arch/x86/kvm/trace.h), as payloads.ts EMUL_MODES. */
const W_EMUL_MODES = ['real', 'vm16', 'prot16', 'prot32', 'prot64'].map(bytesOf);

/** Is b[i, j) exactly `w`? */
function eq(b: Uint8Array, i: number, j: number, w: Uint8Array): boolean {
  if (j - i !== w.length) return false;
  for (let k = 0; k < w.length; k++) if (b[i + k] !== w[k]) return false;
  return true;
}

/** Unsigned decimal in b[i, j); -1 when empty, not all digits or over 15 digits (payloads.ts `decRange`: NaN). */
function decAt(b: Uint8Array, i: number, j: number): number {
  if (j <= i || j - i > 15) return -1;
  let v = 0;
  for (let k = i; k < j; k++) {
    const c = b[k]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Unsigned decimal token at i (payloads.ts `decRange`: 1-15 digits); -1 otherwise. END.j = its end. */
function decTok(b: Uint8Array, i: number, pe: number): number {
  let v = 0;
  let k = i;
  for (; k < pe; k++) {
    const c = b[k]!;
    if (c === 32 || c === 9) break;
    const d = c - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  if (k === i || k - i > 15) return -1;
  END.j = k;
  return v;
}

/**
 * Per byte: the hex digit value in the low 4 bits, HEX_UPPER for `A`-`F`, HEX_NOT for anything else (HEX_BLANK for
 * the blanks that end a token). OR-ing the classes of a token tells at once whether it is hex and whether it needs
 * lower-casing (no branch per digit).
 */
const HEX_UPPER = 16;
const HEX_NOT = 32;
/** Space and tab: end of the token (and not hex). */
const HEX_BLANK = 64 | HEX_NOT;
const HEX_CLASS = new Uint8Array(256).fill(HEX_NOT);
HEX_CLASS[32] = HEX_BLANK;
HEX_CLASS[9] = HEX_BLANK;
for (let c = 0; c < 10; c++) HEX_CLASS[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX_CLASS[97 + c] = 10 + c;
  HEX_CLASS[65 + c] = HEX_UPPER | (10 + c);
}
/** The normalized one-digit hex strings ('0'…'f'), by digit value: most info words and values are one digit. */
const HEX_DIGIT: readonly string[] = Array.from({ length: 16 }, (_, v) => v.toString(16));

/** Hex digits per 32-bit half of a 64-bit value; a value over 16 digits is not looked up. */
const HALF_DIGITS = 8;

/**
 * Normalized hex of the token at i (payloads.ts `hexRange`): an optional `0x` (either case), then at least one
 * hex digit (either case); lower-case, no `0x`, no leading zeros (one digit kept). null when not hex. END.j = the
 * token's end. Values up to 64 bits are kept as two 32-bit halves, which alone determine the normalized string
 * (it has no leading zeros), and the string comes from a table keyed by them.
 */
function hexTok(b: Uint8Array, i: number, pe: number): string | null {
  let k = i;
  if (pe - k >= 2 && b[k] === 48 && (b[k + 1]! | 0x20) === 120) k += 2;
  const digits = k;
  while (k < pe && b[k] === 48) k++;
  const start = k;
  let seen = 0;
  let hi = 0;
  let lo = 0;
  for (; k < pe; k++) {
    const v = HEX_CLASS[b[k]!]!;
    if (v >= HEX_BLANK) break;
    seen |= v;
    hi = hi * 16 + (lo >>> 28);
    lo = ((lo << 4) | (v & 15)) >>> 0;
  }
  END.j = k;
  if (k === digits || (seen & HEX_NOT) !== 0) return null;
  const n = k - start;
  if (n <= 1) return n === 0 ? '0' : HEX_DIGIT[lo]!;
  if (n > 2 * HALF_DIGITS) {
    const s = latin1(b, start, k);
    return (seen & HEX_UPPER) !== 0 ? s.toLowerCase() : s;
  }
  // Multiplicative hashing: the top bits of the product depend on every bit of both halves.
  const slot = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> (32 - HEX_SLOT_BITS);
  const hit = hexVals[slot];
  if (hit !== undefined && hexHi[slot] === hi && hexLo[slot] === lo) return hit;
  const s = latin1(b, start, k);
  const out = (seen & HEX_UPPER) !== 0 ? s.toLowerCase() : s;
  hexVals[slot] = out;
  hexHi[slot] = hi;
  hexLo[slot] = lo;
  return out;
}

/**
 * Slots of the hex-string table: 512, small enough (~10 KB with its keys) to stay in the L1 cache next to the line.
 * Measured hit rates: 98.5% on the large real capture 01 (1195 distinct rips; 4096 slots: 99.4%), 100% on the
 * generated traces.
 */
const HEX_SLOT_BITS = 9;
const HEX_SLOTS = 1 << HEX_SLOT_BITS;
const hexVals: (string | undefined)[] = new Array<string | undefined>(HEX_SLOTS);
const hexHi = new Float64Array(HEX_SLOTS);
const hexLo = new Float64Array(HEX_SLOTS);

/** Most significant hex digits decoded into a double exactly: 13 × 4 = 52 bits (2^53 is the exact-integer limit). */
const MAX_EXACT_HEX_DIGITS = 13;

/** Hex number of the token at i; -1 when not hex or not exact as a double (buildEvent then decides). END.j. */
function hexNumTok(b: Uint8Array, i: number, pe: number): number {
  let k = i;
  if (pe - k >= 2 && b[k] === 48 && (b[k + 1]! | 0x20) === 120) k += 2;
  const digits = k;
  while (k < pe && b[k] === 48) k++;
  const start = k;
  let seen = 0;
  let v = 0;
  for (; k < pe; k++) {
    const d = HEX_CLASS[b[k]!]!;
    if (d >= HEX_BLANK) break;
    seen |= d;
    v = v * 16 + (d & 15);
  }
  if (k === digits || (seen & HEX_NOT) !== 0 || k - start > MAX_EXACT_HEX_DIGITS) return -1;
  END.j = k;
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// Words (exit reasons, userspace-exit reasons): a few dozen distinct per trace, looked up by their bytes.

/** Slots per table: a power of two well above the distinct words of a trace (a few dozen reasons). */
const WORD_SLOTS = 256;
/** Longer words are not kept (real reason names are under 40 bytes). */
const WORD_MAX = 40;

/** A copy of b[i, j) (Buffer's `slice` is a view: a key must neither change nor keep its 1 MiB chunk alive). */
export function copyBytes(b: Uint8Array, i: number, j: number): Uint8Array {
  const k = new Uint8Array(j - i);
  k.set(b.subarray(i, j));
  return k;
}

/** Hash of b[i, j) (the same as decodeExit takes while it finds the end of the reason). */
function hashOf(b: Uint8Array, i: number, j: number): number {
  let h = 0;
  for (let k = i; k < j; k++) h = (Math.imul(h, 31) + b[k]!) | 0;
  return h;
}

/** A direct-mapped table from byte strings to values (a newer word takes the slot of an older one). */
class WordTable<V> {
  private readonly keys: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(WORD_SLOTS);
  private readonly vals: (V | undefined)[] = new Array<V | undefined>(WORD_SLOTS);

  /** The value of bytes b[i, j) (hash h: hashOf), or `make(text)` (then kept). */
  get(b: Uint8Array, i: number, j: number, h: number, make: (text: string) => V): V {
    if (j - i > WORD_MAX) return make(latin1(b, i, j));
    const slot = (h ^ (h >>> 10) ^ (j - i)) & (WORD_SLOTS - 1);
    const key = this.keys[slot];
    if (key !== undefined && eq(b, i, j, key)) return this.vals[slot]!;
    const v = make(latin1(b, i, j));
    this.keys[slot] = copyBytes(b, i, j);
    this.vals[slot] = v;
    return v;
  }
}

/** Buffer's `latin1Slice` skips `toString`'s argument checks; plain Uint8Arrays take the TextDecoder path. */
type WithLatin1Slice = Uint8Array & { latin1Slice?: (s: number, e: number) => string };
const LATIN1 = new TextDecoder('latin1');
export function latin1(b: Uint8Array, s: number, e: number): string {
  const f = (b as WithLatin1Slice).latin1Slice;
  return f !== undefined ? f.call(b, s, e) : LATIN1.decode(b.subarray(s, e));
}

/** A printed exit reason with what payloads.ts's `reasonInfo` says of it. */
interface Reason {
  raw: string;
  info: ReasonInfo;
}
const makeReason = (raw: string): Reason => {
  const info = reasonInfo(raw);
  return { raw: info.raw, info };
};
const reasons = new WordTable<Reason>();
const identity = (s: string): string => s;
const words = new WordTable<string>();

// ---------------------------------------------------------------------------------------------------------------
// Decoders. Each mirrors its payloads.ts counterpart step by step; every place where that one would set `ok =
// false` (or record a diagnostic) returns null here, and so does every gap that is not one space.

/** SVM_EXIT_ERR as an unsigned 32-bit field (payloads.ts: the plugin prints it as `UNKNOWN (4294967295)`). */
const U32_ALL_ONES = 0xffffffff;
/** VMX basic exit reasons are 16 bits; a numeric reason above that carries flag bits (payloads.ts). */
const VMX_BASIC_MAX = 0xffff;

/** kvm_exit keys after the rip (payloads.ts parseX86ExitBody). */
const enum Key {
  None = 0,
  Info1 = 1,
  Info2 = 2,
  IntrInfo = 3,
  ErrorCode = 4,
  Requests = 5,
}

function decodeExit(b: Uint8Array, ps: number, pe: number, h: EventHeader): KvmExit | null {
  // buildExit: the x86 text starts with `vcpu ` or `reason `.
  let i = ps;
  let j = word(b, i, pe, W_VCPU);
  let vcpu = -1;
  if (j >= 0) {
    if ((i = after(b, j, pe)) < 0 || (vcpu = decTok(b, i, pe)) < 0 || (i = after(b, END.j, pe)) < 0) return null;
  }
  if ((j = word(b, i, pe, W_REASON)) < 0 || (i = after(b, j, pe)) < 0) return null;
  // scanReason, one-word names only: the name, then `rip` at once.
  const na = i;
  let nz = i;
  let nh = 0;
  for (; nz < pe; nz++) {
    const c = b[nz]!;
    if (c === 32 || c === 9) break;
    nh = (Math.imul(nh, 31) + c) | 0;
  }
  if (word(b, na, pe, W_RIP) >= 0) return null;
  if ((i = after(b, nz, pe)) < 0 || (j = word(b, i, pe, W_RIP)) < 0 || (i = after(b, j, pe)) < 0) return null;
  const reason = reasons.get(b, na, nz, nh, makeReason);
  const info = reason.info;
  if (!info.known) return null; // unknown_exit_reason: buildEvent records it
  const rip = hexTok(b, i, pe);
  if (rip === null) return null;
  j = END.j;
  let info1 = '';
  let info2 = '';
  let intrInfo = '';
  let errorCode = '';
  let sawKey = false;
  while (j < pe) {
    if ((i = after(b, j, pe)) < 0) return null;
    const c = b[i];
    let key = Key.None;
    if (c === 105 /* i */) {
      if ((j = word(b, i, pe, W_INFO)) >= 0) {
        sawKey = true;
        if ((i = after(b, j, pe)) < 0) return null;
        const x = hexTok(b, i, pe);
        if (x === null || (i = after(b, END.j, pe)) < 0) return null;
        const y = hexTok(b, i, pe);
        if (y === null) return null;
        j = END.j;
        info1 = x;
        info2 = y;
        continue;
      }
      if ((j = word(b, i, pe, W_INFO1)) >= 0) key = Key.Info1;
      else if ((j = word(b, i, pe, W_INFO2)) >= 0) key = Key.Info2;
      else if ((j = word(b, i, pe, W_INTR_INFO)) >= 0) key = Key.IntrInfo;
    } else if (c === 101 /* e */) {
      if ((j = word(b, i, pe, W_ERROR_CODE)) >= 0) key = Key.ErrorCode;
    } else if (c === 114 /* r */) {
      if ((j = word(b, i, pe, W_REQUESTS)) >= 0) key = Key.Requests;
    }
    if (key === Key.None) {
      // Plugin: one symbol token (`native_safe_halt+0x6`) may follow the rip.
      if (sawKey) return null;
      sawKey = true;
      j = tokEnd(b, i, pe);
      continue;
    }
    sawKey = true;
    if ((i = after(b, j, pe)) < 0) return null;
    const v = hexTok(b, i, pe);
    if (v === null) return null;
    j = END.j;
    if (key === Key.Info1) info1 = v;
    else if (key === Key.Info2) info2 = v;
    else if (key === Key.IntrInfo) intrInfo = v;
    else if (key === Key.ErrorCode) errorCode = v;
  }
  const code = info.code;
  return {
    kind: 'exit',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    isa: info.isa,
    rawReason: reason.raw,
    exitCode: code,
    flags: code !== null && code > VMX_BASIC_MAX && code !== U32_ALL_ONES ? vmxFlagsOf(code) : [],
    vcpu,
    rip,
    info1,
    info2,
    intrInfo,
    errorCode,
  };
}

function decodeEntry(b: Uint8Array, ps: number, pe: number, h: EventHeader): KvmEntry | null {
  let immediateExit = false;
  const n = W_IMMEDIATE_EXIT.length;
  if (pe - ps >= n && b[pe - 1] === 93 /* ] */ && word(b, pe - n, pe, W_IMMEDIATE_EXIT) === pe) {
    immediateExit = true;
    pe -= n;
    // payloads.ts tokenizes what is left: blanks before the suffix end no token.
    while (pe > ps && (b[pe - 1] === 32 || b[pe - 1] === 9)) pe--;
  }
  let j = word(b, ps, pe, W_VCPU);
  if (j < 0) j = word(b, ps, pe, W_VCPU_COLON);
  let i: number;
  if (j < 0 || (i = after(b, j, pe)) < 0) return null; // arm64 `PC: 0x…` and the rest: buildEvent
  // The vcpu number, with the `,` of `vcpu 0, rip …` (payloads.ts drops one trailing comma).
  let vcpu = 0;
  let k = i;
  for (; k < pe; k++) {
    const d = b[k]! - 48;
    if (d < 0 || d > 9) break;
    vcpu = vcpu * 10 + d;
  }
  if (k === i || k - i > 15) return null;
  if (k < pe && b[k] === 44 /* , */) k++;
  if (k < pe && b[k] !== 32 && b[k] !== 9) return null;
  j = k;
  let rip = '';
  let afterRip = false;
  while (j < pe) {
    if ((i = after(b, j, pe)) < 0) return null;
    let isRip = true;
    if ((j = word(b, i, pe, W_RIP)) < 0 && (j = word(b, i, pe, W_PC)) < 0) {
      isRip = false;
      if ((j = word(b, i, pe, W_INTR_INFO)) < 0) j = word(b, i, pe, W_ERROR_CODE);
    }
    if (j >= 0) {
      if ((i = after(b, j, pe)) < 0) return null;
      const v = hexTok(b, i, pe);
      if (v === null) return null;
      j = END.j;
      if (isRip) rip = v;
      afterRip = isRip;
    } else if (afterRip) {
      afterRip = false; // plugin: one symbol token after the rip
      j = tokEnd(b, i, pe);
    } else {
      return null;
    }
  }
  return {
    kind: 'entry',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    vcpu,
    rip,
    immediateExit,
  };
}

function decodePio(b: Uint8Array, ps: number, pe: number, h: EventHeader): TraceEvent | null {
  // pio_%s at 0x%x size %d count %d[ val 0x%x[ (...)]]
  let j = word(b, ps, pe, W_PIO_WRITE);
  const write = j >= 0;
  if (!write) j = word(b, ps, pe, W_PIO_READ);
  let i: number;
  if ((i = after(b, j, pe)) < 0 || (j = word(b, i, pe, W_AT)) < 0 || (i = after(b, j, pe)) < 0) return null;
  const port = hexNumTok(b, i, pe);
  if (port < 0 || (i = after(b, END.j, pe)) < 0 || (j = word(b, i, pe, W_SIZE)) < 0 || (i = after(b, j, pe)) < 0) return null;
  const size = decTok(b, i, pe);
  if (size < 0 || (i = after(b, END.j, pe)) < 0 || (j = word(b, i, pe, W_COUNT)) < 0 || (i = after(b, j, pe)) < 0) return null;
  const count = decTok(b, i, pe);
  if (count < 0) return null;
  j = END.j;
  let val = '';
  if (j < pe) {
    if ((i = after(b, j, pe)) < 0 || (j = word(b, i, pe, W_VAL)) < 0 || (i = after(b, j, pe)) < 0) return null;
    const v = hexTok(b, i, pe);
    if (v === null) return null;
    val = v;
    j = END.j;
    if (j < pe && ((i = after(b, j, pe)) < 0 || word(b, i, pe, W_ELLIPSIS) !== pe)) return null;
  }
  return {
    kind: 'pio',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    write,
    port,
    size,
    count,
    val,
  };
}

function decodeMmio(b: Uint8Array, ps: number, pe: number, h: EventHeader): TraceEvent | null {
  // mmio %s len %u gpa 0x%llx val 0x%llx
  let j = word(b, ps, pe, W_MMIO);
  let i: number;
  if ((i = after(b, j, pe)) < 0) return null;
  let op: MmioOp | null = null;
  if ((j = word(b, i, pe, W_WRITE)) >= 0) op = 'write';
  else if ((j = word(b, i, pe, W_READ)) >= 0) op = 'read';
  else if ((j = word(b, i, pe, W_UNSATISFIED_READ)) >= 0) op = 'unsatisfied-read';
  if (op === null || (i = after(b, j, pe)) < 0 || (j = word(b, i, pe, W_LEN)) < 0 || (i = after(b, j, pe)) < 0) return null;
  const len = decTok(b, i, pe);
  if (len < 0 || (i = after(b, END.j, pe)) < 0 || (j = word(b, i, pe, W_GPA)) < 0 || (i = after(b, j, pe)) < 0) return null;
  const gpa = hexNumTok(b, i, pe);
  if (gpa < 0) return null;
  j = END.j;
  let val = '';
  if (j < pe) {
    if ((i = after(b, j, pe)) < 0 || (j = word(b, i, pe, W_VAL)) < 0 || (i = after(b, j, pe)) < 0) return null;
    const v = hexTok(b, i, pe);
    if (v === null || END.j < pe) return null;
    val = v;
  }
  return {
    kind: 'mmio',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    op,
    len,
    gpa,
    val,
  };
}

function decodeFastMmio(b: Uint8Array, ps: number, pe: number, h: EventHeader): TraceEvent | null {
  // fast mmio at gpa 0x%llx
  let j = word(b, ps, pe, W_FAST);
  let i: number;
  if ((i = after(b, j, pe)) < 0 || (j = word(b, i, pe, W_MMIO)) < 0 || (i = after(b, j, pe)) < 0) return null;
  if ((j = word(b, i, pe, W_AT)) < 0 || (i = after(b, j, pe)) < 0) return null;
  if ((j = word(b, i, pe, W_GPA)) < 0 || (i = after(b, j, pe)) < 0) return null;
  const gpa = hexNumTok(b, i, pe);
  if (gpa < 0 || END.j < pe) return null;
  return {
    kind: 'fast_mmio',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    gpa,
  };
}

function decodeMsr(b: Uint8Array, ps: number, pe: number, h: EventHeader): TraceEvent | null {
  // msr_%s %x = 0x%llx[ (#GP)]
  let j = word(b, ps, pe, W_MSR_WRITE);
  const write = j >= 0;
  if (!write) j = word(b, ps, pe, W_MSR_READ);
  let i: number;
  if ((i = after(b, j, pe)) < 0) return null;
  const index = hexNumTok(b, i, pe);
  if (index < 0 || (i = after(b, END.j, pe)) < 0 || (j = word(b, i, pe, W_EQ)) < 0 || (i = after(b, j, pe)) < 0) return null;
  const val = hexTok(b, i, pe);
  if (val === null) return null;
  j = END.j;
  let gp = false;
  if (j < pe) {
    if ((i = after(b, j, pe)) < 0 || word(b, i, pe, W_GP) !== pe) return null;
    gp = true;
  }
  return {
    kind: 'msr',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    write,
    index,
    val,
    gp,
  };
}

function decodeUserspaceExit(b: Uint8Array, ps: number, pe: number, h: EventHeader): TraceEvent | null {
  // reason %s (%d)
  let j = word(b, ps, pe, W_REASON);
  let i: number;
  if ((i = after(b, j, pe)) < 0) return null;
  const ra = i;
  const rz = tokEnd(b, i, pe);
  if ((i = after(b, rz, pe)) < 0) return null;
  j = tokEnd(b, i, pe);
  if (j < pe || j - i < 3 || b[i] !== 40 /* ( */ || b[j - 1] !== 41 /* ) */) return null;
  const neg = b[i + 1] === 45; /* - */
  let code = decAt(b, i + (neg ? 2 : 1), j - 1);
  if (code < 0) return null;
  if (neg) code = -code;
  return {
    kind: 'userspace_exit',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    reason: words.get(b, ra, rz, hashOf(b, ra, rz), identity),
    code,
  };
}

function decodeHypercall(d: Decoder, b: Uint8Array, ps: number, pe: number, h: EventHeader): TraceEvent | null {
  // kvm `nr 0x%lx a0 0x%lx …`; hyperv `code 0x%x fast|slow …`; xen `cpl %d nr 0x%lx a0 …` (the rest is not read)
  let j: number;
  let i: number;
  if (d === Decoder.XenHypercall) {
    if ((i = after(b, word(b, ps, pe, W_CPL), pe)) < 0 || decTok(b, i, pe) < 0) return null;
    if ((i = after(b, END.j, pe)) < 0 || (j = word(b, i, pe, W_NR)) < 0) return null;
  } else {
    j = word(b, ps, pe, d === Decoder.Hypercall ? W_NR : W_CODE);
  }
  if ((i = after(b, j, pe)) < 0) return null;
  const nr = hexTok(b, i, pe);
  if (nr === null) return null;
  return {
    kind: 'hypercall',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    flavor: d === Decoder.Hypercall ? 'kvm' : d === Decoder.HvHypercall ? 'hyperv' : 'xen',
    nr,
  };
}

/** Is b[i, j) hex as payloads.ts `hexRange` accepts it (optional `0x`, then at least one hex digit)? */
function isHex(b: Uint8Array, i: number, j: number): boolean {
  if (j - i >= 2 && b[i] === 48 && (b[i + 1]! | 0x20) === 120) i += 2;
  if (i >= j) return false;
  let seen = 0;
  for (; i < j; i++) seen |= HEX_CLASS[b[i]!]!;
  return (seen & HEX_NOT) === 0;
}

/** The ASCII bytes `String.prototype.trim` removes (tab, LF, VT, FF, CR, space). */
function isTrimmed(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function decodeEmulateInsn(b: Uint8Array, ps: number, pe: number, h: EventHeader): TraceEvent | null {
  // Kernel `%x:%llx:%s (%s)[ failed]`; the plugin forms (no mode, `FAIL`) go to buildEvent.
  let c1 = -1;
  let c2 = -1;
  for (let k = ps; k < pe; k++) {
    if (b[k] !== 58 /* : */) continue;
    if (c1 >= 0) {
      c2 = k;
      break;
    }
    c1 = k;
  }
  if (c1 <= ps || c2 < 0 || !isHex(b, ps, c1)) return null;
  // The rip ends at the first space after c1 when that comes before c2 (the plugin's ` func+0x5`).
  let sp = c1 + 1;
  while (sp < c2 && b[sp] !== 32) sp++;
  if (!isHex(b, c1 + 1, sp)) return null;
  // The body after c2: `INSN (MODE)` with an optional ` failed`.
  const a = c2 + 1;
  let z = pe;
  let failed = false;
  if (z - a >= W_FAILED.length && word(b, z - W_FAILED.length, z, W_FAILED) === z) {
    z -= W_FAILED.length;
    failed = true;
  }
  if (z <= a || b[z - 1] !== 41 /* ) */) return null;
  let open = z - 2;
  while (open >= a && b[open] !== 40 /* ( */) open--;
  if (open < a || (open > a && b[open - 1] !== 32)) return null;
  let mode = false;
  for (const w of W_EMUL_MODES) if (eq(b, open + 1, z - 1, w)) mode = true;
  if (!mode) return null; // a `__print_symbolic` hex mode: buildEvent
  let s = a;
  let e = open;
  while (s < e && isTrimmed(b[s]!)) s++;
  while (e > s && isTrimmed(b[e - 1]!)) e--;
  return {
    kind: 'emulate_insn',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    insn: latin1(b, s, e),
    failed,
  };
}
