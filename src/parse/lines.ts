/**
 * Streaming line splitter over byte chunks (speedscope `splitLines()`): the partial last line of a chunk is carried
 * forward; the input is never held in one string (V8 caps strings at ~537M chars, and memory must stay flat).
 *
 * - `\n` ends a line; a `\r` before it is dropped (CRLF input).
 * - A line longer than `MAX_LINE_BYTES` is not stored: its bytes are skipped up to the next newline and the caller
 *   is told its length, so a 1 GB line costs no memory.
 * - Lines are decoded as UTF-8; invalid sequences are reported (the caller counts them) and replaced with U+FFFD.
 * - Each chunk is checked once for bytes ≥ 0x80 (`isAscii`, SIMD in Node's simdutf) and for tab, VT, FF and CR
 *   (`indexOf`, memchr): while its lines are handed out, `plainChunk.buf` is that chunk when it has none of them,
 *   so per-line consumers (the fast lane, `emit`) skip their own byte-by-byte checks. A carried line is a new
 *   buffer and is checked on its own. (~100 µs per MiB on the 2-core VM, ~10 ns per line.)
 */
import { isAscii, isUtf8 } from 'node:buffer';

/** Longest line kept, in bytes. The longest real KVM record (6.14 kvm_exit with a long comm) is < 400 bytes. */
export const MAX_LINE_BYTES = 1 << 20;

/**
 * The chunk whose lines are being handed out when it is plain: all ASCII, with no tab, VT, FF or CR (the white
 * space that the text path's regexes and `trim` treat unlike a space); else null (see the header). `seq` counts the
 * pushes: the block lane's scanner keeps one copy of a chunk however often the splitter calls back into it.
 */
export const plainChunk: { buf: Uint8Array | null; seq: number } = { buf: null, seq: 0 };

/** Whether a chunk is plain (see `plainChunk`), in five passes (the block lane's scanner does it in one). */
export function isPlain(chunk: Uint8Array): boolean {
  return isAscii(chunk) && chunk.indexOf(9) === -1 && chunk.indexOf(13) === -1 && chunk.indexOf(11) === -1 && chunk.indexOf(12) === -1;
}

export interface LineHandler {
  /** A complete line (without its terminator). `badUtf8` when the bytes were not valid UTF-8. */
  line(text: string, badUtf8: boolean): void;
  /** A line over the limit was skipped; `bytes` is its length. */
  longLine(bytes: number): void;
  /**
   * Optional fast lane: offered every complete line as bytes [start, end) of `buf` (terminator and CR removed)
   * before it is decoded. Returns true when it consumed the line; false to get it as text through `line`.
   */
  bytes?(buf: Buffer, start: number, end: number): boolean;
  /**
   * Optional block lane: offered the complete lines of a plain chunk (see `plainChunk`) from `start` up to `limit`
   * (just past a newline) at once. Returns the start of the first line it did not consume (`limit`: all of them);
   * that line is then handed out one at a time as usual, and the block lane is offered the rest again.
   */
  block?(buf: Buffer, start: number, limit: number): number;
  /**
   * Optional: whether a chunk is plain (see `plainChunk`), asked once per chunk before its lines; `isPlain` when
   * absent. The block lane answers it while copying the chunk where its scanner reads it.
   */
  plain?(chunk: Buffer): boolean;
  /**
   * Optional: two buffers of `size` bytes for the reader to read chunks into, in turn, so that the handler finds
   * them where it reads them (the block lane's scanner memory); null while it has none.
   */
  areas?(size: number): [Buffer, Buffer] | null;
  /**
   * Optional: the lines of a pushed chunk have all been handed out. Readers reuse a chunk's memory once `push`
   * returns, so nothing may keep a reference into it past this call.
   */
  chunkEnd?(): void;
}

export class LineSplitter {
  private carry: Buffer[] = [];
  private carryLen = 0;
  /** Skipping the rest of an over-long line. */
  private skipping = false;
  private skippedBytes = 0;
  /** True when the last line seen had no terminating newline (set by `end`). */
  lastLineUnterminated = false;

  constructor(private readonly handler: LineHandler) {}

  /** The handler's buffers to read chunks into (`LineHandler.areas`), if it has them now. */
  areas(size: number): [Buffer, Buffer] | null {
    return this.handler.areas?.(size) ?? null;
  }

  push(chunk: Buffer): void {
    plainChunk.seq++;
    const h = this.handler;
    plainChunk.buf = (h.plain !== undefined ? h.plain(chunk) : isPlain(chunk)) ? chunk : null;
    try {
      this.split(chunk);
    } finally {
      plainChunk.buf = null;
      h.chunkEnd?.();
    }
  }

  private split(chunk: Buffer): void {
    let start = 0;
    const n = chunk.length;
    const block = plainChunk.buf === chunk ? this.handler.block : undefined;
    const limit = block === undefined ? 0 : chunk.lastIndexOf(10) + 1;
    while (start < n) {
      if (start < limit && this.carryLen === 0 && !this.skipping) {
        start = block!.call(this.handler, chunk, start, limit);
        if (start >= n) return;
        if (start >= limit) {
          this.stash(chunk, start, n);
          return;
        }
      }
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.stash(chunk, start, n);
        return;
      }
      if (this.skipping) {
        this.skippedBytes += nl - start;
        this.handler.longLine(this.skippedBytes);
        this.skipping = false;
        this.skippedBytes = 0;
      } else if (this.carryLen > 0) {
        if (this.carryLen + (nl - start) > MAX_LINE_BYTES) {
          this.handler.longLine(this.carryLen + (nl - start));
          this.carry = [];
          this.carryLen = 0;
        } else {
          this.carry.push(chunk.subarray(start, nl));
          const whole = Buffer.concat(this.carry, this.carryLen + (nl - start));
          this.carry = [];
          this.carryLen = 0;
          this.emit(whole, 0, whole.length);
        }
      } else if (nl - start > MAX_LINE_BYTES) {
        this.handler.longLine(nl - start);
      } else {
        this.emit(chunk, start, nl);
      }
      start = nl + 1;
    }
  }

  /** Flush the last line if it had no newline. */
  end(): void {
    if (this.skipping) {
      this.handler.longLine(this.skippedBytes);
      this.skipping = false;
      this.lastLineUnterminated = true;
      return;
    }
    if (this.carryLen > 0) {
      const whole = Buffer.concat(this.carry, this.carryLen);
      this.carry = [];
      this.carryLen = 0;
      this.lastLineUnterminated = true;
      this.emit(whole, 0, whole.length);
    }
  }

  private stash(chunk: Buffer, start: number, end: number): void {
    if (this.skipping) {
      this.skippedBytes += end - start;
      return;
    }
    if (this.carryLen + (end - start) > MAX_LINE_BYTES) {
      this.skipping = true;
      this.skippedBytes = this.carryLen + (end - start);
      this.carry = [];
      this.carryLen = 0;
      return;
    }
    // Copy: the caller may reuse the chunk's memory.
    this.carry.push(Buffer.from(chunk.subarray(start, end)));
    this.carryLen += end - start;
  }

  private emit(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === 13) end--; // CRLF
    if (this.handler.bytes !== undefined && this.handler.bytes(buf, start, end)) return;
    const slice = buf.subarray(start, end);
    // Fast path: pure ASCII lines (the common case) are always valid UTF-8.
    let ascii = true;
    if (buf !== plainChunk.buf) {
      for (let i = 0; i < slice.length; i++) {
        if (slice[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
    }
    const bad = !ascii && !isUtf8(slice);
    this.handler.line(slice.toString(ascii ? 'latin1' : 'utf8'), bad);
  }
}
