/** Pairing edge cases: one inline trace per failure mode (speedscope-style one fixture per pairing failure). */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers.js';

const L = (tid: number, cpu: number, ts: string, ev: string, p: string, comm = 'qemu-system-x86') =>
  `${comm}-${tid} [${String(cpu).padStart(3, '0')}] ${ts}: ${ev.padEnd(21)}${p}`;
const ex = (tid: number, cpu: number, ts: string, reason = 'HLT') => L(tid, cpu, ts, 'kvm_exit:', `reason ${reason} rip 0x1 info 0 0`);
const en = (tid: number, cpu: number, ts: string, vcpu = 0) => L(tid, cpu, ts, 'kvm_entry:', `vcpu ${vcpu} rip 0x1`);

function analyze(lines: string[]) {
  return run(['cpus=8', ...lines].join('\n') + '\n').analysis;
}

describe('pairing', () => {
  it('two VMs whose threads both print vcpu 0 are paired by thread, not by vcpu id', () => {
    const a = analyze([
      en(1, 0, '1.000000'),
      en(2, 1, '1.000001'),
      ex(1, 0, '1.000010'),
      ex(2, 1, '1.000011'),
      en(2, 1, '1.000021'), // thread 2: 10 µs
      en(1, 0, '1.000040'), // thread 1: 30 µs
    ]);
    expect(a.roundTrips.complete).toBe(2);
    const byTid = Object.fromEntries(a.vcpus.map((v) => [v.tid, v.maxNs]));
    expect(byTid).toEqual({ 1: 30000, 2: 10000 });
  });

  it('a vCPU thread migrating between host CPUs stays one thread', () => {
    const a = analyze([ex(1, 0, '1.000000'), en(1, 3, '1.000005'), ex(1, 3, '1.000010'), en(1, 5, '1.000012')]);
    expect(a.roundTrips).toMatchObject({ complete: 2, orphanExits: 0, orphanEntries: 0 });
    expect(a.vcpus).toHaveLength(1);
  });

  it('orphans: a trace that starts with an entry and ends with an exit', () => {
    const a = analyze([en(1, 0, '1.000000'), ex(1, 0, '1.000010'), en(1, 0, '1.000012'), ex(1, 0, '1.000020')]);
    expect(a.roundTrips).toMatchObject({ exits: 2, entries: 2, complete: 1, orphanEntries: 1, orphanExits: 1 });
  });

  it('an exit followed by another exit: the first is an orphan, never a bogus latency', () => {
    const a = analyze([ex(1, 0, '1.000000'), ex(1, 0, '1.000500'), en(1, 0, '1.000502')]);
    expect(a.roundTrips).toMatchObject({ complete: 1, orphanExits: 1 });
    expect(a.mechanisms[0]?.maxNs).toBe(2000);
  });

  it('negative durations are counted and excluded', () => {
    const a = analyze([ex(1, 0, '1.000010'), en(1, 0, '1.000001')]);
    expect(a.roundTrips).toMatchObject({ complete: 0, negative: 1 });
    expect(a.mechanisms).toHaveLength(0);
  });

  it('a lost-event marker discards the round trip it touches on that CPU only', () => {
    const a = analyze([
      ex(1, 0, '1.000000'),
      ex(2, 1, '1.000000'),
      'CPU:0 [123 EVENTS DROPPED]',
      en(1, 0, '1.000900'), // untrustworthy: the real entry (and more) may be among the lost events
      en(2, 1, '1.000004'),
      ex(1, 0, '1.001000'),
      en(1, 0, '1.001003'), // clean again
    ]);
    expect(a.roundTrips).toMatchObject({ complete: 2, discardedLost: 1 });
    expect(a.input.diagnostics.byCode.find((d) => d.code === 'lost_events')?.count).toBe(123);
  });

  it('every exit is accounted for exactly once', () => {
    const a = analyze([
      en(1, 0, '1.0'),
      ex(1, 0, '1.1'),
      en(1, 0, '1.2'),
      ex(1, 0, '1.3'),
      ex(1, 0, '1.4'),
      en(1, 0, '1.35'),
      'CPU:0 [LOST 5 EVENTS]',
      ex(1, 0, '1.5'),
      en(1, 0, '1.6'),
      ex(1, 0, '1.7'),
    ]);
    const r = a.roundTrips;
    expect(r.complete + r.untimed + r.negative + r.discardedLost + r.orphanExits).toBe(r.exits);
  });
});

describe('bounded rows', () => {
  it('garbage exit reasons beyond the row limit merge into one row, counted', () => {
    const lines: string[] = [];
    for (let i = 0; i < 1100; i++) {
      lines.push(ex(1, 0, `1.${String(i * 10).padStart(6, '0')}`, `JUNK_${i}`), en(1, 0, `1.${String(i * 10 + 2).padStart(6, '0')}`));
    }
    const a = analyze(lines);
    expect(a.roundTrips.complete).toBe(1100);
    expect(a.exitReasons.length).toBeLessThanOrEqual(1025);
    expect(a.exitReasons.find((r) => r.reason === '(other reasons)')?.count).toBe(1100 - 1024);
    expect(a.input.diagnostics.byCode.find((d) => d.code === 'reason_limit')?.count).toBe(1100 - 1024);
  });
});
