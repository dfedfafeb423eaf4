/**
 * The magic bytes that tell a trace.dat file and gzip from text (./input.ts re-exports them). A module of its own
 * with no imports: the CLI's worker pre-start (../parallel/pool.ts) checks them before anything else has loaded, and
 * each module it waits for delays the worker threads' boot (input.ts brings node:fs/promises, which brings readline
 * and streams).
 */

export const TRACE_DAT_MAGIC = Buffer.from([0x17, 0x08, 0x44, 0x74, 0x72, 0x61, 0x63, 0x69, 0x6e, 0x67]);

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export function hasTraceDatMagic(head: Uint8Array): boolean {
  if (head.length < TRACE_DAT_MAGIC.length) return false;
  for (let i = 0; i < TRACE_DAT_MAGIC.length; i++) if (head[i] !== TRACE_DAT_MAGIC[i]) return false;
  return true;
}
