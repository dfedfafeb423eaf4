/**
 * The block lane's scanner, in AssemblyScript (compiled to WebAssembly by `npm run build`: dist/parse/scan.wasm).
 *
 * Why WebAssembly: a profile of the JavaScript block lane showed its header scan at ~0.16 µs per line and the
 * payload memo's word compares at ~0.07 µs — a JavaScript byte visit costs ~1.4 ns on the 2-core VM, a WebAssembly
 * one a fraction of that, and 16 bytes are searched at once with SIMD. Numbers are read eight digits at a time
 * (`nonDigits`, `eightDigits`: SWAR in a u64): digit by digit, the tid and seconds were chains of dependent f64
 * multiply-adds, and cutting the scan at each column showed the tid, seconds and fraction at ~40 % of the header's
 * time (session 7: the scan of a 2M-line trace 218 → 160 ms, the same records). This module reads the lines of a plain chunk
 * (all ASCII, no tab, VT, FF or CR: lines.ts `plainChunk`) that the JavaScript side copied into its memory, and for
 * each line of the plainest layouts writes one fixed-size record of numbers: where the fields are, the tid, CPU and
 * timestamp digits, and which name, comm and payload it has seen before (by slot). It decides nothing else: the
 * JavaScript side (../fast-lane.ts `block`, through ../block-scanner.ts) makes the strings and events, in input
 * order, from the records.
 *
 * The layouts and the rules are those of the per-line fast lane (fast-lane.ts `line`), restricted as the JavaScript
 * block lane was: the first `[` opens the CPU column, the timestamp is `secs.frac`. Any other line stops the scan
 * there (`declined`): the JavaScript side hands that one line to `line` (then to the text parser) and calls `scan`
 * again for the rest. test/parse/block-lane.test.ts checks every record against the text path.
 *
 * Tables (all bounded, all in this module's memory):
 * - names: 256 slots, two ways per set, by a hash of the name's bytes; each name gets a new generation when it
 *   takes a slot, so a payload remembered under an older name of the slot never matches.
 * - comms: 1024 slots by tid; a slot holds the tid and the comm bytes.
 * - payload memo: 2^bits slots, direct-mapped by a hash of the payload's bytes and its name's generation. Only names
 *   the JavaScript side listed as typed (`addTyped`) are memoized: their payloads decode into events.
 * A record says when its name, comm or payload took a slot (`NEW`): the JavaScript side then makes that slot's
 * string or event again. Records are read in order, so each one sees the slots as the scanner left them at its line.
 */

// Memory layout (byte offsets). Exported as globals: the JavaScript side reads them, nothing is written twice.
/** Character classes: 256 × u16, written by the JavaScript side (fast-lane.ts CLS). */
export const CLS_OFF: i32 = 1024;
/** Typed names: up to TYPED_MAX entries of {len u32, bytes[TYPED_ENTRY - 4]}. */
export const TYPED_OFF: i32 = 2048;
export const TYPED_MAX: i32 = 32;
export const TYPED_ENTRY: i32 = 64;
const NAMES_OFF: i32 = TYPED_OFF + TYPED_MAX * TYPED_ENTRY;
export const NAME_SLOTS: i32 = 256;
/** Longest name kept in a slot; a longer one declines its line. */
const NAME_BYTES: i32 = 64;
/** {gen u32, len u32, memo u32, pad u32, bytes[64]} */
const NAME_ENTRY: i32 = 80;
const COMMS_OFF: i32 = NAMES_OFF + NAME_SLOTS * NAME_ENTRY;
export const COMM_SLOTS: i32 = 1024;
/** Longest comm kept in a slot; a longer one is made by the JavaScript side from the line (`COMM_NONE`). */
const COMM_BYTES: i32 = 56;
/** {tid f64, len u32, pad u32, bytes[56]} */
const COMM_ENTRY: i32 = 72;
const MEMO_OFF: i32 = COMMS_OFF + COMM_SLOTS * COMM_ENTRY;
/** Most memo slots (2^12); `init` may ask for fewer (tests force collisions with 1). */
const MEMO_MAX_BITS: i32 = 12;
/** Longest payload memoized (real kvm_exit payloads with a symbol are ~90 bytes; the hot ones ~45). */
export const MEMO_MAX_BYTES: i32 = 96;
/** {gen u32, len u32, pad 8, bytes[96]} */
const MEMO_ENTRY: i32 = 112;
/** Records: REC_MAX of REC_BYTES (layout: the R_* field indexes, in i32 units; f64 fields at 0 and 8). */
/** Payload memo slots at most (`init`'s bits are at most MEMO_MAX_BITS). */
export const MEMO_SLOTS: i32 = 1 << MEMO_MAX_BITS;
export const RECS_OFF: i32 = MEMO_OFF + (1 << MEMO_MAX_BITS) * MEMO_ENTRY;
export const REC_MAX: i32 = 8192;
export const REC_BYTES: i32 = 80;
/**
 * The chunk is copied here; the memory grows with it (the JavaScript side calls `memory.grow`). The 16 bytes before
 * it are a gap whose last byte is a newline (`init`): the tid's 8-byte read (`scan`) may start before the chunk, and
 * finds the line's start there as it would in the chunk.
 */
export const CHUNK_OFF: i32 = RECS_OFF + REC_MAX * REC_BYTES + 16;

/** Record fields (i32 index): tid and seconds are f64 at bytes 0 and 8. */
export const R_START: i32 = 4;
export const R_END: i32 = 5;
export const R_COMM_START: i32 = 6;
export const R_COMM_END: i32 = 7;
export const R_CPU: i32 = 8;
export const R_FRAC: i32 = 9;
export const R_DIGITS: i32 = 10;
export const R_TS_START: i32 = 11;
export const R_TS_END: i32 = 12;
export const R_NAME_START: i32 = 13;
export const R_NAME_END: i32 = 14;
export const R_PAYLOAD_START: i32 = 15;
export const R_PAYLOAD_END: i32 = 16;
export const R_NAME: i32 = 17;
export const R_COMM: i32 = 18;
export const R_MEMO: i32 = 19;
/** Flag on R_NAME, R_COMM, R_MEMO: the slot was (re)filled at this line. */
export const NEW: i32 = 1 << 30;
/** R_COMM when the comm is too long for a slot. */
export const COMM_NONE: i32 = -1;
/** R_MEMO when the payload is not memoized (untyped name, empty or too long). */
export const MEMO_NONE: i32 = -1;

// Character classes (fast-lane.ts; the JavaScript side writes the table).
const ID_START: u16 = 2;
const ID_CHAR: u16 = 4;
const NAME_CHAR: u16 = 8;
const FLAG0: u16 = 16;
const FLAG1: u16 = 32;
const FLAG2: u16 = 64;
const HEX_OR_DOT: u16 = 128;

const SP: i32 = 32;
const NL: i32 = 10;
const MAX_CPU_DIGITS: i32 = 5;
const MAX_TID_DIGITS: i32 = 15;
const MAX_SECS_DIGITS: i32 = 12;
const MAX_FRAC_DIGITS: i32 = 9;
const MAX_LINE: i32 = 1 << 20;

let memoBits: i32 = MEMO_MAX_BITS;
let typedCount: i32 = 0;
let nameGen: u32 = 0;
/**
 * Where the chunk being read starts: CHUNK_OFF, where the JavaScript side copies a chunk, or the start of a chunk a
 * reader read into this memory itself (`setChunk`). The byte before it is a newline (see CHUNK_OFF).
 */
let chunkAt: i32 = CHUNK_OFF;
/** Outputs of `scan`: where the next unscanned line starts (chunk-relative), and whether `scan` stopped at it. */
export let stopAt: i32 = 0;
export let declined: i32 = 0;

@inline function ld(p: i32): i32 {
  return <i32>load<u8>(<usize>p);
}

@inline function cls(c: i32): u16 {
  return load<u16>(<usize>(CLS_OFF + (c << 1)));
}


const ONES: u64 = 0x0101010101010101;
const HIGH: u64 = 0x8080808080808080;

/**
 * High bit of each byte of the 8 ASCII bytes `x` set where the byte is not a digit. Exact for ASCII (chunks are
 * plain): no byte sum carries into the next.
 */
@inline function nonDigits(x: u64): u64 {
  const d = x ^ (ONES * 0x30);
  return ((d + ONES * 0x76) | d) & HIGH;
}

/** The value of the 8 digit characters of `x` (first character in the low byte, the most significant digit). */
@inline function eightDigits(x: u64): u64 {
  x = ((x & (ONES * 0x0f)) * 2561) >> 8;
  x = ((x & 0x00ff00ff00ff00ff) * 6553601) >> 16;
  return ((x & 0x0000ffff0000ffff) * 42949672960001) >> 32;
}

/** The value of the first `n` (1-8) digit characters of `x`. */
@inline function leadDigits(x: u64, n: i32): u64 {
  return eightDigits(x << (<u64>(8 - n) << 3));
}

/** Where the last `digitRun` ended. */
let runEnd: i32 = 0;

/**
 * The value of the digits at `p` (at most `max`, 8 or more), read eight at a time; `runEnd` is where they end (`p`
 * when there is none). A longer run stops after `max` digits: the caller then finds a digit where its column ends.
 */
@inline function digitRun(p: i32, max: i32): f64 {
  const x = load<u64>(<usize>p);
  const nd = <i32>ctz(nonDigits(x)) >> 3;
  if (nd < 8) {
    runEnd = p + nd;
    return nd == 0 ? 0 : <f64>leadDigits(x, nd);
  }
  let v = <f64>eightDigits(x);
  let k = p + 8;
  let c = ld(k);
  while (c >= 48 && c <= 57 && k - p < max) {
    v = v * 10 + <f64>(c - 48);
    c = ld(++k);
  }
  runEnd = k;
  return v;
}

/** The first byte other than a space in [p, ...): 16 bytes per step; the caller knows one comes (a newline). */
@inline function skipSpaces(p: i32): i32 {
  const v = i8x16.splat(<i8>SP);
  let m = i8x16.bitmask(i8x16.ne(v128.load(<usize>p), v));
  while (m == 0) {
    p += 16;
    m = i8x16.bitmask(i8x16.ne(v128.load(<usize>p), v));
  }
  return p + <i32>ctz(m);
}

/** Forget every slot; `bits` memo slot bits (1..12). */
export function init(bits: i32): void {
  memoBits = bits < 0 ? 0 : bits > MEMO_MAX_BITS ? MEMO_MAX_BITS : bits;
  memory.fill(<usize>NAMES_OFF, 0, <usize>(RECS_OFF - NAMES_OFF));
  setChunk(CHUNK_OFF);
  typedCount = 0;
  nameGen = 0;
}

/**
 * The chunk to read starts at `at` (CHUNK_OFF, or a later area of this memory that a reader filled); the byte before
 * it, outside any chunk, becomes a newline.
 */
export function setChunk(at: i32): void {
  chunkAt = at;
  store<u8>(<usize>(at - 1), <u8>NL);
}

/** The JavaScript side wrote a typed name's length and bytes at TYPED_OFF + k·64; count it. */
export function addTyped(): void {
  if (typedCount < TYPED_MAX) typedCount++;
}

/** The first byte `c` in [p, e), or e: 16 bytes per step. */
@inline function find(p: i32, e: i32, c: i32): i32 {
  const v = i8x16.splat(<i8>c);
  while (p + 16 <= e) {
    const m = i8x16.bitmask(i8x16.eq(v128.load(<usize>p), v));
    if (m != 0) return p + <i32>ctz(m);
    p += 16;
  }
  while (p < e && ld(p) != c) p++;
  return p;
}

/**
 * Whether the `n` bytes of the chunk (at `chunkAt`) are plain (lines.ts `plainChunk`): all ASCII, with no tab, VT,
 * FF or CR. One pass, 16 bytes per step (JavaScript needed five: isAscii and a memchr per byte value).
 */
export function plain(n: i32): i32 {
  let p = chunkAt;
  const e = chunkAt + n;
  const nine = i8x16.splat(9);
  const four = i8x16.splat(4);
  const nl = i8x16.splat(<i8>NL);
  let acc = i8x16.splat(0);
  while (p + 16 <= e) {
    const v = v128.load(<usize>p);
    // Lanes 9-13 other than the newline become 0xff; bytes ≥ 0x80 have their sign bit set already.
    const ws = v128.andnot(i8x16.le_u(i8x16.sub(v, nine), four), i8x16.eq(v, nl));
    acc = v128.or(acc, v128.or(ws, v));
    p += 16;
  }
  if (i8x16.bitmask(acc) != 0) return 0;
  for (; p < e; p++) {
    const c = ld(p);
    if (c >= 0x80 || (c >= 9 && c <= 13 && c != NL)) return 0;
  }
  return 1;
}

/** The low `n` bytes (0-7) of a u64. */
@inline function low(x: u64, n: i32): u64 {
  return x & ((<u64>1 << (<u64>n << 3)) - 1);
}

/**
 * Bytes [a, a+n) equal bytes [b, b+n)? Eight at a time; the last 1-7 are read as a whole word and masked (every
 * byte range here is followed by more memory: a line goes on to its newline, the chunk copy has 64 bytes of slack,
 * and every table entry has room past its longest key).
 */
@inline function same(a: i32, b: i32, n: i32): bool {
  let k: i32 = 0;
  for (; k + 8 <= n; k += 8) if (load<u64>(<usize>(a + k)) != load<u64>(<usize>(b + k))) return false;
  return k == n || low(load<u64>(<usize>(a + k)) ^ load<u64>(<usize>(b + k)), n - k) == 0;
}

/** Hash of bytes [p, e) (the same reads as `same`). */
function hashBytes(p: i32, e: i32, seed: u32): u32 {
  let h: u64 = (<u64>seed + 1) * 0x9e3779b97f4a7c15;
  for (; p + 8 <= e; p += 8) {
    h = (h ^ load<u64>(<usize>p)) * 0x100000001b3;
    h ^= h >> 29;
  }
  if (p < e) h = (h ^ low(load<u64>(<usize>p), e - p)) * 0x100000001b3;
  h ^= h >> 32;
  return <u32>h;
}

/** The end of the ftrace flags column at k (fast-lane.ts `flagsEnd`), or -1. */
function flagsEnd(k: i32, e: i32): i32 {
  let f = k;
  while (f < e && ld(f) != SP) f++;
  const n = f - k;
  if (n < 4 || n > 5 || (cls(ld(k + 1)) & FLAG1) == 0 || (cls(ld(k + 2)) & FLAG2) == 0) return -1;
  if ((cls(ld(k + 3)) & HEX_OR_DOT) == 0 || (n == 5 && (cls(ld(k + 4)) & HEX_OR_DOT) == 0)) return -1;
  return f;
}

function isTyped(s: i32, n: i32): u32 {
  for (let k: i32 = 0; k < typedCount; k++) {
    const t = TYPED_OFF + k * TYPED_ENTRY;
    if (load<u32>(<usize>t) == <u32>n && same(t + 4, s, n)) return 1;
  }
  return 0;
}

/** The slot of name [s, e) (| NEW when it took one), or -1 when its bytes are not a name or it is too long. */
function nameSlot(s: i32, e: i32): i32 {
  const n = e - s;
  const h = hashBytes(s, e, <u32>n);
  const slot = <i32>(h & <u32>(NAME_SLOTS - 1));
  let p = NAMES_OFF + slot * NAME_ENTRY;
  if (load<u32>(<usize>p) != 0 && load<u32>(<usize>(p + 4)) == <u32>n && same(p + 16, s, n)) return slot;
  const other = slot ^ 1;
  const q = NAMES_OFF + other * NAME_ENTRY;
  if (load<u32>(<usize>q) != 0 && load<u32>(<usize>(q + 4)) == <u32>n && same(q + 16, s, n)) return other;
  if (n > NAME_BYTES) return -1;
  for (let k = s; k < e; k++) if ((cls(ld(k)) & NAME_CHAR) == 0) return -1;
  // Fill an empty way, else the neighbour's (the slot's own name was looked up more recently).
  let at = slot;
  if (load<u32>(<usize>p) != 0) {
    at = other;
    p = q;
  }
  store<u32>(<usize>p, ++nameGen);
  store<u32>(<usize>(p + 4), <u32>n);
  store<u32>(<usize>(p + 8), isTyped(s, n));
  memory.copy(<usize>(p + 16), <usize>s, <usize>n);
  return at | NEW;
}

/** The slot of comm [s, e) of thread `tid` (| NEW when it took it), or COMM_NONE. */
function commSlot(tid: f64, s: i32, e: i32): i32 {
  const n = e - s;
  if (n > COMM_BYTES) return COMM_NONE;
  const slot = <i32>(<i64>tid) & (COMM_SLOTS - 1);
  const p = COMMS_OFF + slot * COMM_ENTRY;
  if (load<f64>(<usize>p) == tid && load<u32>(<usize>(p + 8)) == <u32>(n + 1) && same(p + 16, s, n)) return slot;
  store<f64>(<usize>p, tid);
  store<u32>(<usize>(p + 8), <u32>(n + 1));
  memory.copy(<usize>(p + 16), <usize>s, <usize>n);
  return slot | NEW;
}

/** The memo slot of payload [s, e) under name generation `gen` (| NEW when it took the slot). */
function memoSlot(gen: u32, s: i32, e: i32): i32 {
  const n = e - s;
  const h = hashBytes(s, e, gen);
  const slot = <i32>((h ^ (h >> 16)) & ((1 << memoBits) - 1));
  const p = MEMO_OFF + slot * MEMO_ENTRY;
  if (load<u32>(<usize>p) == gen && load<u32>(<usize>(p + 4)) == <u32>n && same(p + 16, s, n)) return slot;
  store<u32>(<usize>p, gen);
  store<u32>(<usize>(p + 4), <u32>n);
  memory.copy(<usize>(p + 16), <usize>s, <usize>n);
  return slot | NEW;
}

/**
 * Scan the lines of the chunk (at `chunkAt`) from `start` up to `limit` (chunk-relative; `limit` is just past a
 * newline), at most REC_MAX of them. Returns the number of records; `stopAt` is where the next line starts, and
 * `declined` says the scan stopped at a line it does not take. `perf`: the perf script layout.
 */
export function scan(start: i32, limit: i32, perf: i32): i32 {
  const base = chunkAt;
  let s = base + start;
  const lim = base + limit;
  let n: i32 = 0;
  declined = 1;
  while (s < lim) {
    if (n == REC_MAX) {
      declined = 0;
      break;
    }
    // A newline is at lim - 1 at the latest, so every scan below stops at e (the newline is in no class).
    const e = find(s, lim, NL);
    if (e - s > MAX_LINE) break;
    let i = s;
    while (ld(i) == SP) i++;
    const cs = i;
    const lb = find(i, e, 0x5b);
    if (lb >= e) break;
    // CPU: 1-5 digits, then "]".
    let k = lb + 1;
    let x = load<u64>(<usize>k);
    let nd = <i32>ctz(nonDigits(x)) >> 3;
    if (nd == 0 || nd > MAX_CPU_DIGITS || ld(k + nd) != 0x5d) break;
    const cpu = <i32>leadDigits(x, nd);
    const rb = k + nd;
    let c: i32;
    // Task column, right to left from "[".
    let j = lb - 1;
    while (j >= s && ld(j) == SP) j--;
    const tidEnd = j + 1;
    // The tid: the digits before tidEnd, read as the 8 bytes that end there (the last digit in the high byte).
    x = load<u64>(<usize>(tidEnd - 8));
    nd = <i32>clz(nonDigits(x)) >> 3;
    let tid: f64 = 0;
    if (nd < 8 && tidEnd - nd >= s) {
      if (nd == 0) break;
      j = tidEnd - nd - 1;
      tid = <f64>eightDigits(x & ~((<u64>1 << (<u64>(8 - nd) << 3)) - 1));
    } else {
      while (j >= s && (c = ld(j)) >= 48 && c <= 57) j--;
      if (j == tidEnd - 1 || tidEnd - j - 1 > MAX_TID_DIGITS) break;
      for (let q = j + 1; q < tidEnd; q++) tid = tid * 10 + <f64>(ld(q) - 48);
    }
    let ce: i32;
    if (perf != 0) {
      if (j < s || ld(j) != SP) break;
      ce = j;
      while (ce > cs && ld(ce - 1) == SP) ce--;
      if (ce <= cs) break;
    } else {
      if (j < cs || ld(j) != 0x2d) break;
      ce = j;
    }
    // Flags column (ftrace), then `secs.frac:`.
    k = rb + 1;
    if (ld(k) != SP) break;
    while (ld(k) == SP) k++;
    if (perf == 0 && (cls(ld(k)) & FLAG0) != 0) {
      k = flagsEnd(k, e);
      if (k < 0) break;
      while (ld(k) == SP) k++;
    }
    // `secs.frac:`: secs 1-12 digits, frac 1-9.
    const tss = k;
    const hi = digitRun(k, MAX_SECS_DIGITS);
    if (runEnd == k) break;
    k = runEnd;
    if (ld(k) != 0x2e) break;
    const fs = ++k;
    const frac = <i32>digitRun(k, MAX_FRAC_DIGITS);
    if (runEnd == k) break;
    k = runEnd;
    const digits = k - fs;
    if (ld(k) != 0x3a) break;
    const tse = k;
    if (ld(++k) != SP) break;
    k = skipSpaces(k);
    // Event name ([sys:]name), then ':'.
    if ((cls(ld(k)) & ID_START) == 0) break;
    let ns = k;
    let ne = find(k, e, 0x3a);
    if (ne >= e) break;
    if ((cls(ld(ne + 1)) & ID_START) != 0) {
      // `sys:` prefix (perf), an identifier (no `.`); the name follows.
      let ok = true;
      for (let q = ns; q < ne; q++) {
        if ((cls(ld(q)) & ID_CHAR) == 0) {
          ok = false;
          break;
        }
      }
      if (!ok) break;
      ns = ne + 1;
      ne = find(ns, e, 0x3a);
      if (ne >= e) break;
    }
    k = ne + 1;
    if (k < e && ld(k) != SP) break;
    const ps = k < e ? skipSpaces(k) : k;
    let pe = e;
    while (pe > ps && ld(pe - 1) == SP) pe--;
    const name = nameSlot(ns, ne);
    if (name < 0) break;
    const np = NAMES_OFF + (name & (NAME_SLOTS - 1)) * NAME_ENTRY;
    const comm = commSlot(tid, cs, ce);
    let memo: i32 = MEMO_NONE;
    if (load<u32>(<usize>(np + 8)) != 0 && pe > ps && pe - ps <= MEMO_MAX_BYTES) memo = memoSlot(load<u32>(<usize>np), ps, pe);

    const r = RECS_OFF + n * REC_BYTES;
    store<f64>(<usize>r, tid);
    store<f64>(<usize>(r + 8), hi);
    store<i32>(<usize>(r + R_START * 4), s - base);
    store<i32>(<usize>(r + R_END * 4), e - base);
    store<i32>(<usize>(r + R_COMM_START * 4), cs - base);
    store<i32>(<usize>(r + R_COMM_END * 4), ce - base);
    store<i32>(<usize>(r + R_CPU * 4), cpu);
    store<i32>(<usize>(r + R_FRAC * 4), frac);
    store<i32>(<usize>(r + R_DIGITS * 4), digits);
    store<i32>(<usize>(r + R_TS_START * 4), tss - base);
    store<i32>(<usize>(r + R_TS_END * 4), tse - base);
    store<i32>(<usize>(r + R_NAME_START * 4), ns - base);
    store<i32>(<usize>(r + R_NAME_END * 4), ne - base);
    store<i32>(<usize>(r + R_PAYLOAD_START * 4), ps - base);
    store<i32>(<usize>(r + R_PAYLOAD_END * 4), pe - base);
    store<i32>(<usize>(r + R_NAME * 4), name);
    store<i32>(<usize>(r + R_COMM * 4), comm);
    store<i32>(<usize>(r + R_MEMO * 4), memo);
    n++;
    s = e + 1;
  }
  stopAt = s - base;
  if (s >= lim) declined = 0;
  return n;
}
