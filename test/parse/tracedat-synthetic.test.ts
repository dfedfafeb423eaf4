/**
 * trace.dat reader on hand-made ring-buffer pages (the metadata of the real v6 fixture, synthetic CPU data):
 * the cases this host cannot produce — kvm_exit records (its kvm_pvm backend emits none), VMX exit reasons with
 * flag bits that libtraceevent's plugin prints as "UNKNOWN (n)", SVM codes, time-extend, absolute time-stamp,
 * padding and long-form (type_len 0) records, a page with a stored missed-events count, equal times on two CPUs.
 */
import { mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pagesOf, parseV6Layout, shiftedPage, writeV6 } from '../../bench/tracedat-build.mjs';
import { Diagnostics } from '../../src/model/diagnostics.js';
import type { KvmExit, TraceEvent } from '../../src/model/events.js';
import { readTraceDat } from '../../src/parse/tracedat/index.js';

const TEMPLATE = fileURLToPath(new URL('../../fixtures/tracedat/kvm-user-v6.dat', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'exitlens-tracedat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Field offsets of an event, read from the format text stored in the template (independently of the reader). */
function formatOf(buf: Buffer, name: string): { id: number; off: Record<string, number> } {
  const at = buf.indexOf(`name: ${name}\nID: `);
  if (at < 0) throw new Error(`no format for ${name}`);
  const text = buf.toString('latin1', at, buf.indexOf('print fmt:', at));
  const id = Number(/ID: (\d+)/.exec(text)![1]);
  const off: Record<string, number> = {};
  for (const m of text.matchAll(/field:[^;]*?(\w+)(?:\[\d*\])?;\s*offset:(\d+);/g)) off[m[1]!] = Number(m[2]);
  return { id, off };
}

const template = readFileSync(TEMPLATE);
const layout = parseV6Layout(template);
const exitFmt = formatOf(template, 'kvm_exit');

function exitRecord(pid: number, reason: number, isa: number, rip: bigint): Buffer {
  const r = Buffer.alloc(72);
  const o = exitFmt.off;
  r.writeUInt16LE(exitFmt.id, o.common_type!);
  r.writeInt32LE(pid, o.common_pid!);
  r.writeUInt32LE(reason >>> 0, o.exit_reason!);
  r.writeBigUInt64LE(rip, o.guest_rip!);
  r.writeUInt32LE(isa, o.isa!);
  r.writeBigUInt64LE(0x1234n, o.info1!);
  r.writeBigUInt64LE(0xfee00380n, o.info2!);
  r.writeUInt32LE(0x80000b0e, o.intr_info!);
  r.writeUInt32LE(0, o.error_code!);
  r.writeUInt32LE(3, o.vcpu_id!);
  return r;
}

/** A page: u64 ts, u64 commit (size | flags), data; `missed` stores a count after the data. */
function page(ts: bigint, items: Buffer[], missed: number | null = null): Buffer {
  const p = Buffer.alloc(layout.pageSize);
  p.writeBigUInt64LE(ts, 0);
  let o = 16;
  for (const it of items) {
    it.copy(p, o);
    o += it.length;
  }
  const size = o - 16;
  let flags = 0;
  if (missed !== null) {
    p.writeBigUInt64LE(BigInt(missed), o);
    flags = 0xc0000000;
  }
  p.writeBigUInt64LE(BigInt((size | flags) >>> 0), 8);
  return p;
}

const hdr = (typeLen: number, delta: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(((delta << 5) | typeLen) >>> 0, 0);
  return b;
};
const word = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
};
const data = (delta: number, rec: Buffer): Buffer => Buffer.concat([hdr(rec.length / 4, delta), rec]);

const T0 = 1_000_000_000n;
const EXT = 3 * 2 ** 27 + 5;
const ABS = T0 + 5_000_000_000n;

function build(): string {
  const cpu0 = [
    page(T0, [
      data(0, exitRecord(5392, 0x80000021, 1, 0xffffffff81000000n)), // FAILED_VMENTRY | INVALID_STATE
      Buffer.concat([hdr(30, 5), word(3)]), // time extend: 3 << 27 | 5
      data(7, exitRecord(5392, 0x400, 2, 0x401000n)), // SVM npf
      Buffer.concat([hdr(29, 11), word(72), Buffer.alloc(68)]), // discarded event (padding with delta)
      data(13, exitRecord(77777, 99, 1, 0x10n)), // unknown VMX basic reason; unknown pid
      Buffer.concat([hdr(31, Number(ABS & 0x7ffffffn)), word(Number(ABS >> 27n))]), // absolute time stamp
      Buffer.concat([hdr(0, 2), word(76), exitRecord(0, 48, 1, 0x20n)]), // long form; pid 0
    ]),
    page(T0 + 6_000_000_000n, [data(0, exitRecord(5392, 12, 1, 0x30n))], 42),
  ];
  const cpu1 = [page(T0, [data(0, exitRecord(5393, 30, 1, 0x40n))])];
  const path = join(dir, 'synthetic-v6.dat');
  writeV6(path, template, layout, [cpu0.length, cpu1.length], (i: number) => (i === 0 ? cpu0 : cpu1));
  return path;
}

describe('trace.dat synthetic pages', () => {
  it('decodes exit reasons from the numbers, every record type and the missed-events count', async () => {
    const path = build();
    const events: TraceEvent[] = [];
    const diag = new Diagnostics([path]);
    const info = await readTraceDat(path, (e) => events.push(e), { diag, fileIndex: 2 });
    expect(info).toMatchObject({ version: 6, events: 6, baseTimestamp: '1.000000000', lastTimestamp: '7.000000000' });
    const brief = events.map((e) => ({
      kind: e.kind,
      ts: e.ts,
      cpu: e.cpu,
      comm: e.comm,
      ...(e.kind === 'exit'
        ? { reason: e.rawReason, code: e.exitCode, flags: [...e.flags], isa: e.isa, rip: e.rip }
        : e.kind === 'lost'
          ? { count: e.count }
          : {}),
    }));
    expect(brief).toEqual([
      { kind: 'exit', ts: 0, cpu: 0, comm: 'vmm', reason: 'INVALID_STATE', code: 0x80000021, flags: ['FAILED_VMENTRY'], isa: 'vmx', rip: 'ffffffff81000000' },
      { kind: 'exit', ts: 0, cpu: 1, comm: 'vmm', reason: 'IO_INSTRUCTION', code: 30, flags: [], isa: 'vmx', rip: '40' },
      { kind: 'exit', ts: EXT + 7, cpu: 0, comm: 'vmm', reason: 'npf', code: 0x400, flags: [], isa: 'svm', rip: '401000' },
      { kind: 'exit', ts: EXT + 7 + 11 + 13, cpu: 0, comm: '<...>', reason: '0x63', code: 99, flags: [], isa: 'vmx', rip: '10' },
      { kind: 'exit', ts: 5_000_000_002, cpu: 0, comm: '<idle>', reason: 'EPT_VIOLATION', code: 48, flags: [], isa: 'vmx', rip: '20' },
      { kind: 'lost', ts: 6_000_000_000, cpu: 0, comm: '', count: 42 },
      { kind: 'exit', ts: 6_000_000_000, cpu: 0, comm: 'vmm', reason: 'HLT', code: 12, flags: [], isa: 'vmx', rip: '30' },
    ]);
    const first = events[0] as KvmExit;
    expect(first).toMatchObject({ vcpu: 3, info1: '1234', info2: 'fee00380', intrInfo: '80000b0e', errorCode: '0', tid: 5392 });
    expect(first.source).toEqual({ file: 2, line: 1 });
    expect(events.map((e) => e.source.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(diag.count('lost_events')).toBe(42);
  });

  it('reports a commit size larger than the page as corrupt CPU data with its offset', async () => {
    const bad = page(T0, [data(0, exitRecord(1, 12, 1, 0n))]);
    bad.writeBigUInt64LE(BigInt(layout.pageSize), 8);
    const path = join(dir, 'bad-commit.dat');
    writeV6(path, template, layout, [1, 0], (i: number) => (i === 0 ? [bad] : []));
    await expect(readTraceDat(path, () => {}, { diag: new Diagnostics(), fileIndex: 0 })).rejects.toThrow(
      /CPU 0 data at offset 0x[0-9a-f]+: page commit size 4096 is larger than the page data/,
    );
  });

  it('reports an event running past the commit size', async () => {
    const bad = page(T0, [data(0, exitRecord(1, 12, 1, 0n))]);
    bad.writeBigUInt64LE(40n, 8); // commit cuts the 76-byte record
    const path = join(dir, 'bad-event.dat');
    writeV6(path, template, layout, [1, 0], (i: number) => (i === 0 ? [bad] : []));
    await expect(readTraceDat(path, () => {}, { diag: new Diagnostics(), fileIndex: 0 })).rejects.toThrow(
      /CPU 0 data at offset 0x[0-9a-f]+: event of 72 bytes runs past the page commit size/,
    );
  });
});

/**
 * Uncompressed CPU data is read in blocks of 64 pages, the next block while the current one is decoded: a file whose
 * CPUs hold many blocks (the real fixture's pages, repeated with shifted page times) must give the fixture's events
 * again and again, and a file cut short in a later block must fail at that block, as when each block was read only
 * when needed.
 */
describe('trace.dat CPU data of many read blocks', () => {
  const COPIES = 40;
  const SHIFT = 1_000_000_000_000n; // 1000 s between copies: every copy's events come after the previous copy's
  const pages = pagesOf(template, layout) as { page: Buffer }[][];
  const brief = (e: TraceEvent) => {
    const { ts: _ts, source: _source, ...rest } = e;
    return rest;
  };
  const build = (name: string): string => {
    const path = join(dir, name);
    writeV6(path, template, layout, pages.map((p) => p.length * COPIES), function* (cpu: number) {
      for (let k = 0; k < COPIES; k++) for (const { page } of pages[cpu]!) yield shiftedPage(page, SHIFT * BigInt(k));
    });
    return path;
  };

  it('gives the template events once per copy, in order, with every copy 1000 s later', async () => {
    const once: TraceEvent[] = [];
    await readTraceDat(TEMPLATE, (e) => once.push(e), { diag: new Diagnostics(), fileIndex: 0 });
    expect(Math.max(...pages.map((p) => p.length)) * COPIES).toBeGreaterThan(4 * 64); // several blocks per CPU
    const events: TraceEvent[] = [];
    const info = await readTraceDat(build('many-blocks-v6.dat'), (e) => events.push(e), { diag: new Diagnostics(), fileIndex: 0 });
    expect(info.events).toBe(once.length * COPIES);
    for (let k = 0; k < COPIES; k += 13) {
      const copy = events.slice(k * once.length, (k + 1) * once.length);
      expect(copy.map(brief)).toEqual(once.map(brief));
      expect(copy.map((e) => e.ts - once[0]!.ts)).toEqual(once.map((e) => e.ts - once[0]!.ts + k * 1e12));
    }
  });

  it('a file that shrinks while it is read fails at the block that is gone, with the section and offset', async () => {
    const path = build('many-blocks-shrinking-v6.dat');
    // The last CPU's data ends the file: it loses all but its first three blocks once reading is under way (the
    // block read ahead by then may still arrive whole; a later one cannot).
    const cpus = parseV6Layout(readFileSync(path)).cpuData as { offset: number; size: number }[];
    const last = cpus.reduce((a, c, i) => (c.size > 0 && c.offset > cpus[a]!.offset ? i : a), 0);
    let n = 0;
    const read = readTraceDat(path, () => ++n === 500 && truncateSync(path, cpus[last]!.offset + 3 * 64 * layout.pageSize + 100), { diag: new Diagnostics(), fileIndex: 0 });
    await expect(read).rejects.toThrow(new RegExp(`CPU ${last} data at offset 0x[0-9a-f]+: the file ended while reading \\(it shrank\\?\\)`));
    expect(n).toBeGreaterThan(500);
  });
});
