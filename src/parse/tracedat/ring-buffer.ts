/**
 * Per-CPU ring-buffer data: pages of the kernel's ftrace ring buffer as trace-cmd saved them, decoded into a
 * stream of records (payload position, timestamp, lost-event marks).
 *
 * Page (include/linux/ring_buffer.h, kernel/trace/ring_buffer.c; layout from the file's header_page): u64 time
 * stamp of the page, a `long` commit word, then data. Commit bits 0-26 = bytes of data used (kbuffer COMMIT_MASK);
 * bit 31 (RB_MISSED_EVENTS) = events were lost before this page; bit 30 (RB_MISSED_STORED) = their count is
 * stored as a `long` right after the data.
 * Event header (header_event): u32 with type_len (5 bits) and time_delta (27 bits) — in a little-endian file
 * type_len is the low 5 bits, in a big-endian one the high 5 bits (C bit-field order).
 *   type_len 1..28  data of type_len*4 bytes follows;
 *   type_len 0      u32 array[0] = data length + 4, data follows (the step is rounded up to 4 bytes);
 *   29 PADDING      time_delta 0: unused rest of the page; else a discarded event, array[0] = its length
 *                   after the header word;
 *   30 TIME_EXTEND  delta = array[0] << 27 | time_delta (8 bytes);
 *   31 TIME_STAMP   absolute time stamp array[0] << 27 | time_delta, top 5 bits taken from the current time (8 bytes).
 * Every record's time = page time stamp + the deltas before it, including those of padding records (as
 * libtraceevent's kbuffer and the kernel's own buffer checker add them).
 * Compressed data (v7): chunks of whole pages, see compress.ts.
 * Time conversion (trace-cmd v3.1.6 trace-input.c timestamp_calc): with a TSC2NSEC option,
 * ns = ts * mult >> shift — computed exactly here, which equals trace-cmd's mul_u64_u32_shr for every result below
 * 2^64 ns — then trace-cmd adds the DATE/OFFSET options.
 *
 * Verified against kernel ring_buffer.h/ring_buffer.c (rb_event_length, rb_update_read_stamp, ring_buffer_read_page
 * RB_MISSED_* handling) and libtraceevent src/kbuffer-parse.c (translate_data, kbuffer_load_subbuffer).
 *
 * Hot path notes: records are found with Buffer reads on a block of pages held in memory; times are Numbers
 * relative to an anchor (BigInt work only once per page, at absolute time stamps, and when a delta sum would leave
 * the exactly representable range).
 */
import { type Compression, decompressBlock } from './compress.js';
import type { PageHeaderLayout } from './format.js';
import type { FileSource } from './source.js';

/** Upper 5 bits of a 64-bit time stamp: not stored in TIME_STAMP records (kbuffer TS_MSB). */
const TS_MSB = 0xf8n << 56n;
const TWO32 = 4294967296;

/** Raw ticks → stream unit, and the epoch all stream times are relative to. */
export class TimeBase {
  readonly mult: number;
  readonly shift: number;
  readonly multBig: bigint;
  readonly shiftBig: bigint;
  readonly remMask: bigint;
  readonly pow2: number;
  /** Largest tick offset from an anchor for which `rem + off * mult` stays below 2^53 (or 2^52 without mult). */
  readonly offLimit: number;
  /** Per-record BigInt path (shift > 32: remainders would not be exact Numbers). */
  readonly slow: boolean;
  /** Epoch in converted units; stream times are `converted - epoch`. */
  epoch = 0n;

  constructor(mult: number, shift: number) {
    this.mult = mult;
    this.shift = shift;
    this.multBig = BigInt(mult);
    this.shiftBig = BigInt(shift);
    this.remMask = (1n << this.shiftBig) - 1n;
    this.pow2 = 2 ** shift;
    this.slow = mult !== 0 && shift > 32;
    this.offLimit = mult !== 0 ? Math.floor((2 ** 53 - TWO32) / mult) : 2 ** 52;
  }

  conv(raw: bigint): bigint {
    return this.mult === 0 ? raw : (raw * this.multBig) >> this.shiftBig;
  }
}

export interface StreamSpec {
  src: FileSource;
  cpu: number;
  /** Tie-break for equal times: trace-cmd takes the buffer listed first, then the lowest CPU. */
  order: number;
  instance: string;
  offset: number;
  size: number;
  pageSize: number;
  compression: Compression | null;
  le: boolean;
  page: PageHeaderLayout;
  time: TimeBase;
}

/** Pages read per block from uncompressed data. */
const PAGES_PER_BLOCK = 64;

/** step() results */
export const HAVE_RECORD = 1;
export const END = 0;
export const NEED_DATA = -1;

export class CpuStream {
  readonly cpu: number;
  readonly order: number;
  readonly instance: string;
  readonly label: string;
  private readonly spec: StreamSpec;
  private readonly le: boolean;
  private readonly pageSize: number;
  private readonly dataOff: number;
  private readonly tsOff: number;
  private readonly commitOff: number;
  private readonly longSize: number;
  private readonly time: TimeBase;

  // ---- data block
  buf: Buffer = Buffer.alloc(0);
  private bufLen = 0;
  private bufFileOff = 0;
  private bufCompressed = false;
  private fileNext: number;
  private readonly fileEnd: number;
  private chunksLeft = -1;
  private exhausted = false;
  /** Uncompressed data: the next block's read (into `spare`), in flight while `buf` is decoded (`readAhead`). */
  private ahead: Promise<Buffer> | null = null;
  private spare: Buffer = Buffer.alloc(0);

  // ---- page
  private pageAt = -1;
  private pos = 0;
  private end = 0;

  // ---- current record
  /** Time of the current record in the stream unit, relative to `time.epoch`. */
  ts = 0;
  recOff = 0;
  recLen = 0;
  /** Lost events before the current record: -2 none, -1 unknown count, else the count. */
  lost = -2;
  private lostPending = -2;

  // ---- time anchor: raw time = anchorRaw + off; converted = anchorRel + floor((anchorRem + off*mult) / 2^shift)
  private anchorRaw = 0n;
  private off = 0;
  private anchorRel = 0;
  private anchorRem = 0;

  constructor(spec: StreamSpec) {
    this.spec = spec;
    this.cpu = spec.cpu;
    this.order = spec.order;
    this.instance = spec.instance;
    this.label = `${spec.instance === '' ? '' : `buffer "${spec.instance}" `}CPU ${spec.cpu} data`;
    this.le = spec.le;
    this.pageSize = spec.pageSize;
    this.dataOff = spec.page.dataOffset;
    this.tsOff = spec.page.timestampOffset;
    this.commitOff = spec.page.commitOffset;
    this.longSize = spec.page.commitSize;
    this.time = spec.time;
    this.fileNext = spec.offset;
    // Compressed data: u32 chunk count, then chunks; the recorded size counts the chunks only (trace-cmd v3.1.6
    // tracecmd_compress_copy_from returns the bytes written after the count).
    const extra = spec.compression !== null && spec.size > 0 ? 4 : 0;
    this.fileEnd = spec.offset + spec.size + extra;
    spec.src.check(spec.offset, spec.size + extra, this.label);
    if (spec.size === 0) this.exhausted = true;
  }

  private fail(at: number, detail: string): never {
    if (this.bufCompressed) {
      return this.spec.src.fail(this.label, this.bufFileOff, `byte 0x${at.toString(16)} of the decompressed chunk: ${detail}`);
    }
    return this.spec.src.fail(this.label, this.bufFileOff + at, detail);
  }

  /** File offset of the current record (of its compressed chunk when compressed), for diagnostics. */
  recordFileOffset(): number {
    return this.bufCompressed ? this.bufFileOff : this.bufFileOff + this.recOff;
  }

  /** Absolute raw time of the current position (BigInt). */
  currentRaw(): bigint {
    return this.anchorRaw + BigInt(this.off);
  }

  /** Re-anchor at the current position and recompute the current record's time (after the epoch changed). */
  reanchor(): void {
    this.setAnchor(this.anchorRaw + BigInt(this.off));
    this.ts = this.timeNow();
  }

  private setAnchor(raw: bigint): void {
    const t = this.time;
    this.anchorRaw = raw;
    this.off = 0;
    if (t.mult === 0) {
      this.anchorRel = Number(raw - t.epoch);
      this.anchorRem = 0;
    } else if (!t.slow) {
      const p = raw * t.multBig;
      this.anchorRel = Number((p >> t.shiftBig) - t.epoch);
      this.anchorRem = Number(p & t.remMask);
    }
  }

  private timeNow(): number {
    const t = this.time;
    if (t.mult === 0) return this.anchorRel + this.off;
    if (t.slow) return Number(t.conv(this.anchorRaw + BigInt(this.off)) - t.epoch);
    return this.anchorRel + Math.floor((this.anchorRem + this.off * t.mult) / t.pow2);
  }

  /** Load the next block of pages. Returns false when the CPU's data is exhausted. */
  async fill(): Promise<boolean> {
    if (this.exhausted) return false;
    const src = this.spec.src;
    if (this.spec.compression === null) {
      const left = this.fileEnd - this.fileNext;
      if (left <= 0) {
        this.exhausted = true;
        return false;
      }
      const want = Math.min(left, this.pageSize * PAGES_PER_BLOCK);
      if (this.ahead !== null) {
        // The read started when the previous block was loaded: this block is in `spare`; that one's buffer is free.
        const done = await this.ahead;
        this.ahead = null;
        this.spare = this.buf;
        this.buf = done;
      } else {
        if (this.buf.length < want) this.buf = Buffer.allocUnsafe(this.pageSize * PAGES_PER_BLOCK);
        await src.read(this.fileNext, want, this.label, this.buf);
      }
      this.bufFileOff = this.fileNext;
      this.bufLen = want;
      this.bufCompressed = false;
      this.fileNext += want;
      this.readAhead();
    } else {
      if (this.chunksLeft < 0) {
        if (this.fileEnd - this.fileNext < 4) src.fail(this.label, this.fileNext, 'compressed data has no chunk count');
        const h = await src.read(this.fileNext, 4, this.label);
        this.chunksLeft = this.le ? h.readUInt32LE(0) : h.readUInt32BE(0);
        this.fileNext += 4;
      }
      if (this.chunksLeft === 0) {
        this.exhausted = true;
        return false;
      }
      if (this.fileEnd - this.fileNext < 8) {
        src.fail(this.label, this.fileNext, `${this.chunksLeft} more compressed chunks announced but the CPU data ends`);
      }
      const at = this.fileNext;
      const h = await src.read(at, 8, this.label);
      const csize = this.le ? h.readUInt32LE(0) : h.readUInt32BE(0);
      const usize = this.le ? h.readUInt32LE(4) : h.readUInt32BE(4);
      if (csize > this.fileEnd - at - 8) {
        src.fail(this.label, at, `compressed chunk of ${csize} bytes runs past the CPU data (${this.fileEnd - at - 8} left)`);
      }
      const z = await src.read(at + 8, csize, this.label);
      this.buf = decompressBlock(this.spec.compression, z, usize, src.fail, this.label, at);
      this.bufLen = this.buf.length;
      this.bufFileOff = at;
      this.bufCompressed = true;
      this.fileNext = at + 8 + csize;
      this.chunksLeft--;
    }
    this.pageAt = -1;
    this.pos = 0;
    this.end = 0;
    return true;
  }

  /**
   * Uncompressed data: start reading the block after the one just loaded into the spare buffer, so that it is read
   * while this one is decoded (awaiting each block's read left the thread idle for ~15 % of a 2M-event analyze;
   * read ahead, the bench's 2M-event trace.dat analyzed −0.21 and −0.24 s median in 8 and 10 interleaved pairs).
   * A failed read is reported when its block is needed, as before; until then its rejection counts as handled.
   */
  private readAhead(): void {
    const left = this.fileEnd - this.fileNext;
    if (left <= 0) return;
    const want = Math.min(left, this.pageSize * PAGES_PER_BLOCK);
    if (this.spare.length < want) this.spare = Buffer.allocUnsafe(this.pageSize * PAGES_PER_BLOCK);
    const p = this.spec.src.read(this.fileNext, want, this.label, this.spare);
    p.catch(() => undefined);
    this.ahead = p;
  }

  private loadPage(at: number): void {
    const b = this.buf;
    const avail = Math.min(this.pageSize, this.bufLen - at);
    if (avail < this.dataOff) this.fail(at, `page header needs ${this.dataOff} bytes, only ${avail} remain`);
    const le = this.le;
    const tsLo = le ? b.readUInt32LE(at + this.tsOff) : b.readUInt32BE(at + this.tsOff + 4);
    const tsHi = le ? b.readUInt32LE(at + this.tsOff + 4) : b.readUInt32BE(at + this.tsOff);
    // The low 32 bits of the `long` commit word hold the size and the flags.
    const cw =
      this.longSize === 8 && !le ? b.readUInt32BE(at + this.commitOff + 4) : le ? b.readUInt32LE(at + this.commitOff) : b.readUInt32BE(at + this.commitOff);
    const size = cw & 0x07ffffff;
    const data = at + this.dataOff;
    if (size > avail - this.dataOff) {
      this.fail(at + this.commitOff, `page commit size ${size} is larger than the page data (${avail - this.dataOff} bytes)`);
    }
    if ((cw & 0x80000000) !== 0) {
      let count = -1;
      if ((cw & 0x40000000) !== 0) {
        const p = data + size;
        if (p + this.longSize > at + avail) this.fail(p, 'missed-events count is stored past the page end');
        if (this.longSize === 8) {
          const lo = le ? b.readUInt32LE(p) : b.readUInt32BE(p + 4);
          const hi = le ? b.readUInt32LE(p + 4) : b.readUInt32BE(p);
          count = hi * TWO32 + lo;
        } else {
          count = le ? b.readUInt32LE(p) : b.readUInt32BE(p);
        }
      }
      const prev = this.lostPending;
      this.lostPending = prev === -2 ? count : prev === -1 || count === -1 ? -1 : prev + count;
    }
    this.pageAt = at;
    this.pos = data;
    this.end = data + size;
    const raw = tsHi < 0x200000 ? BigInt(tsHi * TWO32 + tsLo) : (BigInt(tsHi) << 32n) | BigInt(tsLo);
    this.setAnchor(raw);
  }

  /**
   * Advance to the next data record. Returns HAVE_RECORD (ts/recOff/recLen/lost set), END, or NEED_DATA (call
   * `fill()` and then `step()` again).
   */
  step(): number {
    const b = this.buf;
    const le = this.le;
    for (;;) {
      const pos = this.pos;
      if (pos < this.end) {
        if (pos + 4 > this.end) this.fail(pos, 'event header runs past the page commit size');
        const w = le ? b.readUInt32LE(pos) : b.readUInt32BE(pos);
        const typeLen = le ? w & 31 : w >>> 27;
        const delta = le ? w >>> 5 : w & 0x7ffffff;
        if (typeLen !== 0 && typeLen <= 28) {
          const next = pos + 4 + typeLen * 4;
          if (next > this.end) this.fail(pos, `event of ${typeLen * 4} bytes runs past the page commit size`);
          this.pos = next;
          this.off += delta;
          if (this.off > this.time.offLimit) this.setAnchor(this.anchorRaw + BigInt(this.off));
          this.recOff = pos + 4;
          this.recLen = typeLen * 4;
          return this.found();
        }
        if (pos + 8 > this.end) {
          if (typeLen === 29 && delta === 0) {
            this.pos = this.end;
            continue;
          }
          this.fail(pos, `event header (type ${typeLen}) runs past the page commit size`);
        }
        const a0 = le ? b.readUInt32LE(pos + 4) : b.readUInt32BE(pos + 4);
        switch (typeLen) {
          case 0: {
            if (a0 < 4) this.fail(pos, `event length word ${a0} is too small`);
            const len = a0 - 4;
            const next = pos + 8 + ((len + 3) & ~3);
            if (next > this.end || next < pos) this.fail(pos, `event of ${len} bytes runs past the page commit size`);
            this.pos = next;
            this.off += delta;
            if (this.off > this.time.offLimit) this.setAnchor(this.anchorRaw + BigInt(this.off));
            this.recOff = pos + 8;
            this.recLen = len;
            return this.found();
          }
          case 29: {
            if (delta === 0) {
              // Null padding: the rest of the page is unused.
              this.pos = this.end;
              continue;
            }
            const next = pos + 4 + a0;
            if (next > this.end || a0 < 4) this.fail(pos, `padding of ${a0} bytes runs past the page commit size`);
            this.pos = next;
            this.off += delta;
            if (this.off > this.time.offLimit) this.setAnchor(this.anchorRaw + BigInt(this.off));
            continue;
          }
          case 30: {
            this.pos = pos + 8;
            this.off += a0 * 134217728 + delta;
            if (this.off > this.time.offLimit) this.setAnchor(this.anchorRaw + BigInt(this.off));
            continue;
          }
          default: {
            // 31: absolute time stamp
            this.pos = pos + 8;
            const cur = this.anchorRaw + BigInt(this.off);
            const abs = (BigInt(a0) << 27n) | BigInt(delta) | (cur & TS_MSB);
            this.setAnchor(abs);
            continue;
          }
        }
      }
      // Page done: the next page of this block, else more data.
      const nextPage = this.pageAt < 0 ? 0 : this.pageAt + this.pageSize;
      if (nextPage < this.bufLen) {
        this.loadPage(nextPage);
        continue;
      }
      return this.exhausted ? END : NEED_DATA;
    }
  }

  private found(): number {
    this.ts = this.timeNow();
    this.lost = this.lostPending;
    this.lostPending = -2;
    return HAVE_RECORD;
  }

  /** Advance, reading more data when needed. */
  async next(): Promise<boolean> {
    for (;;) {
      const r = this.step();
      if (r === HAVE_RECORD) return true;
      if (r === END) return false;
      if (!(await this.fill())) {
        this.exhausted = true;
        // Lost events after the last record are still reported by the caller through `trailingLost`.
        return false;
      }
    }
  }

  /** Lost events flagged on pages that had no record after them (-2 none). */
  trailingLost(): number {
    return this.lostPending;
  }
}
