/**
 * trace.dat errors: one class for every corrupt, truncated or unsupported binary input, naming the part of the
 * file (section) and the byte offset where reading stopped, so `exitlens analyze` can say "initial header at
 * offset 0x0" or "CPU 3 data page at offset 0x1f000" instead of crashing. Offsets are file offsets; for data that
 * was decompressed first, the offset is the compressed block's and the detail names the position inside it.
 *
 * Verified against: nothing external (this is exitlens' own error contract, on src/model/errors.ts).
 */
import { ExitlensError } from '../../model/errors.js';

export class TraceDatError extends ExitlensError {
  override name = 'TraceDatError';
  constructor(
    readonly file: string,
    readonly section: string,
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`${file}: corrupt or truncated trace.dat: ${section} at offset 0x${offset.toString(16)}: ${detail}`);
  }
}

/** Throws for one file; every reader part gets one so errors always carry the file name. */
export type Fail = (section: string, offset: number, detail: string) => never;

export function failFor(file: string): Fail {
  return (section, offset, detail) => {
    throw new TraceDatError(file, section, offset, detail);
  };
}
