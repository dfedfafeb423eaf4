/**
 * Input bytes: files, stdin (`-`), gzip (detected by its magic bytes, not the file name). Reads in chunks; the
 * chunk size is a parameter so tests can force tiny chunks and prove the result does not depend on it.
 */
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { InputError } from '../model/errors.js';
import { isGzip } from './magic.js';

/** 1 MiB chunks: large enough to amortise per-chunk work, small enough to keep memory flat. */
export const DEFAULT_CHUNK_SIZE = 1 << 20;

export { hasTraceDatMagic, isGzip, TRACE_DAT_MAGIC } from './magic.js';

/** First bytes of a file (for format detection). */
export async function readHead(path: string, n = 16): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new InputError(path, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } catch (e) {
    throw new InputError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    await fh.close();
  }
}

/**
 * Two read buffers used in turn: `take(n)` gives `n` bytes of the one it did not give last, so a chunk can be read
 * into one while the other's chunk is parsed. Its memory is overwritten by the take after next: the consumer must
 * be done with a chunk by then. A fresh 1 MiB buffer per chunk cost a page fault per 4 KiB of it (measured on the
 * 2-core VM, 10M-line trace, two threads: 71k minor faults and 6.1 s of CPU; with the pair 37k and 5.4 s).
 */
export class BufferPair {
  private readonly bufs: (Buffer | null)[] = [null, null];
  private turn = 0;
  private areaTurn = 0;

  /** `areas`: buffers of `size` bytes the consumer offers instead (lines.ts `LineSplitter.areas`), asked at every
   *  `take`. */
  constructor(
    private readonly size: number,
    private readonly areas?: ChunkAreas,
  ) {}

  take(n: number): Buffer {
    const a = this.areas?.(this.size) ?? null;
    if (a !== null && n <= a[0].length) {
      // The areas take turns among themselves: the one before the last handed out is the one the consumer is done with.
      const b = a[this.areaTurn]!;
      this.areaTurn ^= 1;
      return b.length === n ? b : b.subarray(0, n);
    }
    let b = this.bufs[this.turn] ?? null;
    if (b === null || b.length < n) b = this.bufs[this.turn] = Buffer.allocUnsafe(Math.max(n, this.size));
    this.turn ^= 1;
    return b.length === n ? b : b.subarray(0, n);
  }
}

/** Where the consumer wants chunks of `size` bytes read to (lines.ts `LineSplitter.areas`), when it has such buffers. */
export type ChunkAreas = (size: number) => [Buffer, Buffer] | null;

/** Raw byte chunks of a path or of stdin. */
function rawChunks(path: string, chunkSize: number, reuse: { ok: boolean }, areas: ChunkAreas | undefined): AsyncIterable<Buffer> {
  if (path === '-') return process.stdin as AsyncIterable<Buffer>;
  return fileChunks(path, chunkSize, reuse, areas);
}

/**
 * A file's bytes in `chunkSize` chunks, read in order (a pipe or FIFO named by path reads the same way), the next
 * read in flight while the consumer handles a chunk. Once `reuse.ok` is set, chunks come from a `BufferPair` (the
 * consumer's `areas` when it has them): the consumer must be done with a chunk when it asks for the one after it.
 * Gzip input keeps fresh buffers, since the gunzip stream may still hold a chunk it was written.
 */
async function* fileChunks(path: string, chunkSize: number, reuse: { ok: boolean }, areas: ChunkAreas | undefined): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  let pending: Promise<Buffer> | null = null;
  try {
    const pair = new BufferPair(chunkSize, areas);
    const next = async (): Promise<Buffer> => {
      const buf = reuse.ok ? pair.take(chunkSize) : Buffer.allocUnsafe(chunkSize);
      const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
      return bytesRead === chunkSize ? buf : buf.subarray(0, bytesRead);
    };
    pending = next();
    for (;;) {
      const b = await pending;
      if (b.length === 0) return;
      pending = next();
      yield b;
    }
  } finally {
    // A consumer that stopped early leaves one read in flight: its outcome is of no interest (close waits for it).
    pending?.catch(() => undefined);
    await fh.close();
  }
}

/**
 * Decoded byte chunks: gunzipped when the first bytes are the gzip magic. Errors of the gzip stream (a file cut in
 * half) surface as a thrown `Error` with `code` Z_BUF_ERROR after every decodable byte was yielded.
 */
export async function* inputChunks(path: string, chunkSize = DEFAULT_CHUNK_SIZE, areas?: ChunkAreas): AsyncGenerator<Buffer> {
  const reuse = { ok: false };
  const it = rawChunks(path, chunkSize, reuse, areas)[Symbol.asyncIterator]();
  let first: IteratorResult<Buffer>;
  try {
    first = await it.next();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : '';
    throw new InputError(
      path === '-' ? '<stdin>' : path,
      `cannot open: ${code ?? (e as Error).message}${what ? ` (${what})` : ''}`,
    );
  }
  // The consumer may stop early (binary data, not a trace: it throws on the first chunk); the finally releases the
  // file descriptor then, which nothing else would (found by the fuzz campaign: EMFILE after ~10^5 rejected files).
  try {
    if (first.done === true) return;
    const head = first.value;
    if (!isGzip(head)) {
      // The consumer (../parse/index.ts) is done with a chunk when it asks for the next one.
      reuse.ok = true;
      yield* split(head, chunkSize);
      for (;;) {
        const n = await it.next();
        if (n.done === true) return;
        yield* split(n.value, chunkSize);
      }
    }
    // node:zlib loads only for gzip input: ~4 ms of start-up on the 2-core VM, in every thread, for plain text.
    const { createGunzip } = await import('node:zlib');
    const gunzip = createGunzip({ chunkSize: Math.max(64, Math.min(chunkSize, 1 << 20)) });
    const feed = (async () => {
      try {
        if (!gunzip.write(head)) await once(gunzip, 'drain');
        for (;;) {
          const n = await it.next();
          if (n.done === true) break;
          if (!gunzip.write(n.value)) await once(gunzip, 'drain');
        }
        gunzip.end();
      } catch (e) {
        gunzip.destroy(e as Error);
      }
    })();
    for await (const c of gunzip as AsyncIterable<Buffer>) yield* split(c, chunkSize);
    await feed;
  } finally {
    await it.return?.();
  }
}

/** Re-chunk to at most `size` bytes (stdin and gunzip ignore highWaterMark). */
function* split(buf: Buffer, size: number): Generator<Buffer> {
  if (buf.length <= size) {
    yield buf;
    return;
  }
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size));
}
