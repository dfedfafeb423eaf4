/** Raw ftrace text (`trace` with header, `trace_pipe` without): sniffing and parsing real captures. */
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../src/analyze.js';
import { sniffFtrace } from '../../src/parse/ftrace.js';
import { read, sniffed } from './formats.helpers.js';

describe('ftrace', () => {
  it('sniffs the trace header, trace_pipe lines, and rejects other formats', () => {
    expect(sniffed(read('lab', 'tracefs-user-kvm-pvm.txt.gz'))).toBe('ftrace');
    expect(sniffed(read('public', '003-github-kvm-example-aout-trace-pipe.txt'))).toBe('ftrace');
    expect(sniffed(read('public', '004-linux-kvm-org-perf-events-old-trace-pipe.txt'))).toBe('ftrace');
    // Not ftrace: trace-cmd report (padded event names, cpus=) and perf script (sys:event names).
    expect(sniffFtrace(read('public', '020-kvm-list-2019-jailhouse-nested-loop-trace-cmd.txt').split('\n'))).toBeLessThan(0.5);
    expect(sniffFtrace(['{"traceEvents": []}', 'just prose here'])).toBe(0);
  });

  it('lab capture: every line accounted for, events by name, µs resolution', () => {
    const a = analyzeText(read('lab', 'tracefs-user-kvm-pvm.txt.gz')).analysis;
    expect(a.input).toMatchObject({ format: 'ftrace', lines: 25149, events: 25137, nonEventLines: 12, unrecognizedLines: 0 });
    expect(a.input.eventCounts).toMatchObject({ kvm_pio: 3025, kvm_mmio: 3000, kvm_userspace_exit: 3025, kvm_cpuid: 1000, kvm_emulate_insn: 6025 });
    expect(a.input.timestampResolutionNs).toBe(1000);
    expect(a.input.firstTimestamp).toBe('2858.168057');
    expect(a.input.lastTimestamp).toBe('2858.453010');
  });

  it('old trace_pipe (2.6.32 era, no flags, lowercase VMX reasons) pairs and classifies (#004)', () => {
    const a = analyzeText(read('public', '004-linux-kvm-org-perf-events-old-trace-pipe.txt')).analysis;
    expect(a.roundTrips).toMatchObject({ exits: 2, complete: 2 });
    expect(a.exitReasons.map((r) => `${r.isa}:${r.reason}`).sort()).toEqual(['vmx:APIC_ACCESS', 'vmx:IO_INSTRUCTION']);
    expect(a.devices.map((d) => d.addressHex).sort()).toEqual(['0xc13e', '0xfee000b0']);
  });

  it('4-char flags, trailing-space kvm_pio, real-mode emulation (#003)', () => {
    const a = analyzeText(read('public', '003-github-kvm-example-aout-trace-pipe.txt')).analysis;
    expect(a.roundTrips).toMatchObject({ exits: 5, complete: 4, orphanExits: 1 });
    expect(Object.fromEntries(a.mechanisms.map((m) => [m.mechanism, m.count]))).toEqual({ 'page-fault': 2, 'pio-vmm': 2 });
    expect(a.devices[0]).toMatchObject({ addressHex: '0x3f8', name: expect.stringMatching(/COM1/) });
  });

  it('lost-event markers and integer (counter clock) timestamps', () => {
    const t = [
      '# tracer: nop',
      '           <...>-105662 [002] d..1. 117471684343752: kvm_exit: reason HLT rip 0x1 info 0 0',
      'CPU:2 [LOST 17 EVENTS]',
      '           <...>-105662 [002] d..1. 117471684345752: kvm_entry: vcpu 0',
    ].join('\n');
    const a = analyzeText(t).analysis;
    expect(a.input.timeUnit).toBe('ticks');
    expect(a.roundTrips.discardedLost).toBe(1);
    expect(a.input.diagnostics.byCode.find((d) => d.code === 'lost_events')?.count).toBe(17);
    const g = analyzeText(`${t}\n           <...>-105662 [002] d..1. 117471684346752: kvm_exit: reason HLT rip 0x1 info 0 0\n           <...>-105662 [002] d..1. 117471684348752: kvm_entry: vcpu 0\n`, {
      tscGhz: 2,
    }).analysis;
    expect(g.input.timeUnit).toBe('ns');
    expect(g.mechanisms[0]?.p50Ns).toBe(1000); // 2000 ticks at 2 GHz
  });
});
