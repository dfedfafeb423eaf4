/**
 * trace.dat v7 compression: compressed sections and compressed per-CPU trace data chunks.
 *
 * Format (trace-cmd.dat.v7(5), "COMPRESSION FORMAT OF THE FILE SECTIONS" / "... OF THE TRACE DATA"; checked
 * against trace-cmd v3.1.6 lib/trace-cmd/trace-compress.c tracecmd_uncompress_block / tracecmd_load_chunks_info):
 * - a compressed section's data is one block: u32 compressed size, u32 uncompressed size, compressed bytes;
 * - per-CPU data of a compressed BUFFER section is: u32 chunk count, then per chunk u32 compressed size,
 *   u32 uncompressed size (a multiple of the trace page size), compressed bytes.
 * The algorithm is named in the initial header ("zlib" → a zlib stream as written by zlib's compress2(), read
 * here with node:zlib; "zstd" → a zstd frame, read with node:zlib where Node has zstd (≥ 22.15), else with the
 * pure-JS fzstd; "none" → not compressed).
 * Decompressed sizes are checked against the declared size, and bounded, so a corrupt header cannot make the
 * reader allocate without limit.
 */
import * as zlib from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import type { Fail } from './errors.js';

type SyncDecompress = (input: Uint8Array, opts: { maxOutputLength: number }) => Buffer;
/** Node ≥ 22.15 has a native zstd decoder (several times faster than fzstd); Node 20 has not. */
const nativeZstd = (zlib as unknown as { zstdDecompressSync?: SyncDecompress }).zstdDecompressSync;

export type Compression = 'zlib' | 'zstd';

/** Largest decompressed block accepted (trace-cmd writes chunks of a few pages and sections of a few MB). */
export const MAX_BLOCK = 256 * 1024 * 1024;

export function compressionOf(name: string, fail: Fail, offset: number): Compression | null {
  if (name === 'none' || name === '') return null;
  if (name === 'zlib' || name === 'zstd') return name;
  return fail('initial header', offset, `unsupported compression algorithm "${name}" (exitlens reads zlib and zstd)`);
}

/**
 * Decompress one block. `section`/`offset` locate the block in the file for errors.
 */
export function decompressBlock(
  algo: Compression,
  input: Uint8Array,
  expected: number,
  fail: Fail,
  section: string,
  offset: number,
): Buffer {
  if (expected > MAX_BLOCK) fail(section, offset, `declared uncompressed size ${expected} is larger than ${MAX_BLOCK}`);
  let out: Uint8Array;
  try {
    if (algo === 'zlib') {
      out = zlib.inflateSync(input, { maxOutputLength: Math.max(expected, 1) });
    } else if (nativeZstd !== undefined) {
      out = nativeZstd(input, { maxOutputLength: Math.max(expected, 1) });
    } else {
      const buf = new Uint8Array(expected);
      out = zstdDecompress(input, buf);
    }
  } catch (e) {
    return fail(section, offset, `${algo} data does not decompress: ${(e as Error).message}`);
  }
  if (out.length !== expected) {
    fail(section, offset, `${algo} data decompressed to ${out.length} bytes, the header says ${expected}`);
  }
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}
