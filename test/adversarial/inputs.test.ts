/**
 * Adversarial inputs, each with its defined outcome (exit code, message, bounded memory), inside `npm test` time:
 * the big ones (a 1 GB line, 10^6 exits, 10^6 accesses) are streamed through a FIFO from a generator that reuses
 * one buffer, so neither the test nor exitlens ever holds them.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeFiles, analyzeText } from '../../src/analyze.js';
import type { Analysis } from '../../src/model/analysis.js';
import { MAX_THREADS } from '../../src/stats/summarize.js';
import { cli, fixture } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'exitlens-adv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (content: string | Buffer, ext = '.txt'): string => {
  const p = join(dir, `in-${n++}${ext}`);
  writeFileSync(p, content);
  return p;
};
const codes = (a: Analysis): Record<string, number> =>
  Object.fromEntries(a.input.diagnostics.byCode.map((d) => [d.code, d.count]));

/** A FIFO fed from `chunks` (written as the reader drains it): input of any size without holding it. */
function fifo(chunks: () => Generator<Buffer>): string {
  const p = join(dir, `fifo-${n++}`);
  execFileSync('mkfifo', [p]);
  const w = createWriteStream(p, { highWaterMark: 1 << 20 });
  const it = chunks();
  const pump = (): void => {
    for (;;) {
      const r = it.next();
      if (r.done === true) {
        w.end();
        return;
      }
      if (!w.write(r.value)) {
        w.once('drain', pump);
        return;
      }
    }
  };
  w.once('open', pump);
  return p;
}

/** Peak resident memory growth (bytes) while `f` runs, sampled every 20 ms. */
async function peakGrowth<T>(f: () => Promise<T>): Promise<{ value: T; growth: number }> {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const value = await f();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, growth: peak - base };
  } finally {
    clearInterval(t);
  }
}

const EXIT = (tid: number, ts: string) => ` qemu-${tid} [000] ${ts}: kvm_exit: reason HLT rip 0xffffffff81036706 info 0 0\n`;
const ENTRY = (tid: number, ts: string) => ` qemu-${tid} [000] ${ts}: kvm_entry: vcpu 0, rip 0xffffffff81036706\n`;
/** `secs.usecs` for i µs after 100 s. */
const us = (i: number) => `${100 + Math.floor(i / 1e6)}.${String(i % 1e6).padStart(6, '0')}`;

describe('adversarial inputs', () => {
  it('empty file: exit 2, "the input is empty"', () => {
    const r = cli(['analyze', file('')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/in-\d+\.txt: not a KVM trace exitlens can read \(the input is empty\)/);
  });

  it('only headers: exit 0, an empty analysis that says so', () => {
    const headers = [
      '# tracer: nop',
      '#',
      '# entries-in-buffer/entries-written: 0/0   #P:4',
      '#',
      '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
      '#              | |         |   |||||     |         |',
      '',
    ].join('\n');
    const r = cli(['analyze', '--json', file(headers)]);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout) as Analysis;
    expect(a.input).toMatchObject({ lines: 6, events: 0, nonEventLines: 6, unrecognizedLines: 0 });
    expect(a.roundTrips.exits).toBe(0);
    expect(cli(['analyze', '--json', file('cpus=4\n')]).code).toBe(0);
  });

  it('binary file: exit 2, "binary data"', () => {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(200, 0), Buffer.from('kvm_exit')]);
    const r = cli(['analyze', file(elf, '.bin')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/in-\d+\.bin: not a KVM trace exitlens can read \(binary data/);
  });

  it('invalid UTF-8 in a record and in prose: records read, invalid_utf8 warning with file:line', () => {
    const bytes = Buffer.concat([
      Buffer.from(EXIT(7, '1.000001')),
      Buffer.from('prose \xff\xfe broken\n', 'latin1'),
      Buffer.from(' qemu-7 [000] 1.000005: kvm_entry: vcpu 0, rip 0xffffffff81036706 \xc3\x28\n', 'latin1'),
    ]);
    const r = cli(['analyze', '--json', file(bytes)]);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout) as Analysis;
    expect(a.input.eventCounts).toEqual({ kvm_exit: 1, kvm_entry: 1 });
    const bad = a.input.diagnostics.byCode.find((d) => d.code === 'invalid_utf8')!;
    expect(bad.count).toBe(2);
    expect(bad.samples.map((s) => s.line)).toEqual([2, 3]);
  });

  it('NUL bytes: in the first 4 KiB the input is binary (exit 2); later they are counted lines', () => {
    expect(cli(['analyze', file(Buffer.concat([Buffer.from(EXIT(1, '1.000001')), Buffer.alloc(16, 0)]))]).code).toBe(2);
    // A crash-truncated file whose tail was zero-filled: the records before the zeros are read.
    const text = Array.from({ length: 80 }, (_, i) => EXIT(1, us(2 * i)) + ENTRY(1, us(2 * i + 1))).join('');
    const bytes = Buffer.concat([Buffer.from(text), Buffer.alloc(8192, 0), Buffer.from('\n')]);
    const r = cli(['analyze', '--json', file(bytes)]);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout) as Analysis;
    expect(a.roundTrips).toMatchObject({ exits: 80, complete: 80 });
    expect(a.input).toMatchObject({ lines: 161, unrecognizedLines: 1 });
  });

  it('CRLF line ends: the same analysis as LF', () => {
    const lf = readFixture('020-kvm-list-2019-jailhouse-nested-loop-trace-cmd.txt');
    const a = analyzeText(lf).analysis;
    const b = analyzeText(lf.replace(/\n/g, '\r\n')).analysis;
    expect({ ...b, input: { ...b.input, bytes: 0 } }).toEqual({ ...a, input: { ...a.input, bytes: 0 } });
  });

  it('a single 1 GB line (streamed): long_line error, the records around it read, memory flat', async () => {
    const mib = Buffer.alloc(1 << 20, 0x61); // one reused 1 MiB buffer of 'a'
    const path = fifo(function* () {
      yield Buffer.from(EXIT(3, '1.000001') + ENTRY(3, '1.000004'));
      for (let i = 0; i < 1024; i++) yield mib;
      yield Buffer.from('\n' + EXIT(3, '1.000010') + ENTRY(3, '1.000012'));
    });
    const { value: run, growth } = await peakGrowth(() => analyzeFiles([path]));
    const a = run.analysis;
    expect(a.input).toMatchObject({ lines: 5, events: 4, unrecognizedLines: 1 });
    expect(a.roundTrips).toMatchObject({ exits: 2, complete: 2 });
    const long = a.input.diagnostics.byCode.find((d) => d.code === 'long_line')!;
    expect(long).toMatchObject({ severity: 'error', count: 1 });
    expect(long.samples[0]).toMatchObject({ line: 3, text: `<${1 << 30} bytes>` });
    expect(growth).toBeLessThan(256 * 1024 * 1024);
  });

  it('a line over the 1 MiB limit first: the trace after it is still found; alone it is exit 2 with why', () => {
    const big = 'x'.repeat(2 << 20);
    const a = JSON.parse(cli(['analyze', '--json', file(`${big}\n${EXIT(4, '1.000001')}${ENTRY(4, '1.000003')}`)]).stdout) as Analysis;
    expect(a.input).toMatchObject({ lines: 3, events: 2, unrecognizedLines: 1 });
    expect(a.roundTrips.complete).toBe(1);
    const only = cli(['analyze', file(big)]);
    expect(only.code).toBe(2);
    expect(only.stderr).toMatch(/no trace record, only a line of 2097152 bytes \(over the 1 MiB line limit\)/);
  });

  it('quoted-printable soft breaks without end (streamed 64 MiB): joined only up to the 1 MiB line limit', async () => {
    const chunk = Buffer.from('abcdefghij='.padEnd(76, 'x') + '=\n'); // 78-byte lines that all end in a soft break
    const path = fifo(function* () {
      yield Buffer.from('Content-Transfer-Encoding: quoted-printable\n\n' + EXIT(8, '1.000001') + ENTRY(8, '1.000002'));
      const block = Buffer.concat(Array(13_000).fill(chunk)); // ~1 MiB
      for (let i = 0; i < 64; i++) yield block;
      yield Buffer.from('\n' + EXIT(8, '1.000005') + ENTRY(8, '1.000007'));
    });
    const { value: run, growth } = await peakGrowth(() => analyzeFiles([path]));
    const a = run.analysis;
    expect(a.roundTrips).toMatchObject({ exits: 2, complete: 2 });
    expect(a.input.lines).toBe(4 + 64 * 13_000 + 1 + 2);
    expect(a.input.events + a.input.nonEventLines + a.input.unrecognizedLines).toBe(a.input.lines);
    // 64 MiB of joined text is cut into logical lines of ~1 MiB (one unrecognized line each), never one string.
    const pieces = codes(a).unrecognized_line ?? 0;
    expect(pieces).toBeGreaterThanOrEqual(60);
    expect(pieces).toBeLessThanOrEqual(70);
    expect(growth).toBeLessThan(256 * 1024 * 1024);
  });

  it.skipIf(!existsSync('/proc/self/fd'))('rejected inputs release their file descriptor (300 binary files in a row)', async () => {
    const p = file(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0]), '.bin');
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 300; i++) await expect(analyzeFiles([p])).rejects.toThrow(/binary data/);
    await new Promise((r) => setTimeout(r, 50));
    expect(open() - before).toBeLessThan(10);
  });

  it('timestamps going backwards on one CPU: time_backwards warning, negative trips not timed', () => {
    const t = EXIT(5, '2.000010') + ENTRY(5, '2.000004') + EXIT(5, '2.000020') + ENTRY(5, '2.000025');
    const a = analyzeText(t).analysis;
    expect(a.roundTrips).toMatchObject({ exits: 2, complete: 1, negative: 1 });
    expect(codes(a)).toMatchObject({ time_backwards: 1, negative_duration: 1 });
    expect(a.mechanisms[0]).toMatchObject({ count: 1, minNs: 5000, maxNs: 5000 });
  });

  it('10^6 exits without entries (streamed): every one an orphan, memory bounded', async () => {
    const N = 1_000_000;
    const path = fifo(function* () {
      const per = 10_000;
      for (let i = 0; i < N; i += per) {
        let s = '';
        for (let k = i; k < i + per; k++) s += EXIT(42, us(k));
        yield Buffer.from(s);
      }
    });
    const { value: run, growth } = await peakGrowth(() => analyzeFiles([path]));
    const a = run.analysis;
    expect(a.input.events).toBe(N);
    expect(a.roundTrips).toMatchObject({ exits: N, entries: 0, complete: 0, orphanExits: N });
    expect(codes(a).orphan_exit).toBe(N);
    expect(a.mechanisms).toEqual([]);
    expect(growth).toBeLessThan(256 * 1024 * 1024);
  });

  it('10^6 accesses and no kvm_exit/kvm_entry at all (streamed): every access classified, memory bounded', async () => {
    // A trace of fixtures/lab's kind (a host whose KVM emits no exits or entries): whether it is one is known only
    // at its end, and its access units were once all kept until then (~0.5 KB each).
    const N = 1_000_000;
    const PIO = (i: number) => ` vcpu-7 [001] ${us(i)}: kvm_pio: pio_write at 0x20 size 1 count 1 val 0xcd\n`;
    const path = fifo(function* () {
      const per = 10_000;
      for (let i = 0; i < N; i += per) {
        let s = '';
        for (let k = i; k < i + per; k++) s += PIO(k);
        yield Buffer.from(s);
      }
    });
    const { value: run, growth } = await peakGrowth(() => analyzeFiles([path]));
    const a = run.analysis;
    expect(a.mode).toBe('accesses');
    expect(a.input.events).toBe(N);
    expect(a.roundTrips).toMatchObject({ accesses: N, classified: N });
    expect(a.devices).toMatchObject([{ space: 'pio', address: 0x20, count: N }]);
    expect(growth).toBeLessThan(256 * 1024 * 1024);
  });

  it('10^5 distinct vCPU threads: every round trip classified, thread rows capped (thread_limit)', () => {
    const N = 100_000;
    let s = '';
    for (let i = 0; i < N; i++) s += EXIT(1000 + i, us(2 * i)) + ENTRY(1000 + i, us(2 * i + 1));
    const a = analyzeText(s).analysis;
    expect(a.roundTrips).toMatchObject({ exits: N, complete: N, classified: N });
    expect(a.mechanisms).toMatchObject([{ mechanism: 'hlt', count: N }]);
    expect(a.vcpus.length).toBe(MAX_THREADS + 1);
    expect(a.vcpus.find((v) => v.thread === '(other threads)')?.count).toBe(N - MAX_THREADS);
    expect(codes(a).thread_limit).toBe(N - MAX_THREADS); // round trips merged into that row
  });

  it('a truncated last line: truncated_line (data loss), the records before it read; --strict passes', () => {
    const t = EXIT(9, '1.000001') + ENTRY(9, '1.000003') + ' qemu-9 [000] 1.000007: kvm_exit: reason HL';
    const a = analyzeText(t).analysis;
    expect(a.roundTrips).toMatchObject({ exits: 2, complete: 1, orphanExits: 1 });
    expect(codes(a)).toMatchObject({ truncated_line: 1 });
    expect(codes(a).bad_payload).toBeUndefined();
    expect(cli(['analyze', '--strict', file(t)]).code).toBe(0);
    // Cut inside the header: not a record any more, still counted as the truncated line.
    const b = analyzeText(`${EXIT(9, '1.000001')} qemu-9 [00`).analysis;
    expect(codes(b)).toMatchObject({ truncated_line: 1 });
    expect(b.input).toMatchObject({ lines: 2, events: 1, unrecognizedLines: 1 });
  });

  it('a gzip file cut in half: truncated_input error, records before the cut read; --strict exits 1', () => {
    const text = Array.from({ length: 4000 }, (_, i) => EXIT(11, us(3 * i)) + ENTRY(11, us(3 * i + 2))).join('');
    const gz = gzipSync(text);
    const half = file(gz.subarray(0, gz.length >> 1), '.gz');
    const r = cli(['analyze', '--json', half]);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout) as Analysis;
    const t = a.input.diagnostics.byCode.find((d) => d.code === 'truncated_input')!;
    expect(t).toMatchObject({ severity: 'error', count: 1 });
    expect(a.roundTrips.complete).toBeGreaterThan(1000);
    expect(a.roundTrips.complete).toBeLessThan(4000);
    expect(a.input.events + a.input.nonEventLines + a.input.unrecognizedLines).toBe(a.input.lines);
    expect(cli(['analyze', '--strict', half]).code).toBe(1);
  });
});

function readFixture(name: string): string {
  return execFileSync('cat', [fixture('public', name)], { encoding: 'utf8' });
}
