/**
 * Binary trace.dat reader (trace-cmd file versions 6 and 7): metadata (reader.ts), per-CPU ring-buffer pages
 * (ring-buffer.ts), compressed chunks (compress.ts), field decoding (decode.ts), merged here into one stream in
 * timestamp order with a small binary heap — as `trace-cmd report` orders records: by time, ties to the buffer
 * listed first and then the lowest CPU (trace-cmd v3.1.6 tracecmd_iterate_events_multi / tracecmd_peek_next_data).
 *
 * Streaming: the file is read with positioned reads; each CPU stream holds one block of pages (64 pages, or one
 * decompressed chunk) at a time.
 *
 * Times: integers in ns (or raw ticks for clocks without a ns conversion), relative to the first record in output
 * order. Clocks in ns: local, global, perf, mono, mono_raw, boot, tai, and any clock with a TSC2NSEC option
 * (ns = ticks × mult >> shift). Clocks in ticks: x86-tsc, counter, uptime (jiffies) and unknown clocks. The
 * absolute first/last times include the DATE/OFFSET options (ns clocks only), as trace-cmd report prints them.
 */
import type { Diagnostics } from '../../model/diagnostics.js';
import type { TraceEvent } from '../../model/events.js';
import { RecordDecoder } from './decode.js';
import { failFor, TraceDatError } from './errors.js';
import { isTraceDatMagic, readMeta, type TraceDatMeta } from './reader.js';
import { CpuStream, END, HAVE_RECORD, NEED_DATA, TimeBase } from './ring-buffer.js';
import { FileSource } from './source.js';

export { TraceDatError } from './errors.js';

export interface TraceDatInfo {
  version: number;
  /** CPUs of the traced machine (what `trace-cmd report` prints as `cpus=N`). */
  cpus: number;
  /** Trace clock of the top buffer (`mono`, `local`, `x86-tsc`…). */
  clock: string;
  /** 'zlib' / 'zstd' for compressed v7 files, else null. */
  compression: string | null;
  pageSize: number;
  /** Absolute time of the first record: 'secs.nnnnnnnnn' in ns, the raw integer in ticks; '' without records. */
  baseTimestamp: string;
  /** Absolute time of the last record, same form. */
  lastTimestamp: string;
  /** Records decoded (lost-event markers not included). */
  events: number;
  timeUnit: 'ns' | 'ticks';
  /** The TSC2NSEC option converted raw TSC ticks to ns. */
  tsc2nsec: boolean;
  /** Buffer instance names, top buffer '' first. */
  buffers: string[];
}

export interface ReadTraceDatOptions {
  diag: Diagnostics;
  fileIndex: number;
}

/** trace.dat magic: 0x17 0x08 0x44 "tracing". */
export function isTraceDat(head: Uint8Array): boolean {
  return isTraceDatMagic(head);
}

/** Kernel trace clocks whose values are nanoseconds. */
const NS_CLOCKS = new Set(['local', 'global', 'perf', 'mono', 'mono_raw', 'boot', 'tai']);

function formatAbs(v: bigint, unit: 'ns' | 'ticks'): string {
  if (unit === 'ticks') return v.toString();
  const neg = v < 0n;
  const a = neg ? -v : v;
  return `${neg ? '-' : ''}${a / 1_000_000_000n}.${(a % 1_000_000_000n).toString().padStart(9, '0')}`;
}

function less(a: CpuStream, b: CpuStream): boolean {
  return a.ts < b.ts || (a.ts === b.ts && a.order < b.order);
}

function siftDown(h: CpuStream[], n: number, i: number): void {
  const x = h[i]!;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    let c = l;
    if (r < n && less(h[r]!, h[l]!)) c = r;
    if (!less(h[c]!, x)) break;
    h[i] = h[c]!;
    i = c;
  }
  h[i] = x;
}

/** Read a trace.dat file and emit its records in timestamp order. */
export async function readTraceDat(
  path: string,
  sink: (e: TraceEvent) => void,
  opts: ReadTraceDatOptions,
): Promise<TraceDatInfo> {
  const src = await FileSource.open(path, failFor(path));
  try {
    const meta = await readMeta(src);
    return await readRecords(src, meta, sink, opts);
  } catch (e) {
    if (e instanceof TraceDatError || !(e instanceof RangeError)) throw e;
    // A Buffer read out of range means a length check was missed: still report it as corrupt input.
    throw new TraceDatError(path, 'data', 0, `unexpected read past the end of a block (${e.message})`);
  } finally {
    await src.close();
  }
}

async function readRecords(
  src: FileSource,
  meta: TraceDatMeta,
  sink: (e: TraceEvent) => void,
  opts: ReadTraceDatOptions,
): Promise<TraceDatInfo> {
  const tsc = meta.tsc2nsec;
  const unit: 'ns' | 'ticks' = tsc !== null || NS_CLOCKS.has(meta.clock) ? 'ns' : 'ticks';
  const time = tsc !== null ? new TimeBase(tsc.mult, tsc.shift) : new TimeBase(0, 0);
  const ring = meta.buffers.filter((b) => !b.latency);
  if (ring.length === 0 && meta.buffers.length > 0) {
    src.fail('buffer', 0, 'the file holds a latency-tracer text report, not ring-buffer records (not supported)');
  }
  const streams: CpuStream[] = [];
  let order = 0;
  for (const b of ring) {
    for (const c of b.cpus) {
      const s = new CpuStream({
        src,
        cpu: c.cpu,
        order: order++,
        instance: b.name,
        offset: c.offset,
        size: c.size,
        pageSize: b.pageSize,
        compression: b.compressed ? meta.compression : null,
        le: meta.littleEndian,
        page: meta.page,
        time,
      });
      streams.push(s);
    }
  }
  const decoder = new RecordDecoder(meta.formats, meta.cmdlines, meta.littleEndian, opts.diag, opts.fileIndex);

  // Prime every stream (first record), then fix the epoch = the earliest first record (the first in output order).
  const heap: CpuStream[] = [];
  const ended: CpuStream[] = [];
  for (const s of streams) {
    if (await s.next()) heap.push(s);
    else ended.push(s);
  }
  let epoch: bigint | null = null;
  for (const s of heap) {
    const t = time.conv(s.currentRaw());
    if (epoch === null || t < epoch) epoch = t;
  }
  time.epoch = epoch ?? 0n;
  for (const s of heap) s.reanchor();
  let n = heap.length;
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(heap, n, i);

  const fileIndex = opts.fileIndex;
  const diag = opts.diag;
  let line = 0;
  let events = 0;
  let lastTs = 0;
  const emitLost = (s: CpuStream, lost: number, ts: number): void => {
    line++;
    const source = { file: fileIndex, line };
    const count = lost >= 0 ? lost : null;
    sink({ kind: 'lost', count, ts, cpu: s.cpu, tid: -1, comm: '', instance: s.instance, source });
    diag.add(
      'lost_events',
      source,
      `CPU:${s.cpu} [${count === null ? '' : `${count} `}EVENTS DROPPED] (record ${line} at offset 0x${s.recordFileOffset().toString(16)})`,
      count ?? 1,
    );
  };

  while (n > 0) {
    const s = heap[0]!;
    if (s.lost !== -2) emitLost(s, s.lost, s.ts);
    line++;
    sink(decoder.decode(s.buf, s.recOff, s.recLen, s.ts, s.cpu, s.instance, line, s.recordFileOffset()));
    events++;
    lastTs = s.ts;
    let r = s.step();
    if (r === NEED_DATA) r = (await s.next()) ? HAVE_RECORD : END;
    if (r !== HAVE_RECORD) {
      ended.push(s);
      n--;
      heap[0] = heap[n]!;
      heap.pop();
    }
    if (n > 0) siftDown(heap, n, 0);
  }
  // Pages flagged with lost events but followed by no record: report them at the end of the stream.
  for (const s of ended) {
    const lost = s.trailingLost();
    if (lost !== -2) emitLost(s, lost, lastTs);
  }

  const offset = unit === 'ns' ? meta.tsOffset : 0n;
  const has = events > 0;
  return {
    version: meta.version,
    cpus: meta.cpus,
    clock: meta.clock,
    compression: meta.compression,
    pageSize: meta.pageSize,
    baseTimestamp: has ? formatAbs(time.epoch + offset, unit) : '',
    lastTimestamp: has ? formatAbs(time.epoch + BigInt(lastTs) + offset, unit) : '',
    events,
    timeUnit: unit,
    tsc2nsec: tsc !== null,
    buffers: ring.map((b) => b.name),
  };
}
