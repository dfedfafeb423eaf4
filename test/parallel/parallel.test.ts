/**
 * The parallel path (src/parallel/) must give exactly the single pass's analysis: the same JSON, byte for byte,
 * timeline and diagnostics (with their line numbers) included — on real fixtures and generated traces, at many
 * split points, including traces with lost-event markers, exit reasons that name no ISA (deferred to the main
 * thread), dropped entries, comments, and pasted-text damage in the middle (the range is then re-read by the
 * main thread). Each case also checks that ranges really were parsed by workers and stitched, so that the
 * comparison cannot pass by falling back to the single pass.
 *
 * The workers run the compiled build (dist/parallel/worker.js): `npm test` builds first.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeFiles, type AnalysisRun, type AnalyzeOptions } from '../../src/analyze.js';
import { mulberry32 } from '../../src/costmodel/bootstrap.js';
import { prewarm } from '../../src/parallel/pool.js';
import { fixture, HAS_SHARED_LARGE, ROOT, sharedLarge } from '../helpers.js';

const HAS_WORKER_BUILD = existsSync(join(ROOT, 'dist', 'parallel', 'worker.js'));
const dir = mkdtempSync(join(tmpdir(), 'exitlens-parallel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function generated(format: string, lines: number, seed = 1): string {
  const out = join(dir, `${format}-${lines}-${seed}.txt`);
  if (!existsSync(out)) {
    execFileSync(process.execPath, [join(ROOT, 'bench', 'generate.mjs'), '--lines', String(lines), '--format', format, '--seed', String(seed), '--out', out]);
  }
  return out;
}

/** Split sets for a file of `size` bytes: halves, thirds, 7 even cuts, 6 random sets of 1–7 cuts. */
function splitSets(size: number, seed: number): number[][] {
  const r = mulberry32(seed); // seeded: the random split points are the same on every run
  const sets = [[size / 2], [size / 3, (2 * size) / 3], Array.from({ length: 7 }, (_, i) => ((i + 1) * size) / 8)];
  for (let k = 0; k < 6; k++) sets.push(Array.from({ length: 1 + Math.floor(r() * 7) }, () => r() * size));
  return sets.map((s) => s.map(Math.floor));
}

const json = (r: AnalysisRun) => JSON.stringify(r.analysis);

/**
 * Compare single pass and every split; returns how many ranges were stitched over all splits. `extra`: more options
 * for the parallel runs (work stealing at small sizes).
 */
async function expectIdentical(path: string, seed = 7, extra: AnalyzeOptions = {}): Promise<{ ranges: number; stitched: number }> {
  const single = await analyzeFiles([path], { timeline: true, threads: 1 });
  expect(single.parallel).toBeNull();
  const want = json(single);
  let ranges = 0;
  let stitched = 0;
  for (const splitAt of splitSets(statSync(path).size, seed)) {
    const par = await analyzeFiles([path], { timeline: true, splitAt, ...extra });
    expect(par.parallel, `split ${splitAt.join(',')}`).not.toBeNull();
    ranges += par.parallel!.ranges;
    stitched += par.parallel!.stitched;
    const got = json(par);
    if (got !== want) {
      // Show the first differing part, not two megabytes of JSON.
      let i = 0;
      while (i < want.length && want[i] === got[i]) i++;
      expect(got.slice(Math.max(0, i - 200), i + 200), `split at ${splitAt.join(',')}`).toBe(want.slice(Math.max(0, i - 200), i + 200));
    }
  }
  return { ranges, stitched };
}

describe.skipIf(!HAS_WORKER_BUILD)('parallel path = single pass', () => {
  it.each(['trace-cmd', 'ftrace', 'perf-script'])('generated %s trace (30k lines), 9 split sets', async (format) => {
    const { ranges, stitched } = await expectIdentical(generated(format, 30000));
    // Every range after the first was parsed by a worker (the sniff window is far smaller than any range here,
    // except random cuts that land inside it).
    expect(stitched).toBeGreaterThan(ranges / 2);
  });

  it.each(['trace-cmd', 'perf-script'])('work stealing: %s trace split again while read (16 KiB reads, 64 KiB splits), same result', async (format) => {
    // Ranges split by threads that ran out of work: the main thread's range 0, a worker's, and the main thread's
    // own worker-mode ranges, at whatever line the reads had reached.
    const path = generated(format, 30000, 8);
    const { ranges, stitched } = await expectIdentical(path, 29, { stealMinBytes: 64 << 10, chunkSize: 16 << 10 });
    const sets = splitSets(statSync(path).size, 29);
    const fixed = sets.reduce((t, s) => t + new Set(s).size + 1, 0);
    expect(ranges).toBeGreaterThan(fixed);
    expect(stitched).toBeGreaterThan(ranges / 2);
  });

  it.each(['trace-cmd', 'ftrace'])('no fixed split (as the CLI runs): a ready worker takes its share of range 0, %s, same result', async (format) => {
    // Without `splitAt` range 0 is the whole file; a worker that is ready when the format is decided (here: started
    // and loaded before the run) gets half of what the main thread has not read yet, and work stealing follows.
    const path = generated(format, 30000, 12);
    const want = json(await analyzeFiles([path], { timeline: true, threads: 1 }));
    for (const chunkSize of [16 << 10, 1 << 20]) {
      await prewarm(1);
      const par = await analyzeFiles([path], { timeline: true, threads: 2, parallelMinBytes: 0, stealMinBytes: 64 << 10, chunkSize });
      expect(par.parallel!.ranges, `chunk ${chunkSize}`).toBeGreaterThanOrEqual(2);
      expect(par.parallel!.stitched, `chunk ${chunkSize}`).toBeGreaterThanOrEqual(1);
      expect(json(par)).toBe(want);
    }
  });

  it('hostile trace: lost markers, reasons without ISA, dropped entries, comments, interrupts of every kind', async () => {
    const src = readFileSync(generated('ftrace', 30000, 3), 'utf8').split('\n');
    const r = mulberry32(11);
    const out: string[] = [];
    for (const l of src) {
      const x = r();
      if (x < 0.004) out.push(`CPU:${Math.floor(r() * 12)} [LOST ${1 + Math.floor(r() * 50)} EVENTS]`);
      else if (x < 0.005) out.push('# a comment in the middle');
      if (x > 0.995 && l.includes('kvm_entry:')) continue; // an entry lost without a marker: orphan exit + entry
      // Numeric reasons name no ISA: their class needs the whole input's ISA votes (deferred to the main thread).
      out.push(x > 0.9 ? l.replace('reason HLT rip', 'reason 0xc rip') : l);
    }
    const path = join(dir, 'hostile.txt');
    writeFileSync(path, out.join('\n'));
    const { stitched } = await expectIdentical(path, 5);
    expect(stitched).toBeGreaterThan(0);
    // And with ranges split while they are read (the lost markers and deferred trips then land in stolen ranges).
    await expectIdentical(path, 31, { stealMinBytes: 64 << 10, chunkSize: 16 << 10 });
    const a = (await analyzeFiles([path], { threads: 1 })).analysis;
    expect(a.roundTrips.discardedLost).toBeGreaterThan(0);
    expect(a.roundTrips.orphanExits).toBeGreaterThan(0);
  });

  it('lost-event markers exactly at range starts taint the threads the worker has not synced yet', async () => {
    // Each marker names the host CPU of the record after it, and a range starts at each marker: the vCPU thread on
    // that CPU has not synced in the range yet, so only the main thread's replay can taint its open round trip.
    const src = readFileSync(generated('ftrace', 30000, 6), 'utf8').split('\n');
    const out: string[] = [];
    const at: number[] = [];
    let bytes = 0;
    src.forEach((l, i) => {
      const cpu = /\[(\d+)\]/.exec(l)?.[1];
      if (i > 1000 && i % 3000 === 0 && cpu !== undefined) {
        at.push(bytes);
        const m = `CPU:${Number(cpu)} [LOST 7 EVENTS]`;
        out.push(m);
        bytes += m.length + 1;
      }
      out.push(l);
      bytes += Buffer.byteLength(l) + 1;
    });
    const path = join(dir, 'lost-at-splits.txt');
    writeFileSync(path, out.join('\n'));
    const single = await analyzeFiles([path], { timeline: true, threads: 1 });
    expect(single.analysis.roundTrips.discardedLost).toBeGreaterThan(0);
    const par = await analyzeFiles([path], { timeline: true, splitAt: at, stealMinBytes: Infinity });
    expect(par.parallel).toEqual({ ranges: at.length + 1, stitched: at.length });
    expect(json(par)).toBe(json(single));
  });

  it('pasted-text damage in the middle switches repair on: later ranges are re-read by the main thread, same result', async () => {
    const src = readFileSync(generated('trace-cmd', 20000, 4), 'utf8').split('\n');
    const mid = Math.floor(src.length / 2);
    // A mail client wrapped these records before ` rip` (the continuation holds the rest of the payload).
    const wrapped = src.slice(mid, mid + 50).flatMap((l) => {
      const i = l.indexOf(' rip ');
      return l.includes('kvm_exit:') && i > 0 ? [l.slice(0, i), l.slice(i + 1)] : [l];
    });
    const path = join(dir, 'damaged.txt');
    writeFileSync(path, [...src.slice(0, mid), ...wrapped, ...src.slice(mid + 50)].join('\n'));
    const single = await analyzeFiles([path], { threads: 1 });
    expect(single.analysis.input.diagnostics.byCode.map((d) => d.code)).toContain('repaired_rejoined');
    await expectIdentical(path, 9);
  });

  it('unterminated last line (a capture cut short) in the last range', async () => {
    const src = readFileSync(generated('trace-cmd', 20000, 5), 'utf8');
    const path = join(dir, 'cut.txt');
    writeFileSync(path, src.slice(0, src.trimEnd().length - 17));
    await expectIdentical(path, 13);
  });

  it('an evidence line in a range head is the memoized event its range later keeps in a trip: stitched once', async () => {
    // The worker makes the event of a range's first kvm_pio of thread 7002 (a thread it does not know yet: the
    // range's head) and memoizes it; later lines with that payload reach its pairer as that very object
    // (pushChildAt), and the range ends inside a trip that keeps it. Both arrive as one object on the main thread,
    // whose line numbers must be shifted once: the head's stray access must point at its own line.
    const line = (tid: number, us: number, name: string, payload: string) =>
      ` CPU ${tid % 10}/KVM-${tid}  [00${tid % 4}]  100.${String(us).padStart(6, '0')}: ${name}: ${payload}`;
    const io = 'reason IO_INSTRUCTION rip 0x1015b info 200000 0';
    const pio = 'pio_read at 0x71 size 1 count 1 val 0x3';
    const out: string[] = [];
    let us = 0;
    const trip = (tid: number, child: string) => {
      out.push(line(tid, ++us, 'kvm_exit', io), line(tid, ++us, 'kvm_pio', child), line(tid, ++us, 'kvm_entry', 'vcpu 0 rip 0x1015d'));
    };
    for (let k = 0; k < 300; k++) for (const tid of [7001, 7002]) trip(tid, 'pio_write at 0x20 size 1 count 1 val 0xcd');
    const at: number[] = [];
    const bytes = () => out.reduce((n, l) => n + l.length + 1, 0);
    at.push(bytes());
    // Range 1: a stray access of 7002 first (no trip open), then trips with the same payload; it ends inside one.
    out.push(line(7002, ++us, 'kvm_pio', pio));
    for (let k = 0; k < 50; k++) for (const tid of [7001, 7002]) trip(tid, pio);
    out.push(line(7002, ++us, 'kvm_exit', io), line(7002, ++us, 'kvm_pio', pio));
    at.push(bytes());
    out.push(line(7002, ++us, 'kvm_entry', 'vcpu 0 rip 0x1015d'));
    for (let k = 0; k < 50; k++) for (const tid of [7001, 7002]) trip(tid, pio);
    const path = join(dir, 'memoized-head.txt');
    writeFileSync(path, `${out.join('\n')}\n`);
    const single = await analyzeFiles([path], { timeline: true, threads: 1 });
    const stray = single.analysis.input.diagnostics.byCode.find((d) => d.code === 'stray_access');
    expect(stray?.samples[0]?.line).toBe(300 * 2 * 3 + 1);
    const par = await analyzeFiles([path], { timeline: true, splitAt: at, stealMinBytes: Infinity });
    expect(par.parallel).toEqual({ ranges: 3, stitched: 2 });
    expect(json(par)).toBe(json(single));
  });

  it('real lab capture (access mode, no kvm_exit): the same result, read by the main thread', async () => {
    const path = join(dir, 'lab.txt');
    writeFileSync(path, gunzipSync(readFileSync(fixture('lab', 'tracefs-user-kvm-pvm.txt.gz'))));
    const { stitched } = await expectIdentical(path, 17);
    // No round trip ever completes, so no quantum is fixed and no worker is started.
    expect(stitched).toBe(0);
  });

  it.each(['016-blog-qemu-kvm-1gb-pages-trace-cmd-report.txt', '019-kvm-list-2023-ept-violation-deadlock-flowed.txt', '027-kvm-list-2023-arm64-nv-kvm-exit-hsr-ec-wrapped.txt'])(
    'public fixture %s',
    async (f) => {
      await expectIdentical(fixture('public', f), 19);
    },
  );

  it.skipIf(!HAS_SHARED_LARGE)('large real Intel captures (../shared): two VMs, 110k exits, all events, exit-only grep', { timeout: 240_000 }, async () => {
    for (const f of [
      '01-hip24-thesis-host-2vms-110k.report-derived.txt',
      '02-hip24-thesis-host-2vms-23k.report-derived.txt',
      '05-hip24-thesis-host-report-all-events.txt',
      '06-hip24-thesis-kvm-exit-only-grep-noapic.txt',
    ]) {
      const { ranges, stitched } = await expectIdentical(sharedLarge(f), 23);
      if (f.startsWith('0') && !f.startsWith('06')) expect(stitched, f).toBeGreaterThan(ranges / 2);
    }
  });
});
