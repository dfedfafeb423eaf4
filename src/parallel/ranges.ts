/**
 * Reading one byte range of a text trace, for the parallel path (./driver.ts): the chunked reader whose unread tail
 * another thread can take (work stealing), and the worker-mode run over one range that both worker threads and the
 * main thread (for a tail it took) use.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Session } from '../analyze.js';
import type { Isa } from '../model/events.js';
import { linesInto } from '../parse/index.js';
import { BufferPair, type ChunkAreas } from '../parse/input.js';
import { LineSplitter } from '../parse/lines.js';
import { TextParser } from '../parse/text-parser.js';
import { TimestampParser } from '../parse/timestamps.js';
import type { RangeJob, RangeResult } from './types.js';

/**
 * The first line start at or after `p` in the file and before `end` (the byte after the next newline), or -1. Read
 * synchronously, 64 KiB at a time (the first read finds it unless a line is that long): a split is decided at once,
 * in the task that asked for it, while the thread that takes the range waits.
 */
export function nextLineStart(path: string, p: number, end: number): number {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 << 10);
    let pos = Math.max(0, p - 1);
    while (pos < end) {
      const bytesRead = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) return -1;
      const i = buf.subarray(0, bytesRead).indexOf(10);
      if (i >= 0) return pos + i + 1 < end ? pos + i + 1 : -1;
      pos += bytesRead;
    }
    return -1;
  } finally {
    closeSync(fd);
  }
}

/** A split's terms: the taker gets `taker` (0-1) of the unread bytes, when at least `min` bytes are unread. */
export interface SplitShare {
  taker: number;
  min: number;
}

/**
 * Reads [start, end) of a file in chunks and hands each to `onChunk`. The first chunk is `firstChunk` bytes (small,
 * so the main thread starts the workers soon), the others `chunkSize`; the next read is in flight while a chunk is
 * parsed, so the parser does not wait on the thread pool between chunks. A chunk's memory is reused once `onChunk`
 * has returned: `onChunk` must copy what it keeps (the line splitter copies a carried partial line).
 *
 * Work stealing: `split()` gives away the tail of what the reader has not requested yet.
 */
export class RangeReader {
  /** The next byte to request. */
  private pos: number;
  private finished = false;

  constructor(
    readonly path: string,
    readonly start: number,
    /** Moves down when a split is granted. */
    public end: number,
    private readonly chunkSize: number,
    private readonly minSplit: number,
    private readonly firstChunk = chunkSize,
  ) {
    this.pos = start;
  }

  /** Bytes not yet requested (0 once finished). */
  get remaining(): number {
    return this.finished ? 0 : this.end - this.pos;
  }

  /**
   * Give away the tail of what has not been requested yet: the reader then ends at the returned line start `at`,
   * and [at, old end) is the caller's; null when too little is left (or the reader has finished). By default the
   * taker gets a little less than half, since it starts slower (a new session warms up: see STEAL_MIN_BYTES in
   * driver.ts): this reader keeps half of what is left plus a quarter of minSplit, the taker the rest (≥ minSplit /
   * 4), and only while at least minSplit is left. `share` sets other terms (a worker's first range, driver.ts `idle`).
   * Called on the thread that reads the range, at any time: reads already requested lie below the part given away.
   */
  split(share?: SplitShare): number | null {
    const left = this.remaining;
    if (left < (share?.min ?? this.minSplit) || left <= 0) return null;
    const keep = share !== undefined ? left * (1 - share.taker) : (left + this.minSplit / 2) / 2;
    const p = nextLineStart(this.path, this.pos + Math.floor(keep), this.end);
    if (p <= this.pos) return null;
    this.end = p;
    return p;
  }

  /** `areas`: where the consumer wants chunks read to, when it has such buffers (BufferPair, LineSplitter.areas). */
  async read(onChunk: (b: Buffer) => void, areas?: ChunkAreas): Promise<void> {
    const fh = await open(this.path, 'r');
    try {
      // `onChunk` is done with a chunk before the read after next reuses its buffer.
      const pair = new BufferPair(this.chunkSize, areas);
      /** The next chunk, and whether the read was short (the file ended early: it shrank while being read). */
      const next = (size: number): Promise<{ b: Buffer; short: boolean }> | null => {
        const n = Math.min(size, this.end - this.pos);
        if (n <= 0) return null;
        const at = this.pos;
        this.pos += n;
        const buf = pair.take(n);
        return fh.read(buf, 0, n, at).then(({ bytesRead }) => ({ b: bytesRead === n ? buf : buf.subarray(0, bytesRead), short: bytesRead < n }));
      };
      let pending = next(this.firstChunk);
      while (pending !== null) {
        const { b, short } = await pending;
        pending = short ? null : next(this.chunkSize);
        if (b.length > 0) onChunk(b);
      }
    } finally {
      this.finished = true;
      await fh.close();
    }
  }
}

/**
 * Pair, classify and summarize one range with a session in worker mode (the range's head and thread end states
 * kept for the main thread's stitch), reading it through `reader` (which may be split meanwhile).
 */
export async function runRange(job: RangeJob, reader: RangeReader, onBytes: (read: number) => void): Promise<RangeResult> {
  const s = new Session(
    [job.displayName],
    {
      ...(job.isa !== null ? { isa: job.isa as Isa } : {}),
      ...(job.since !== null ? { since: job.since } : {}),
      ...(job.until !== null ? { until: job.until } : {}),
      ...(job.tscGhz !== null ? { tscGhz: job.tscGhz } : {}),
      timeline: job.timeline,
    },
    job,
  );
  const ts = new TimestampParser(job.tscGhz);
  ts.setBase(job.baseSeconds);
  s.bindTimestamps(ts);
  const parser = new TextParser(0, job.displayName, s.diag, ts, s.sink, job.format, job.repair, false);
  let final = false;
  const splitter = new LineSplitter(linesInto(parser, 0, ts, s.diag, job.fastLane, () => final));
  let read = 0;
  await reader.read(
    (b) => {
      splitter.push(b);
      read += b.length;
      onBytes(read);
    },
    (size) => splitter.areas(size),
  );
  // A range ends just after a newline, so only one that ends the file can end in an unterminated (final) line.
  final = reader.end === job.fileSize;
  splitter.end();
  parser.end();
  return s.rangeResult(parser);
}
