/**
 * Binary trace.dat reader: equivalence with `trace-cmd report` on real captures.
 *
 * (1) fixtures/tracedat/*.dat (v6, v7 uncompressed, v7 zstd; KVM, sched, lost events, two buffers): every record
 *     decoded by exitlens equals the line trace-cmd report -t prints for it — same count and order, ns
 *     timestamps, comm, pid, CPU, buffer instance, event name, key fields of KVM events, lost-event markers.
 *     Runs trace-cmd live; skipped (with the reason in the test name) when it is not installed.
 * (2) ../shared/fixtures/large/*.trace.dat (v7 zlib, tsc2nsec; Debian's trace-cmd cannot read them) against the
 *     report text made from them by a zlib-enabled trace-cmd 3.1.6: per-record name/comm/pid/CPU/time at the
 *     reports' µs precision (trace-cmd rounds ns to the nearest µs) and kvm_exit/kvm_entry fields; counts per exit
 *     reason exact. Skipped when ../shared is absent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/model/diagnostics.js';
import type { TraceEvent } from '../../src/model/events.js';
import { isTraceDat, readTraceDat, type TraceDatInfo } from '../../src/parse/tracedat/index.js';
import {
  eventName,
  keyFields,
  parseReport,
  reportKeyFields,
  timeValue,
  traceCmdAvailable,
  traceCmdReport,
} from './tracedat-report.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/tracedat/', import.meta.url));
const LARGE = fileURLToPath(new URL('../../../shared/fixtures/large/', import.meta.url));

const fixtureFiles = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.dat'))
  .sort();

async function decode(file: string): Promise<{ events: TraceEvent[]; info: TraceDatInfo; diag: Diagnostics }> {
  const diag = new Diagnostics([file]);
  const events: TraceEvent[] = [];
  const info = await readTraceDat(file, (e) => events.push(e), { diag, fileIndex: 0 });
  return { events, info, diag };
}

describe('trace.dat fixtures', () => {
  it('are all present and detected by their magic', () => {
    expect(fixtureFiles.length).toBeGreaterThanOrEqual(6);
    for (const f of fixtureFiles) expect(isTraceDat(readFileSync(join(FIXTURES, f)).subarray(0, 16))).toBe(true);
    expect(isTraceDat(Buffer.from('cpus=2\n'))).toBe(false);
  });

  it('decode with the expected versions, compression, clocks and contents', async () => {
    const infos = new Map<string, TraceDatInfo>();
    const kinds = new Map<string, Set<string>>();
    for (const f of fixtureFiles) {
      const { events, info } = await decode(join(FIXTURES, f));
      infos.set(f, info);
      kinds.set(f, new Set(events.map((e) => e.kind)));
      expect(info.events).toBe(events.filter((e) => e.kind !== 'lost').length);
      // source.line is the 1-based ordinal in output order; ts are integers from 0.
      events.forEach((e, i) => expect(e.source.line).toBe(i + 1));
      expect(events[0]?.ts).toBe(0);
      for (const e of events) expect(Number.isSafeInteger(e.ts)).toBe(true);
    }
    expect(infos.get('kvm-user-v6.dat')).toMatchObject({ version: 6, compression: null, clock: 'mono', timeUnit: 'ns', cpus: 2 });
    expect(infos.get('kvm-kernel-v7-none.dat')).toMatchObject({ version: 7, compression: null, clock: 'local' });
    expect(infos.get('kvm-user-v7-zstd-tsc.dat')).toMatchObject({
      version: 7,
      compression: 'zstd',
      clock: 'x86-tsc',
      timeUnit: 'ticks',
      buffers: ['', 'sched'],
    });
    expect(infos.get('kvm-lost-v7-zstd.dat')).toMatchObject({ compression: 'zstd', clock: 'mono' });
    expect(infos.get('sched-v7-zstd.dat')).toMatchObject({ clock: 'global' });
    expect([...(kinds.get('kvm-user-v6.dat') ?? [])].sort()).toEqual(
      ['cpuid', 'emulate_insn', 'kvm_other', 'mmio', 'other', 'pio', 'userspace_exit'].sort(),
    );
    expect(kinds.get('kvm-lost-v7-zstd.dat')?.has('lost')).toBe(true);
    expect([...(kinds.get('sched-v7-zstd.dat') ?? [])]).toEqual(['other']);
  });
});

const haveTraceCmd = traceCmdAvailable();
if (!haveTraceCmd) console.warn('tracedat.test: trace-cmd is not installed: equivalence with trace-cmd report is SKIPPED');

describe.skipIf(!haveTraceCmd)(
  `trace.dat equivalence with trace-cmd report${haveTraceCmd ? '' : ' (skipped: trace-cmd not installed)'}`,
  () => {
    for (const f of fixtureFiles) {
      it(`${f}: every record equals trace-cmd report -t`, async () => {
        const file = join(FIXTURES, f);
        const { events, info } = await decode(file);
        const report = parseReport(traceCmdReport(file));
        expect(events.length).toBe(report.length);
        const base = info.timeUnit === 'ns' ? timeValue(info.baseTimestamp) : BigInt(info.baseTimestamp);
        let compared = 0;
        let fields = 0;
        for (let i = 0; i < report.length; i++) {
          const r = report[i]!;
          const e = events[i]!;
          const where = `${f} record ${i + 1}`;
          if ('lost' in r) {
            expect(e.kind, where).toBe('lost');
            if (e.kind === 'lost') expect({ cpu: e.cpu, count: e.count, instance: e.instance }, where).toEqual(r.lost);
            continue;
          }
          const rec = r.rec;
          expect(
            { name: eventName(e), comm: e.comm, pid: e.tid, cpu: e.cpu, instance: e.instance, time: base + BigInt(e.ts) },
            where,
          ).toEqual({
            name: rec.name,
            comm: rec.comm,
            pid: rec.pid,
            cpu: rec.cpu,
            instance: rec.instance.replace(/:$/, ''),
            time: timeValue(rec.time),
          });
          const want = reportKeyFields(rec.name, rec.payload);
          if (want !== null) {
            expect(keyFields(e), `${where}: ${rec.name}: ${rec.payload}`).toBe(want);
            fields++;
          }
          compared++;
        }
        expect(compared).toBeGreaterThan(0);
        if (f.startsWith('kvm-')) expect(fields).toBeGreaterThan(0);
        // The first record's absolute time is what trace-cmd prints for it.
        const first = report.find((x) => 'rec' in x);
        if (first !== undefined && 'rec' in first) expect(info.baseTimestamp).toBe(first.rec.time);
      });
    }
  },
);

const largeFiles = existsSync(LARGE) ? readdirSync(LARGE).filter((f) => f.endsWith('.trace.dat')).sort() : [];
if (largeFiles.length === 0) console.warn('tracedat.test: ../shared/fixtures/large is absent: large trace.dat checks SKIPPED');

describe.skipIf(largeFiles.length === 0)(
  `large v7 zlib trace.dat files against their reports${largeFiles.length === 0 ? ' (skipped: ../shared absent)' : ''}`,
  () => {
    for (const f of largeFiles) {
      const reportFile = join(LARGE, f.replace(/\.trace\.dat$/, '.report-derived.txt'));
      it.skipIf(!existsSync(reportFile))(`${f}: records, µs times and exit-reason counts equal the report`, async () => {
        const { events, info } = await decode(join(LARGE, f));
        expect(info).toMatchObject({ version: 7, compression: 'zlib', timeUnit: 'ns', tsc2nsec: true, cpus: 20 });
        const report = parseReport(readFileSync(reportFile, 'utf8'));
        // Report 01 is cut after its first 20 MB; the others are complete.
        if (!f.startsWith('01-')) expect(events.length).toBe(report.length);
        expect(events.length).toBeGreaterThanOrEqual(report.length);
        const base = timeValue(info.baseTimestamp);
        const ours = new Map<string, number>();
        const theirs = new Map<string, number>();
        for (let i = 0; i < report.length; i++) {
          const r = report[i]!;
          const e = events[i]!;
          if (!('rec' in r)) throw new Error(`${f}: unexpected lost marker in the report`);
          const rec = r.rec;
          const us = (base + BigInt(e.ts) + 500n) / 1000n; // trace-cmd rounds to the nearest µs
          const where = `${f} record ${i + 1}`;
          expect({ name: eventName(e), comm: e.comm, pid: e.tid, cpu: e.cpu, us }, where).toEqual({
            name: rec.name,
            comm: rec.comm,
            pid: rec.pid,
            cpu: rec.cpu,
            us: timeValue(rec.time),
          });
          const want = reportKeyFields(rec.name, rec.payload);
          if (want !== null) expect(keyFields(e), where).toBe(want);
          if (e.kind === 'exit') {
            ours.set(e.rawReason, (ours.get(e.rawReason) ?? 0) + 1);
            const m = /^reason (.+?) rip /.exec(rec.payload);
            theirs.set(m?.[1] ?? '?', (theirs.get(m?.[1] ?? '?') ?? 0) + 1);
          }
        }
        expect(ours.size).toBeGreaterThan(5);
        expect(ours).toEqual(theirs);
      });
    }
  },
);
