/**
 * The block lane (fast-lane.ts `block`, its WebAssembly scanner scan/block.ts) parses whole plain chunks and leaves
 * every line it does not take to `line` and the text parser. Whatever it takes must come out exactly as the text path
 * reads it; the scanner's tables (payload memo, comms, names) must never hand back another line's payload or comm.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeText } from '../../src/analyze.js';
import { AccessGrouper } from '../../src/pair/accesses.js';
import { MAX_CHILDREN, RoundTripPairer } from '../../src/pair/round-trips.js';
import { FastLane } from '../../src/parse/fast-lane.js';
import { BlockScanner, NEW, NONE, R_COMM, R_COMM_END, R_COMM_START, R_CPU, R_DIGITS, R_END, R_FRAC, R_MEMO, R_NAME, R_NAME_END, R_NAME_START, R_PAYLOAD_END, R_PAYLOAD_START, R_START, R_TS_END, R_TS_START } from '../../src/parse/block-scanner.js';
import { isPlain } from '../../src/parse/lines.js';
import { REPAIR_CODES } from '../../src/parse/repair/index.js';
import { expectSameStream } from './stream.js';

/** trace-cmd report lines of several shapes, with lines the block lane must leave to the others in between. */
const TRACE_CMD = [
  'cpus=4',
  ' CPU 0/KVM-4001  [000]  100.000001: kvm_exit:             reason HLT rip 0xffffffff81000001 info 0 0',
  ' CPU 0/KVM-4001  [000]  100.000009: kvm_entry:            vcpu 0 rip 0xffffffff81000002',
  ' CPU 1/KVM-4002  [001]  100.000010: kvm_exit:             reason IO_INSTRUCTION rip 0x1015b info 200000 0',
  ' CPU 1/KVM-4002  [001]  100.000011: kvm_pio:              pio_write at 0x20 size 1 count 1 val 0xcd',
  '# a comment in the middle',
  ' CPU 1/KVM-4002  [001]  100.000012: kvm_userspace_exit:   reason KVM_EXIT_IO (2)',
  ' CPU 1/KVM-4002  [001]  100.000019: kvm_entry:            vcpu 1 rip 0x1015d',
  // `[` inside the comm: the first `[` is not the CPU column (the block lane declines, `line` reads it).
  ' q[x]-4003  [002]  100.000020: sched_switch:         prev_comm=a prev_pid=1',
  // A name with a dot and digits, a blank payload, integer (tick) timestamps, 9 fraction digits.
  ' CPU 0/KVM-4001  [000]  100.000021: foo.bar2:',
  ' CPU 0/KVM-4001  [000]  100.000021123: kvm_exit:          reason MSR_WRITE rip 0xffffffff81000003 info 0 0',
  ' CPU 0/KVM-4001  [000]  100.000022: kvm_msr:              msr_write 6e0 = 0x2aa2a8403b1c',
  ' CPU 0/KVM-4001  [000]  100.000030: kvm_entry:            vcpu 0 rip 0xffffffff81000004',
  ' CPU 3/KVM-4004  [003]  12345678901: kvm_exit:            reason HLT rip 0xffffffff81000001 info 0 0',
  'CPU:2 [LOST 3 EVENTS]',
  ' CPU 2/KVM-4005  [002]  100.000040: kvm_exit:             reason EPT_MISCONFIG rip 0xffffffffa0632f49 info 0 0',
  ' CPU 2/KVM-4005  [002]  100.000041: kvm_fast_mmio:        fast mmio at gpa 0xfe003000',
  ' CPU 2/KVM-4005  [002]  100.000042: kvm_entry:            vcpu 2 rip 0xffffffffa0632f4c',
];

/** ftrace with the flags column, and perf script with the `kvm:` system prefix. */
const FTRACE = [
  '# tracer: nop',
  '      CPU 0/KVM-4001    [000] d..1.   100.000001: kvm_exit: reason HLT rip 0xffffffff81000001 info 0 0',
  '      CPU 0/KVM-4001    [000] d..1    100.000009: kvm_entry: vcpu 0 rip 0xffffffff81000002',
  '      CPU 0/KVM-4001    [000] dZ.1.   100.000010: kvm_exit: reason HLT rip 0xffffffff81000001 info 0 0',
  '      CPU 0/KVM-4001    [000] ....    100.000019: kvm_entry: vcpu 0 rip 0xffffffff81000002',
];
const PERF = [
  '       CPU 0/KVM  4001 [000]   100.000001: kvm:kvm_exit: reason HLT rip 0xffffffff81000001 info 0 0',
  '       CPU 0/KVM  4001 [000]   100.000009: kvm:kvm_entry: vcpu 0 rip 0xffffffff81000002',
  '       CPU 0/KVM  4001/4001 [000]   100.000010: kvm:kvm_exit: reason HLT rip 0xffffffff81000001 info 0 0',
  '       CPU 0/KVM  4001 [000]   100.000019: kvm:kvm_entry: vcpu 0 rip 0xffffffff81000002',
  '       CPU 0/KVM  4001 [000]   100.000020: kvm.x:kvm_exit: reason HLT rip 0xffffffff81000001 info 0 0',
];

/** A name with a blank before its colon, and a line cut short: text-path decisions (they switch on repair). */
const DAMAGED = [
  ' CPU 0/KVM-4001  [000]  100.000031: kvm exit:             reason HLT rip 0x1 info 0 0',
  ' CPU 0/KVM-4001  [000]  100.0000',
];

afterEach(() => vi.restoreAllMocks());

/** `copies` copies of `lines` (past the 400-line sniff window, and repeated so the payload memo answers). */
const repeat = (lines: string[], copies: number) => `${Array.from({ length: copies }, () => lines.join('\n')).join('\n')}\n`;

describe('block lane', () => {
  it.each([
    ['trace-cmd', TRACE_CMD],
    ['ftrace', FTRACE],
    ['perf script', PERF],
    ['trace-cmd with damaged lines', [...TRACE_CMD.slice(0, 12), ...DAMAGED, ...TRACE_CMD.slice(12)]],
  ])('%s: the same analysis as the text path, at every chunk size', (name, lines) => {
    const text = repeat(lines, 200);
    const slow = analyzeText(text, { fastLane: false }).analysis;
    for (const chunkSize of [undefined, 7, 61, 1000]) {
      const block = vi.spyOn(FastLane.prototype, 'block');
      expect(analyzeText(text, { chunkSize }).analysis, `chunk ${chunkSize}`).toEqual(slow);
      // The block lane did run on the clean traces (a chunk of 7 bytes holds no whole line).
      if (name === 'trace-cmd' && chunkSize !== 7) expect(block).toHaveBeenCalled();
      block.mockRestore();
    }
  });

  it('takes the plain lines itself and hands only the others to `line`', () => {
    const block = vi.spyOn(FastLane.prototype, 'block');
    const line = vi.spyOn(FastLane.prototype, 'line');
    const clean = TRACE_CMD;
    const copies = 1000;
    const text = repeat(clean, copies);
    const run = analyzeText(text);
    for (const [, code] of REPAIR_CODES) expect(run.diagnostics.count(code), code).toBe(0);
    expect(block).toHaveBeenCalled();
    // Per copy, `line` sees the `[`-in-comm line, the tick timestamp, the comment and the lost marker, and the
    // first copies (the sniff window) go to the text parser; every other line is the block lane's.
    expect(line.mock.calls.length).toBeLessThan(5 * copies);
    expect(run.analysis.input.events).toBeGreaterThan(copies * (clean.length - 3));
  });
});

/**
 * The scanner reads the tid, CPU, seconds and fraction eight digits at a time (scan/block.ts `nonDigits`,
 * `eightDigits`), and the tid backwards from its end: every digit count around the word size and around each
 * column's limit (CPU 5, seconds 12, fraction 9, tid 15), comms that end in digits or are digits, lines that begin
 * with the tid (the byte before a chunk) — the text path's answer for each, line by line.
 */
describe('block lane ≡ text path on generated number columns', () => {
  const digits = (min: number, max: number) =>
    fc.tuple(fc.integer({ min, max }), fc.nat({ max: 9 }), fc.stringMatching(/^[0-9]{0,20}$/)).map(([n, first, rest]) => (String(first) + rest + '0'.repeat(n)).slice(0, n));
  const comm = fc.constantFrom('CPU 0/KVM', 'qemu-system-x86', '<...>', 'kworker/u8:2', '9', 'a 12', 'x-99', '12345678', 'CPU 12/KVM', ' 7', '');
  const line = fc
    .tuple(fc.constantFrom('', ' ', '        '), comm, fc.constantFrom('-', ' '), digits(0, 17), fc.constantFrom(' ', '  '), digits(0, 7), digits(0, 14), fc.constantFrom('.', ''), digits(0, 11))
    .chain(([lead, c, dash, tid, gap, cpu, secs, dot, frac]) =>
      fc
        .constantFrom('kvm_exit: reason HLT rip 0xffffffff81000001 info 0 0', 'kvm_entry:       vcpu 0 rip 0x1', 'kvm:kvm_exit: reason HLT rip 0x2 info 0 0', 'sched_switch: prev=1', 'kvm_fpu:  load')
        .map((rest) => `${lead}${c}${dash}${tid}${gap}[${cpu}] ${secs}${dot}${frac}: ${rest}`),
    );
  it.each(['trace-cmd', 'perf-script'] as const)('%s', (format) => {
    const scan = vi.spyOn(BlockScanner.prototype, 'scan');
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 40 }), fc.constantFrom(1 << 20, 257), (lines, chunkSize) => {
        expectSameStream(lines.join('\n') + '\n', chunkSize, format);
      }),
      { seed: 7, numRuns: 400 },
    );
    // The scanner took lines (records came back), not only the per-line lane.
    expect(scan.mock.results.some((r) => r.type === 'return' && (r.value as number) > 0)).toBe(true);
  });
});

/** The text path's analysis of `t`, after checking the fast lane gives the same at the default and a 4 KiB chunk. */
function sameAsTextPath(t: string) {
  const slow = analyzeText(t, { fastLane: false }).analysis;
  for (const chunkSize of [undefined, 4096]) expect(analyzeText(t, { chunkSize }).analysis, `chunk ${chunkSize}`).toEqual(slow);
  return slow;
}

/** A trace-cmd report line of vCPU thread `tid` (comm `CPU n/KVM`, host CPU tid mod 4) at 100 s + `t` µs. */
const vcpuLine = (tid: number, t: number, name: string, payload: string) =>
  ` CPU ${tid % 10}/KVM-${tid}  [00${tid % 4}]  100.${String(t).padStart(6, '0')}: ${name}: ${payload}`;

/**
 * kvm_other lines (kvm_apic, kvm_fpu, …) reach the pairer without an event object when nobody sees the trips
 * (RoundTripPairer.pushUnkept): they must still count toward a trip's MAX_CHILDREN, move the thread's time (a
 * `time_backwards` at their line), and be made as events where the pairer needs them (a thread not seen yet, the
 * access grouper before the first exit).
 */
describe('kvm_other lines without events', () => {
  const text = (copies: number): string => {
    const out: string[] = [];
    let t = 0;
    // Before any exit: the access grouper's mode, and threads the pairer does not know yet.
    out.push(vcpuLine(4001, ++t, 'kvm_apic', 'apic_write APIC_ICR = 0xfd'), vcpuLine(4001, ++t, 'kvm_pio', 'pio_write at 0x20 size 1 count 1 val 0xcd'));
    out.push(vcpuLine(4001, ++t, 'kvm_fpu', 'load'), vcpuLine(4001, ++t, 'kvm_userspace_exit', 'reason KVM_EXIT_IO (2)'), vcpuLine(4001, ++t, 'kvm_fpu', 'unload'));
    for (let c = 0; c < copies; c++) {
      for (const tid of [4001, 4002]) {
        out.push(vcpuLine(tid, ++t, 'kvm_exit', 'reason IO_INSTRUCTION rip 0x1015b info 200000 0'));
        // Around the cap: kvm_other lines, then the access that classifies the trip (kept only under the cap).
        const fill = c % 3 === 0 ? MAX_CHILDREN - 1 : c % 3 === 1 ? MAX_CHILDREN : 2;
        for (let k = 0; k < fill; k++) out.push(vcpuLine(tid, ++t, k % 2 === 0 ? 'kvm_apic' : 'kvm_fpu', k % 2 === 0 ? 'apic_write APIC_ICR = 0xfd' : 'load'));
        out.push(vcpuLine(tid, ++t, 'kvm_pio', 'pio_write at 0x20 size 1 count 1 val 0xcd'));
        out.push(vcpuLine(tid, ++t, 'kvm_userspace_exit', 'reason KVM_EXIT_IO (2)'));
        // Time going backwards on a kvm_other line.
        if (c % 5 === 0) out.push(vcpuLine(tid, t - 3, 'kvm_fpu', 'unload'));
        out.push(vcpuLine(tid, ++t, 'kvm_entry', 'vcpu 0 rip 0x1015d'));
        // Between trips (no open trip): counted, nothing kept.
        out.push(vcpuLine(tid, ++t, 'kvm_apic', 'apic_write APIC_ICR = 0xfd'));
      }
      // A thread first seen through a kvm_other line: pushUnkept says no, the event is made (the pairer of a single
      // pass ignores it; a worker keeps it in its range's head, which test/parallel covers).
      if (c === 4) out.push(vcpuLine(4003, ++t, 'kvm_fpu', 'load'), vcpuLine(4003, ++t, 'kvm_exit', 'reason HLT rip 0x1 info 0 0'), vcpuLine(4003, ++t, 'kvm_entry', 'vcpu 2 rip 0x2'));
    }
    return `${out.join('\n')}\n`;
  };

  it('the same analysis as the text path (cap, time going backwards, unknown threads, accesses before any exit)', () => {
    const unkept = vi.spyOn(RoundTripPairer.prototype, 'pushUnkept');
    const t = text(30);
    const slow = sameAsTextPath(t);
    // The lines did go the event-less way (and the unknown thread's did not).
    const results = unkept.mock.results.map((r) => r.value as boolean);
    expect(results.filter(Boolean).length).toBeGreaterThan((30 * 2 * MAX_CHILDREN) / 3);
    expect(results.filter((r) => !r).length).toBeGreaterThan(0);
    expect(slow.input.diagnostics.byCode.find((d) => d.code === 'time_backwards')?.count).toBeGreaterThan(5);
    // Trips over the cap lost their access: some IO trips are not classed as port I/O.
    expect(slow.mechanisms.length).toBeGreaterThan(1);
  });
});

describe('kvm_exit and kvm_entry lines without events', () => {
  const text = (copies: number): string => {
    const out: string[] = [];
    let t = 10;
    for (let c = 0; c < copies; c++) {
      // Orphans, discards and negatives only after the sniff window (the first 400 lines take the text path), so
      // the diagnostics' first lines, which the analysis lists, are the block lane's.
      const late = c >= copies / 2;
      for (const tid of [5001, 5002, 5003]) {
        const vcpu = (tid - 5001 + (late ? 3 : 0)) % 4;
        const entry = `vcpu ${vcpu} rip 0xffffffffa0360413`;
        // SVM exits first, VMX ones after: the ISA the analysis reports follows every exit's vote.
        const io = late ? 'reason IO_INSTRUCTION rip 0x1015b info 200000 0' : 'reason EXIT_IOIO rip 0xec08e info cf80140 ec08f';
        // An exit without its entry: an orphan when the next exit comes (5003), or a discarded trip when a
        // lost-event marker for its CPU came in between (5002 runs on CPU 2).
        if (late && c % 4 === 0 && tid === 5003) out.push(vcpuLine(tid, ++t, 'kvm_exit', io));
        if (late && c % 6 === 4 && tid === 5002) out.push(vcpuLine(tid, ++t, 'kvm_exit', io), 'CPU:2 [LOST 3 EVENTS]');
        out.push(vcpuLine(tid, ++t, 'kvm_exit', io));
        out.push(vcpuLine(tid, ++t, 'kvm_pio', 'pio_write at 0x20 size 1 count 1 val 0xcd'));
        // A lost-event marker for CPU 2 (where 5002 runs) inside 5002's trip: its entry closes a discarded trip.
        if (late && c % 6 === 2 && tid === 5002) out.push('CPU:2 [LOST 3 EVENTS]');
        if (c % 2 === 0) out.push(vcpuLine(tid, ++t, 'kvm_userspace_exit', 'reason KVM_EXIT_IO (2)'));
        if (late && c % 7 === 3 && tid === 5001) {
          // Negative duration: the entry's time is before its exit's (and goes backwards on the thread).
          out.push(vcpuLine(tid, t - 5, 'kvm_entry', entry));
        } else out.push(vcpuLine(tid, ++t, 'kvm_entry', entry));
        // An entry without an open trip: an orphan.
        if (late && c % 5 === 1 && tid === 5002) out.push(vcpuLine(tid, ++t, 'kvm_entry', entry));
        // An exit whose time goes backwards on its thread (right after its entry), orphaned by the next exit.
        if (late && c % 9 === 5 && tid === 5003) out.push(vcpuLine(tid, t - 1, 'kvm_exit', io));
      }
      // A thread first seen through an entry (a payload the memo knows): a new thread, so the event is made
      // (pushEntryAt says no).
      if (c === copies - 5) {
        const e = 'vcpu 0 rip 0xffffffffa0360413';
        out.push(vcpuLine(5104, ++t, 'kvm_entry', e), vcpuLine(5104, ++t, 'kvm_exit', 'reason HLT rip 0x1 info 0 0'), vcpuLine(5104, ++t, 'kvm_entry', e));
        // Likewise a thread first seen through an exit.
        out.push(vcpuLine(5105, ++t, 'kvm_exit', 'reason IO_INSTRUCTION rip 0x1015b info 200000 0'), vcpuLine(5105, ++t, 'kvm_entry', e));
      }
    }
    // The input ends inside a trip: an orphan exit at the end.
    out.push(vcpuLine(5001, ++t, 'kvm_exit', 'reason IO_INSTRUCTION rip 0x1015b info 200000 0'));
    return `${out.join('\n')}\n`;
  };

  it('the same analysis as the text path (vcpu ids, orphans, lost events, negative durations, new threads)', () => {
    const at = vi.spyOn(RoundTripPairer.prototype, 'pushEntryAt');
    const exitAt = vi.spyOn(RoundTripPairer.prototype, 'pushExitAt');
    // 200 copies: the first 400 lines (the sniff window) take the text path.
    const t = text(200);
    const slow = sameAsTextPath(t);
    // The entries did go the event-less way (and the new thread's first one did not).
    const results = at.mock.results.map((r) => r.value as boolean);
    expect(results.filter(Boolean).length).toBeGreaterThan(200 * 3 * 0.6);
    expect(results.filter((r) => !r).length).toBeGreaterThan(0);
    const exits = exitAt.mock.results.map((r) => r.value as boolean);
    expect(exits.filter(Boolean).length).toBeGreaterThan(200 * 3 * 0.6);
    expect(exits.filter((r) => !r).length).toBeGreaterThan(0);
    // What the entries decide is all there: vcpu ids (the last each thread printed), orphans, discards, negatives.
    expect(slow.vcpus.map((v) => v.vcpu).sort()).toEqual([0, 0, 0, 1, 3]);
    expect(slow.input.isa).toBe('vmx');
    expect(slow.exitReasons.map((x) => x.isa).sort()).toEqual(['svm', 'vmx', 'vmx']);
    const r = slow.roundTrips;
    expect(r.orphanEntries).toBeGreaterThan(5);
    expect(r.orphanExits).toBeGreaterThan(20);
    expect(r.discardedLost).toBeGreaterThan(30);
    expect(r.negative).toBeGreaterThan(3);
    expect(slow.input.diagnostics.byCode.find((d) => d.code === 'time_backwards')?.count).toBeGreaterThan(3);
  });

  it('a caller that sees the trips gets every exit and entry event', () => {
    const at = vi.spyOn(RoundTripPairer.prototype, 'pushEntryAt');
    const exitAt = vi.spyOn(RoundTripPairer.prototype, 'pushExitAt');
    let trips = 0;
    analyzeText(text(200), {
      onUnit: (_u, src) => {
        if (!('entry' in src)) return;
        trips++;
        // The trip's own events: the exit before the entry, both of this thread.
        expect(src.exit.kind).toBe('exit');
        expect(src.exit.tid).toBe(src.entry.tid);
        expect(src.exit.source.line).toBeLessThan(src.entry.source.line);
      },
    });
    expect(at).not.toHaveBeenCalled();
    expect(exitAt).not.toHaveBeenCalled();
    expect(trips).toBeGreaterThan(400);
  });
});

/**
 * The evidence lines of a trip (kvm_pio, kvm_mmio, kvm_userspace_exit, …) whose payload the memo knows reach the
 * pairer as the memoized event (RoundTripPairer.pushChildAt): their trips must classify as with their own events,
 * and what the line itself decides — a stray access between trips, time going backwards, the cap on children, a
 * userspace exit's time — must point at the line.
 */
describe('evidence lines without events of their own', () => {
  const text = (copies: number): string => {
    const out: string[] = [];
    let t = 0;
    const io = 'reason IO_INSTRUCTION rip 0x1015b info 200000 0';
    const ept = 'reason EPT_VIOLATION rip 0xffffffff81c4a3b4 info 181 0';
    const entry = 'vcpu 0 rip 0x1015d';
    for (let c = 0; c < copies; c++) {
      const late = c >= copies / 2;
      for (const tid of [6001, 6002]) {
        out.push(vcpuLine(tid, ++t, 'kvm_exit', c % 3 === 0 ? ept : io));
        if (c % 3 === 0) {
          out.push(vcpuLine(tid, ++t, 'kvm_page_fault', 'address fee000b0 error_code 182'));
          out.push(vcpuLine(tid, ++t, 'kvm_mmio', c % 2 === 0 ? 'mmio write len 4 gpa 0xfee000b0 val 0x0' : 'mmio read len 4 gpa 0xfebf1000 val 0x1'));
        } else {
          // Over the cap: the access that would class the trip comes past MAX_CHILDREN and is not kept, as in the
          // text path.
          if (late && c % 7 === 2) for (let k = 0; k < MAX_CHILDREN; k++) out.push(vcpuLine(tid, ++t, 'kvm_msr', 'msr_write 6e0 = 0x2aa2a8403b1c'));
          out.push(vcpuLine(tid, ++t, 'kvm_pio', c % 2 === 0 ? 'pio_write at 0x20 size 1 count 1 val 0xcd' : 'pio_read at 0x5658 size 4 count 1 val 0x4'));
          // Time going backwards on an evidence line.
          if (late && c % 5 === 1) out.push(vcpuLine(tid, t - 2, 'kvm_pio', 'pio_write at 0x20 size 1 count 1 val 0xcd'));
          if (c % 2 === 0) out.push(vcpuLine(tid, ++t, 'kvm_userspace_exit', 'reason KVM_EXIT_IO (2)'));
        }
        out.push(vcpuLine(tid, ++t, 'kvm_entry', entry));
        // A stray access: no trip open on a thread that has round trips.
        if (late && c % 4 === 3) out.push(vcpuLine(tid, ++t, 'kvm_pio', 'pio_read at 0x5658 size 4 count 1 val 0x4'));
      }
      // A thread first seen through an evidence line the memo knows: pushChildAt says no, the event is made.
      if (c === copies - 3) out.push(vcpuLine(6103, ++t, 'kvm_pio', 'pio_write at 0x20 size 1 count 1 val 0xcd'), vcpuLine(6103, ++t, 'kvm_exit', io), vcpuLine(6103, ++t, 'kvm_entry', entry));
    }
    return `${out.join('\n')}\n`;
  };

  it('the same analysis as the text path (classes, devices, stray accesses, time going backwards, the cap)', () => {
    const at = vi.spyOn(RoundTripPairer.prototype, 'pushChildAt');
    const t = text(200);
    const slow = sameAsTextPath(t);
    const results = at.mock.results.map((r) => r.value as boolean);
    expect(results.filter(Boolean).length).toBeGreaterThan(200 * 2);
    expect(results.filter((r) => !r).length).toBeGreaterThan(0);
    const codes = new Map(slow.input.diagnostics.byCode.map((d) => [d.code, d.count]));
    expect(codes.get('stray_access')).toBeGreaterThan(20);
    expect(codes.get('time_backwards')).toBeGreaterThan(10);
    expect(slow.roundTrips.strayAccesses).toBeGreaterThan(20);
    // The classes the evidence decides, and the devices it names.
    const classes = slow.mechanisms.map((m) => m.mechanism);
    expect(classes).toEqual(expect.arrayContaining(['pio-vmm', 'pio-kernel', 'mmio-kernel']));
    // The trips over the cap lost their access: IO_INSTRUCTION trips classed without port I/O evidence.
    expect(slow.mechanisms.some((m) => Object.keys(m.evidence).some((e) => e.startsWith('IO_INSTRUCTION') && !e.includes('kvm_pio')))).toBe(true);
    expect(slow.devices.length).toBeGreaterThanOrEqual(4);
  });

  it('a caller that sees the trips gets each child as its own event', () => {
    const at = vi.spyOn(RoundTripPairer.prototype, 'pushChildAt');
    let children = 0;
    analyzeText(text(200), {
      onUnit: (_u, src) => {
        if (!('entry' in src)) return;
        for (const c of src.children) {
          children++;
          expect(c.tid).toBe(src.exit.tid);
          expect(c.source.line).toBeGreaterThan(src.exit.source.line);
          expect(c.source.line).toBeLessThan(src.entry.source.line);
        }
      },
    });
    expect(at).not.toHaveBeenCalled();
    expect(children).toBeGreaterThan(600);
  });
});

/**
 * Before a trace shows any kvm_exit or kvm_entry (all of a trace like fixtures/lab's), the access grouper takes the
 * lines whose payload the memo knows as the memoized event (AccessGrouper.pushAt) and kvm_other lines without an
 * event (pushUnkeptAt), with their own line's time: the groups, their classes, devices and VMM phases must be
 * those of the text path, which makes every event.
 */
describe('access groups without events of their own', () => {
  const text = (copies: number): string => {
    const out: string[] = [];
    let t = 0;
    for (let c = 0; c < copies; c++) {
      for (const tid of [7001, 7002, 7003]) {
        const fill = (n: number) => {
          for (let k = 0; k < n; k++) out.push(vcpuLine(tid, (t += 3), k % 2 === 0 ? 'kvm_apic' : 'kvm_fpu', k % 2 === 0 ? 'apic_write APIC_ICR = 0xfd' : 'load'));
        };
        switch ((c + tid) % 4) {
          case 0:
            // MMIO emulated by the VMM; the kvm_fpu line after the userspace exit ends the VMM phase.
            out.push(vcpuLine(tid, (t += 2), 'kvm_emulate_insn', '0:ffffffffa0632f49:44 89 2c 25 00 00 00 10 (prot64)'));
            out.push(vcpuLine(tid, (t += 2), 'vcpu_match_mmio', 'gva 0x10000000 gpa 0x10000000 Write GVA'));
            out.push(vcpuLine(tid, (t += 2), 'kvm_mmio', 'mmio write len 4 gpa 0x10000000 val 0x0'));
            out.push(vcpuLine(tid, (t += 2), 'kvm_userspace_exit', 'reason KVM_EXIT_MMIO (6)'));
            fill(1 + (c % 3));
            break;
          case 1:
            // A kick handled in the kernel, then kvm_other lines around the grouper's cap, then a page fault.
            out.push(vcpuLine(tid, (t += 2), 'kvm_pio', 'pio_write at 0x20 size 1 count 1 val 0xcd'));
            fill(c % 3 === 0 ? 62 : c % 3 === 1 ? 64 : 2);
            out.push(vcpuLine(tid, (t += 2), 'kvm_page_fault', 'address fee000b0 error_code 182'));
            break;
          case 2:
            // Port I/O to the VMM whose read completes after the userspace exit (its own group).
            out.push(vcpuLine(tid, (t += 2), 'kvm_userspace_exit', 'reason KVM_EXIT_IO (2)'));
            fill(c % 2);
            out.push(vcpuLine(tid, (t += 40), 'kvm_pio', 'pio_read at 0x5658 size 4 count 1 val 0x4'));
            break;
          default:
            out.push(vcpuLine(tid, (t += 2), 'kvm_cpuid', 'func 1 idx 0 rax 306a9 rbx 10800 rcx 9fba2203 rdx 1f8bfbff, cpuid entry found'));
            out.push(vcpuLine(tid, (t += 2), 'kvm_hypercall', 'nr 0x5 a0 0x0 a1 0x1 a2 0x0 a3 0x0'));
            out.push(vcpuLine(tid, (t += 2), 'kvm_userspace_exit', 'reason KVM_EXIT_HLT (5)'));
            break;
        }
      }
    }
    return `${out.join('\n')}\n`;
  };

  it('the same analysis as the text path (classes, devices, VMM phases)', () => {
    const at = vi.spyOn(AccessGrouper.prototype, 'pushAt');
    const unkept = vi.spyOn(AccessGrouper.prototype, 'pushUnkeptAt');
    const slow = sameAsTextPath(text(120));
    expect(at.mock.results.filter((r) => r.value === true).length).toBeGreaterThan(120 * 3 * 2);
    expect(unkept.mock.results.filter((r) => r.value === true).length).toBeGreaterThan(120 * 3 * 5);
    expect(slow.mode).toBe('accesses');
    const byClass = new Map(slow.mechanisms.map((m) => [m.mechanism, m]));
    expect([...byClass.keys()]).toEqual(expect.arrayContaining(['mmio-vmm', 'pio-vmm', 'pio-kernel', 'cpuid']));
    // The VMM phases run from each userspace exit to the thread's next KVM line, kvm_other lines included.
    expect(byClass.get('mmio-vmm')?.phases?.vmm?.count).toBe(byClass.get('mmio-vmm')?.count);
    expect(byClass.get('pio-vmm')?.phases?.vmm?.minNs).toBeGreaterThan(0);
    expect(slow.devices.map((d) => d.address)).toEqual(expect.arrayContaining([0x20, 0x5658, 0x10000000]));
  });

  it('a caller that sees the groups gets each event as its own', () => {
    const at = vi.spyOn(AccessGrouper.prototype, 'pushAt');
    const unkept = vi.spyOn(AccessGrouper.prototype, 'pushUnkeptAt');
    let groups = 0;
    analyzeText(text(60), {
      onUnit: (_u, src) => {
        if ('entry' in src) return;
        groups++;
        expect(src.ts).toBe(src.children[0]?.ts);
        for (const c of src.children) expect(c.tid).toBe(src.thread.tid);
        for (let i = 1; i < src.children.length; i++) expect(src.children[i]!.source.line).toBeGreaterThan(src.children[i - 1]!.source.line);
      },
    });
    expect(at).not.toHaveBeenCalled();
    expect(unkept).not.toHaveBeenCalled();
    expect(groups).toBeGreaterThan(60 * 3);
  });
});

describe('scanner tables: payload memo, comms, names', () => {
  /** kvm_exit/kvm_entry/kvm_pio/... lines of many payloads, repeated, from threads whose tids share comm slots. */
  const PAYLOADS: [string, string][] = [
    ['kvm_exit', 'reason HLT rip 0xffffffffb33f2e5f info 0 0'],
    ['kvm_exit', 'reason HLT rip 0xffffffffb33f2e60 info 0 0'],
    ['kvm_exit', 'reason HLT rip 0xffffffffb33f2e5f info 0 1'],
    ['kvm_exit', 'vcpu 1 reason IO_INSTRUCTION rip 0x1015b info 200000 0'],
    ['kvm_pio', 'pio_write at 0x20 size 1 count 1 val 0xcd'],
    ['kvm_pio', 'pio_read at 0x5658 size 4 count 1 val 0x4'],
    ['kvm_userspace_exit', 'reason KVM_EXIT_IO (2)'],
    ['kvm_entry', 'vcpu 3 rip 0xffffffffa0360413'],
    // Not a KVM event: counted, not kept, but its comm takes the thread's comm slot.
    ['sched_waking', 'comm=kworker/0:1 pid=17 prio=120 target_cpu=000'],
    ['kvm_exit', 'reason EPT_MISCONFIG rip 0xffffffffa0632f49 info 0 0'],
    ['kvm_emulate_insn', '0:ffffffffa0632f49:44 89 2c 25 00 00 00 10 (prot64)'],
    ['kvm_mmio', 'mmio write len 4 gpa 0x10000000 val 0x0'],
    ['kvm_userspace_exit', 'reason KVM_EXIT_MMIO (6)'],
    ['kvm_entry', 'vcpu 3 rip 0xffffffffa0360414'],
    ['kvm_exit', 'reason MSR_WRITE rip 0xffffffff81000003 info 0 0'],
    ['kvm_msr', 'msr_write 6e0 = 0x2aa2a8403b1c'],
    ['kvm_entry', 'vcpu 1'],
    ['kvm_exit', 'reason EPT_MISCONFIG rip 0xffffffffa0632f49 info 0 0'],
    ['kvm_fast_mmio', 'fast mmio at gpa 0xfe003000'],
    ['kvm_entry', 'vcpu 1, rip 0x1 [immediate exit]'],
    ['kvm_exit', 'reason VMCALL rip 0xffffffff81000010 info 0 0'],
    ['kvm_hypercall', 'nr 0x5 a0 0x0 a1 0x1 a2 0x0 a3 0x0'],
    ['kvm_entry', 'vcpu 12'],
    // The same bytes under two names, and every length past a word boundary.
    ['kvm_exit', 'vcpu 1234'],
    ['kvm_entry', 'vcpu 1234'],
    ['kvm_entry', 'vcpu 123'],
  ];
  /**
   * Threads 4001, 5025 and 6049 share a comm slot (tid mod 1024); 4001's comm changes from line to line (trace-cmd
   * prints `<...>` for a comm it did not save), and later for good.
   */
  const text = (copies: number): string => {
    const out: string[] = [];
    let t = 0;
    for (let c = 0; c < copies; c++) {
      for (const tid of [4001, 5025, 6049]) {
        for (const [name, payload] of PAYLOADS) {
          t++;
          const comm = tid === 5025 ? 'CPU 1/KVM' : tid === 6049 ? 'qemu-system-x86' : t % 2 === 0 ? '<...>' : c < copies / 2 ? 'CPU 0/KVM' : 'CPU 0/KVM-renamed';
          out.push(` ${comm}-${tid} [00${tid % 4}] ${100 + t / 1e6}: ${name}:${' '.repeat(1 + (t % 5))}${payload}`);
        }
      }
    }
    return `${out.join('\n')}\n`;
  };

  it.each([12, 0])('give exactly what the text path gives, also when every slot collides (%i memo slot bits)', (bits) => {
    // 0 bits: one memo slot, every payload takes it from the one before.
    const make = BlockScanner.make.bind(BlockScanner);
    vi.spyOn(BlockScanner, 'make').mockImplementation((cls, typed) => make(cls, typed, bits));
    const scan = vi.spyOn(BlockScanner.prototype, 'scan');
    const t = text(40);
    // Event by event (a wrong rip or comm would not show in the analysis), then the analysis.
    for (const chunkSize of [undefined, 997]) expect(expectSameStream(t, chunkSize, 'trace-cmd')).toBe(40 * 3 * PAYLOADS.filter(([n]) => n.startsWith('kvm_')).length);
    const fast = analyzeText(t);
    expect(fast.analysis).toEqual(analyzeText(t, { fastLane: false }).analysis);
    expect(fast.analysis.roundTrips.complete).toBeGreaterThan(600);
    // The scanner read the lines (records came back).
    expect(scan.mock.results.some((r) => r.type === 'return' && (r.value as number) > 0)).toBe(true);
  });
});

describe('scanner memory and fallback', () => {
  const big = repeat(TRACE_CMD, 30000);

  it('grows its memory for chunks larger than it starts with (4 MiB chunks)', async () => {
    expect(big.length).toBeGreaterThan(4 << 20);
    const scan = vi.spyOn(BlockScanner.prototype, 'scan');
    const slow = analyzeText(big, { fastLane: false }).analysis;
    expect(analyzeText(big, { chunkSize: 4 << 20 }).analysis).toEqual(slow);
    expect(scan.mock.results.some((r) => r.type === 'return' && (r.value as number) > 0)).toBe(true);
  });

  it('without WebAssembly, every line takes the per-line lane: the same analysis', () => {
    vi.spyOn(BlockScanner, 'make').mockReturnValue(null);
    const line = vi.spyOn(FastLane.prototype, 'line');
    const text = repeat(TRACE_CMD, 200);
    expect(analyzeText(text).analysis).toEqual(analyzeText(text, { fastLane: false }).analysis);
    expect(line.mock.calls.length).toBeGreaterThan(150 * TRACE_CMD.length);
  });
});

describe('plain chunks', () => {
  it('the scanner calls a chunk plain exactly when isPlain does (every byte value, at every position mod 16)', () => {
    const sc = BlockScanner.make(new Uint16Array(256), [])!;
    const base = Buffer.from('CPU 0/KVM-453724 [002] 24006.000000: kvm_exit: reason HLT rip 0xffffffffb33f2e5f info 0 0\n'.repeat(3));
    let seq = 1 << 20;
    expect(sc.loadPlain(base, seq++)).toBe(true);
    for (let v = 0; v < 256; v++) {
      // Early, in the 16-byte steps, and in the tail the scanner reads byte by byte.
      for (const at of [0, 1, 15, 16, 17, 31, base.length - 17, base.length - 16, base.length - 2]) {
        const b = Buffer.from(base);
        b[at] = v;
        expect(sc.loadPlain(b, seq++), `byte ${v} at ${at}`).toBe(isPlain(b));
      }
    }
    // Short chunks (all tail) and a chunk after a longer one (stale bytes past its end are not looked at).
    expect(sc.loadPlain(Buffer.from('a\tb'), seq++)).toBe(false);
    expect(sc.loadPlain(Buffer.from('ab\n'), seq++)).toBe(true);
    expect(sc.loadPlain(Buffer.from(''), seq++)).toBe(true);
  });
});

describe('scanner module', () => {
  it('loads here, and its record layout is the one fast-lane.ts reads', () => {
    const url = new URL('../../dist/parse/scan.wasm', import.meta.url);
    const x = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(url)), {}).exports as Record<string, WebAssembly.Global>;
    const fields = { R_START, R_END, R_COMM_START, R_COMM_END, R_CPU, R_FRAC, R_DIGITS, R_TS_START, R_TS_END, R_NAME_START, R_NAME_END, R_PAYLOAD_START, R_PAYLOAD_END, R_NAME, R_COMM, R_MEMO, NEW };
    for (const [k, v] of Object.entries(fields)) expect(x[k]!.value, k).toBe(v);
    expect(x.COMM_NONE!.value).toBe(NONE);
    expect(x.MEMO_NONE!.value).toBe(NONE);
    expect(BlockScanner.make(new Uint16Array(256), [])).not.toBeNull();
  });
});
