/**
 * The JavaScript side of the block lane's WebAssembly scanner (scan/block.ts, built into dist/parse/scan.wasm):
 * loads the module once per thread, gives each fast lane its own instance (its own name, comm and payload tables),
 * copies a plain chunk into the instance's memory (unless a reader read it there: `areas`) and exposes the records
 * `scan` writes as typed-array views.
 *
 * When WebAssembly (with SIMD) is not available the lane has no scanner and every line takes the per-line fast lane
 * (fast-lane.ts `line`): slower, never different.
 */
import { readFileSync } from 'node:fs';

/** The parts of the WebAssembly API used here (the ES2022 lib this project compiles against does not declare it). */
interface WasmGlobal {
  value: number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface ScanExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  CLS_OFF: WasmGlobal;
  TYPED_OFF: WasmGlobal;
  TYPED_MAX: WasmGlobal;
  TYPED_ENTRY: WasmGlobal;
  RECS_OFF: WasmGlobal;
  NAME_SLOTS: WasmGlobal;
  COMM_SLOTS: WasmGlobal;
  MEMO_SLOTS: WasmGlobal;
  REC_BYTES: WasmGlobal;
  CHUNK_OFF: WasmGlobal;
  stopAt: WasmGlobal;
  declined: WasmGlobal;
  init(bits: number): void;
  setChunk(at: number): void;
  addTyped(): void;
  scan(start: number, limit: number, perf: number): number;
  plain(n: number): number;
}

/** Record fields, in i32 units (scan/block.ts R_*; tid and seconds are f64 at i32 0 and 2). */
export const R_START = 4;
export const R_END = 5;
export const R_COMM_START = 6;
export const R_COMM_END = 7;
export const R_CPU = 8;
export const R_FRAC = 9;
export const R_DIGITS = 10;
export const R_TS_START = 11;
export const R_TS_END = 12;
export const R_NAME_START = 13;
export const R_NAME_END = 14;
export const R_PAYLOAD_START = 15;
export const R_PAYLOAD_END = 16;
export const R_NAME = 17;
export const R_COMM = 18;
export const R_MEMO = 19;
/** Flag on R_NAME, R_COMM, R_MEMO: the slot was (re)filled at this line; the rest of the value is the slot. */
export const NEW = 1 << 30;
export const SLOT = NEW - 1;
/** R_COMM: too long for a slot. R_MEMO: not memoized. */
export const NONE = -1;

let compiled: object | null | undefined;

function scanModule(): object | null {
  if (compiled !== undefined) return compiled;
  if (wasm === undefined) return (compiled = null);
  // Under the test runner this module is TypeScript source; the scanner is the build's (npm test builds first).
  const url = import.meta.url.endsWith('.ts') ? new URL('../../dist/parse/scan.wasm', import.meta.url) : new URL('./scan.wasm', import.meta.url);
  try {
    compiled = new wasm.Module(readFileSync(url));
  } catch {
    compiled = null;
  }
  return compiled;
}

export class BlockScanner {
  private readonly x: ScanExports;
  /** Views of the instance memory (made by `views`, again when it grows). */
  i32!: Int32Array;
  f64!: Float64Array;
  private u8!: Uint8Array;
  /** The record area's start and a record's size, in i32 units. */
  readonly recs: number;
  readonly recWords: number;
  private readonly chunkOff: number;
  /** How many slots the records' R_NAME, R_COMM and R_MEMO index (the module's table sizes). */
  readonly nameSlots: number;
  readonly commSlots: number;
  readonly memoSlots: number;
  /** The chunk in memory: the splitter's push number it came with (lines.ts `plainChunk.seq`). */
  private loadedSeq = -1;

  /** A scanner, or null when WebAssembly is not available. `typed`: the names whose payloads are memoized. */
  static make(cls: Uint16Array, typed: readonly Uint8Array[], memoBits?: number): BlockScanner | null {
    const m = scanModule();
    if (m === null) return null;
    let x: ScanExports;
    try {
      x = new wasm!.Instance(m, {}).exports as ScanExports;
    } catch {
      return null;
    }
    return new BlockScanner(x, cls, typed, memoBits);
  }

  private constructor(x: ScanExports, cls: Uint16Array, typed: readonly Uint8Array[], memoBits = 12) {
    this.x = x;
    x.init(memoBits);
    this.views();
    new Uint16Array(x.memory.buffer, x.CLS_OFF.value, 256).set(cls);
    const entry = x.TYPED_ENTRY.value;
    if (typed.length > x.TYPED_MAX.value || typed.some((n) => n.length > entry - 4)) throw new Error('block scanner: too many or too long typed names');
    const dv = new DataView(x.memory.buffer);
    typed.forEach((name, k) => {
      const at = x.TYPED_OFF.value + k * entry;
      dv.setUint32(at, name.length, true);
      this.u8.set(name, at + 4);
      x.addTyped();
    });
    this.recs = x.RECS_OFF.value >> 2;
    this.recWords = x.REC_BYTES.value >> 2;
    this.chunkOff = x.CHUNK_OFF.value;
    this.nameSlots = x.NAME_SLOTS.value;
    this.commSlots = x.COMM_SLOTS.value;
    this.memoSlots = x.MEMO_SLOTS.value;
  }

  /** (Re)make the views of the instance memory (its buffer is replaced when it grows). */
  private views(): void {
    const buf = this.x.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.i32 = new Int32Array(buf);
    this.f64 = new Float64Array(buf);
  }

  /** The areas `areas` handed out, and their size. */
  private areaPair: [Buffer, Buffer] | null = null;

  /**
   * Two areas of this instance's memory, `size` bytes each, for a reader to read chunks into in turn: `load` then
   * finds such a chunk in place and copies nothing (a 1 MiB copy per chunk was ~3 % of each thread's time on the
   * 10M-line trace). They lie after the place `load` copies other chunks to, with room there for `size` bytes: a
   * chunk read elsewhere may come while a read into an area is in flight (the reader's first chunks, before the
   * block lane was ready). Each area has a 16-byte gap before it and 64 bytes after it (see `load`). The memory
   * grows here, before the views are made, and not again while chunks no larger than `size` come (a growth would
   * detach the views: they would read as empty).
   */
  areas(size: number): [Buffer, Buffer] {
    const mem = this.x.memory;
    const pair = this.areaPair;
    if (pair !== null && pair[0].length === size && pair[0].buffer === mem.buffer) return pair;
    const stride = (size + 64 + 16 + 15) & ~15;
    const first = this.chunkOff + stride;
    const need = first + 2 * stride;
    if (need > mem.buffer.byteLength) {
      mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
      this.views();
    }
    return (this.areaPair = [Buffer.from(mem.buffer, first, size), Buffer.from(mem.buffer, first + stride, size)]);
  }

  /** Bytes [0, limit) of chunk number `seq` become the chunk to scan: copied into memory unless they are there. */
  load(b: Uint8Array, limit: number, seq: number): void {
    if (seq === this.loadedSeq) return;
    this.loadedSeq = seq;
    const mem = this.x.memory;
    if (b.buffer === mem.buffer) {
      // Read into one of `areas` (or a part of one from its start).
      this.x.setChunk(b.byteOffset);
      return;
    }
    // 64 bytes after the copy: the 16-byte searches may read past the last newline (never use what they read).
    const need = this.chunkOff + limit + 64;
    if (need > mem.buffer.byteLength) {
      mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
      this.views();
    }
    this.u8.set(b.subarray(0, limit), this.chunkOff);
    this.x.setChunk(this.chunkOff);
  }

  /**
   * Copy all of chunk number `seq` into memory (`load` then finds it there) and say whether it is plain (lines.ts
   * `plainChunk`), checked in the same memory in one pass.
   */
  loadPlain(b: Buffer, seq: number): boolean {
    this.load(b, b.length, seq);
    return this.x.plain(b.length) !== 0;
  }

  /** Scan from `start` to `limit` (see scan/block.ts); returns the number of records. */
  scan(start: number, limit: number, perf: boolean): number {
    return this.x.scan(start, limit, perf ? 1 : 0);
  }

  /** Where the next unscanned line starts. */
  get stopAt(): number {
    return this.x.stopAt.value;
  }

  /** Whether the last scan stopped at a line it does not take. */
  get declined(): boolean {
    return this.x.declined.value !== 0;
  }
}
