/**
 * Byte access for the trace.dat reader: positioned reads from the file (never the whole file in memory), a
 * buffered sequential cursor over the file (v6 metadata is a sequence of length-prefixed parts), and a cursor over
 * an in-memory block (v7 sections, decompressed or not). Every length and offset is checked against the bytes
 * that exist; a violation throws TraceDatError naming the section and the file offset.
 *
 * Numbers are in the file's byte order (initial header flag: 0 = little endian, 1 = big endian; trace-cmd.dat.v6(5)
 * "INITIAL FORMAT"). 64-bit values are read as BigInt; `u64n` additionally requires the value to be a safe integer
 * (offsets and sizes, which must also fit the file).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from '../../model/errors.js';
import type { Fail } from './errors.js';

export class FileSource {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly size: number,
    readonly fail: Fail,
  ) {}

  static async open(path: string, fail: Fail): Promise<FileSource> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      throw new InputError(path, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      const st = await fh.stat();
      return new FileSource(path, fh, st.size, fail);
    } catch (e) {
      await fh.close();
      throw new InputError(path, `cannot stat: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  /** Check that [offset, offset+length) lies inside the file. */
  check(offset: number, length: number, section: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.size) {
      this.fail(section, Math.max(0, Math.min(offset, this.size)), `offset ${offset} is outside the file (${this.size} bytes)`);
    }
    if (!Number.isSafeInteger(length) || length < 0 || offset + length > this.size) {
      this.fail(
        section,
        offset,
        `needs ${length} bytes but the file ends ${this.size - offset} bytes later (file truncated?)`,
      );
    }
  }

  /** Read exactly `length` bytes at `offset` into `into` (or a new buffer). */
  async read(offset: number, length: number, section: string, into?: Buffer): Promise<Buffer> {
    this.check(offset, length, section);
    const buf = into !== undefined && into.length >= length ? into : Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        ({ bytesRead: n } = await this.fh.read(buf, done, length - done, offset + done));
      } catch (e) {
        throw new InputError(this.path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      if (n === 0) this.fail(section, offset + done, 'the file ended while reading (it shrank?)');
      done += n;
    }
    return buf.length === length ? buf : buf.subarray(0, length);
  }
}

/** Sequential reads; implemented over the file (async) and over an in-memory block (sync). */
export interface Cursor {
  readonly section: string;
  /** File offset to report for an error at the current position. */
  where(): number;
  fail(detail: string): never;
  u8(): number | Promise<number>;
  u16(): number | Promise<number>;
  u32(): number | Promise<number>;
  u64(): bigint | Promise<bigint>;
  /** u64 that must be a safe integer (sizes, offsets). */
  u64n(what: string): number | Promise<number>;
  bytes(n: number): Buffer | Promise<Buffer>;
  skip(n: number): void | Promise<void>;
  /** NUL-terminated string of at most `max` bytes (UTF-8). */
  cstring(max: number): string | Promise<string>;
  /** Bytes left before the end of the section. */
  remaining(): number;
}

const WINDOW = 64 * 1024;

/** Buffered cursor over a range of the file; reads windows of 64 KiB with positioned reads. */
export class FileCursor implements Cursor {
  private win: Buffer = Buffer.alloc(0);
  private winStart = 0;
  private pos: number;

  constructor(
    private readonly src: FileSource,
    start: number,
    private readonly limit: number,
    readonly section: string,
    private readonly le: boolean,
  ) {
    this.pos = start;
  }

  where(): number {
    return this.pos;
  }

  fail(detail: string): never {
    return this.src.fail(this.section, this.pos, detail);
  }

  remaining(): number {
    return this.limit - this.pos;
  }

  private async ensure(n: number): Promise<number> {
    if (n > this.limit - this.pos) {
      this.fail(`needs ${n} bytes but only ${this.limit - this.pos} remain${this.limit === this.src.size ? ' in the file (file truncated?)' : ' in the section'}`);
    }
    const rel = this.pos - this.winStart;
    if (rel >= 0 && rel + n <= this.win.length) return rel;
    const len = Math.min(Math.max(n, WINDOW), this.limit - this.pos);
    this.win = await this.src.read(this.pos, len, this.section);
    this.winStart = this.pos;
    return 0;
  }

  async u8(): Promise<number> {
    const r = await this.ensure(1);
    this.pos += 1;
    return this.win[r]!;
  }

  async u16(): Promise<number> {
    const r = await this.ensure(2);
    this.pos += 2;
    return this.le ? this.win.readUInt16LE(r) : this.win.readUInt16BE(r);
  }

  async u32(): Promise<number> {
    const r = await this.ensure(4);
    this.pos += 4;
    return this.le ? this.win.readUInt32LE(r) : this.win.readUInt32BE(r);
  }

  async u64(): Promise<bigint> {
    const r = await this.ensure(8);
    this.pos += 8;
    return this.le ? this.win.readBigUInt64LE(r) : this.win.readBigUInt64BE(r);
  }

  async u64n(what: string): Promise<number> {
    const at = this.pos;
    const v = await this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.src.fail(this.section, at, `${what} ${v} is not a plausible value`);
    return Number(v);
  }

  async bytes(n: number): Promise<Buffer> {
    if (n > this.limit - this.pos) {
      this.fail(`needs ${n} bytes but only ${this.limit - this.pos} remain (file truncated?)`);
    }
    if (n > WINDOW) {
      const b = await this.src.read(this.pos, n, this.section);
      this.pos += n;
      return b;
    }
    const r = await this.ensure(n);
    this.pos += n;
    return this.win.subarray(r, r + n);
  }

  async skip(n: number): Promise<void> {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.limit - this.pos) {
      this.fail(`needs ${n} bytes but only ${this.limit - this.pos} remain (file truncated?)`);
    }
    this.pos += n;
  }

  async cstring(max: number): Promise<string> {
    const avail = Math.min(max + 1, this.limit - this.pos);
    if (avail <= 0) this.fail('string expected but no bytes remain (file truncated?)');
    const r = await this.ensure(avail);
    const end = this.win.indexOf(0, r);
    if (end < 0 || end >= r + avail) {
      this.fail(avail <= max ? 'string runs past the end of the file' : `string longer than ${max} bytes`);
    }
    this.pos += end - r + 1;
    return this.win.toString('utf8', r, end);
  }
}

/** Cursor over a block in memory (a v7 section's data, decompressed or read whole). */
export class BufferCursor implements Cursor {
  private pos = 0;

  /**
   * @param fileOffset file offset of the block's first byte, or of the compressed block when `compressed`
   *   (errors then name that offset and the position inside the decompressed data).
   */
  constructor(
    readonly buf: Buffer,
    readonly section: string,
    private readonly le: boolean,
    private readonly failFn: Fail,
    private readonly fileOffset: number,
    private readonly compressed: boolean,
  ) {}

  where(): number {
    return this.compressed ? this.fileOffset : this.fileOffset + this.pos;
  }

  fail(detail: string): never {
    return this.failFn(
      this.section,
      this.where(),
      this.compressed ? `byte 0x${this.pos.toString(16)} of the decompressed data: ${detail}` : detail,
    );
  }

  remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.buf.length - this.pos) {
      this.fail(`needs ${n} bytes but only ${this.buf.length - this.pos} remain in the section`);
    }
    const p = this.pos;
    this.pos += n;
    return p;
  }

  u8(): number {
    return this.buf[this.need(1)]!;
  }

  u16(): number {
    const p = this.need(2);
    return this.le ? this.buf.readUInt16LE(p) : this.buf.readUInt16BE(p);
  }

  u32(): number {
    const p = this.need(4);
    return this.le ? this.buf.readUInt32LE(p) : this.buf.readUInt32BE(p);
  }

  u64(): bigint {
    const p = this.need(8);
    return this.le ? this.buf.readBigUInt64LE(p) : this.buf.readBigUInt64BE(p);
  }

  u64n(what: string): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.pos -= 8;
      this.fail(`${what} ${v} is not a plausible value`);
    }
    return Number(v);
  }

  bytes(n: number): Buffer {
    const p = this.need(n);
    return this.buf.subarray(p, p + n);
  }

  skip(n: number): void {
    this.need(n);
  }

  cstring(max: number): string {
    const i = this.buf.indexOf(0, this.pos);
    if (i < 0) this.fail('string runs past the end of the section');
    if (i - this.pos > max) this.fail(`string longer than ${max} bytes`);
    const s = this.buf.toString('utf8', this.pos, i);
    this.pos = i + 1;
    return s;
  }
}
