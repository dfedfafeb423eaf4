/**
 * A progress bar on stderr for long inputs: bytes read, rate, ETA. Shown only when stderr is a terminal, never with
 * --quiet, and only for inputs of at least `PROGRESS_MIN_BYTES` (a pipe of unknown size: once that much was read),
 * so short runs, CI logs and redirected output stay clean. Colour follows ./style.ts (TTY, NO_COLOR).
 *
 * Fed by `parseInputs`' `onProgress(bytesConsumed)` (decoded bytes: gunzipped for .gz). The total is the sum of the
 * files' sizes; for gzip it is the uncompressed size from the member's ISIZE trailer (RFC 1952 §2.3.1: the input
 * size modulo 2^32), which is exact for single-member files under 4 GiB; a total that the bytes read overtake is
 * dropped and the bar goes on without percentage or ETA.
 */
import { open, stat } from 'node:fs/promises';
import { isGzip } from '../parse/input.js';
import { terminalStyle } from './style.js';

/** 32 MiB: about a second of parsing on a laptop; below that a bar would only flicker. */
export const PROGRESS_MIN_BYTES = 32 * 1024 * 1024;
/** Redraw at most ten times a second: smooth to the eye, negligible cost. */
export const PROGRESS_INTERVAL_MS = 100;

/** What the bar needs of a stream (a subset of tty.WriteStream, so tests can pass a fake). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): boolean;
}

export interface ProgressOptions {
  /** Total bytes expected, null when unknown (stdin). */
  total: number | null;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Colour on (callers pass what terminalStyle decided). */
  color?: boolean;
  minBytes?: number;
  intervalMs?: number;
}

export function formatBytes(n: number): string {
  const MiB = 1024 * 1024;
  if (n >= 1024 * MiB) return `${(n / (1024 * MiB)).toFixed(2)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} B`;
}

export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export class ProgressBar {
  private readonly start: number;
  private last = Number.NEGATIVE_INFINITY;
  private shown = false;
  private total: number | null;
  private readonly now: () => number;
  private readonly minBytes: number;
  private readonly interval: number;
  private readonly color: boolean;

  constructor(
    private readonly stream: ProgressStream,
    opts: ProgressOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.start = this.now();
    this.total = opts.total;
    this.minBytes = opts.minBytes ?? PROGRESS_MIN_BYTES;
    this.interval = opts.intervalMs ?? PROGRESS_INTERVAL_MS;
    this.color = opts.color ?? false;
  }

  /** Bytes consumed so far; draws at most once per interval, and only once the input is known to be long. */
  readonly update = (bytes: number): void => {
    const t = this.now();
    if (t - this.last < this.interval) return;
    if (this.total !== null && bytes > this.total) this.total = null;
    const long = this.total !== null ? this.total >= this.minBytes : bytes >= this.minBytes;
    if (!long) return;
    this.last = t;
    this.shown = true;
    this.stream.write(`\r${this.line(bytes, t)}\u001b[K`);
  };

  /** Erase the bar (call before anything else is printed, and on errors). */
  done(): void {
    if (this.shown) this.stream.write('\r\u001b[K');
    this.shown = false;
  }

  /** The bar's text at `bytes` read and time `t` (ms). */
  line(bytes: number, t: number): string {
    const secs = Math.max(1e-3, (t - this.start) / 1000);
    const rate = bytes / secs;
    const width = Math.min(100, Math.max(40, this.stream.columns ?? 80)) - 1;
    const c = (code: number, s: string) => (this.color ? `\u001b[${code}m${s}\u001b[0m` : s);
    if (this.total === null || this.total <= 0) {
      return `exitlens  ${formatBytes(bytes)} read  ${formatBytes(rate)}/s`;
    }
    const f = Math.min(1, bytes / this.total);
    const tail = ` ${(f * 100).toFixed(0).padStart(3)}%  ${formatBytes(bytes)}/${formatBytes(this.total)}  ${formatBytes(rate)}/s  ETA ${formatEta((this.total - bytes) / rate)}`;
    const barWidth = Math.max(10, width - 'exitlens '.length - tail.length - 2);
    const filled = Math.round(f * barWidth);
    return `exitlens [${c(36, '#'.repeat(filled))}${'-'.repeat(barWidth - filled)}]${tail}`;
  }
}

/** Uncompressed size of a file: its size, or for gzip the ISIZE trailer (null when unreadable). */
export async function inputSize(path: string): Promise<number | null> {
  if (path === '-') return null;
  let fh;
  try {
    const st = await stat(path);
    if (!st.isFile()) return null;
    fh = await open(path, 'r');
    const head = Buffer.alloc(2);
    await fh.read(head, 0, 2, 0);
    if (!isGzip(head) || st.size < 18) return st.size;
    const tail = Buffer.alloc(4);
    await fh.read(tail, 0, 4, st.size - 4);
    return tail.readUInt32LE(0);
  } catch {
    return null;
  } finally {
    await fh?.close();
  }
}

/**
 * The bar for a run over `paths`, or null when it must not show: stderr is not a terminal, or --quiet. Whether the
 * input is long enough is decided as bytes arrive (see `ProgressBar.update`).
 */
export async function progressFor(
  paths: readonly string[],
  stream: ProgressStream & NodeJS.WriteStream,
  quiet: boolean,
): Promise<ProgressBar | null> {
  if (quiet || stream.isTTY !== true) return null;
  let total: number | null = 0;
  for (const p of paths) {
    const n = await inputSize(p);
    if (n === null) {
      total = null;
      break;
    }
    total += n;
  }
  const color = terminalStyle(stream).bold('x') !== 'x';
  return new ProgressBar(stream, { total, color });
}
