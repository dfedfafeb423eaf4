/**
 * The block lane (fast-lane.ts `block`) parses whole plain chunks and leaves every line it does not take to `line`
 * and the text parser. Whatever it takes must come out exactly as the text path reads it; the payload memo
 * (payload-memo.ts) must hand back exactly the event the decoder builds.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeText } from '../../src/analyze.js';
import type { EventHeader } from '../../src/model/events.js';
import { FastLane } from '../../src/parse/fast-lane.js';
import { Decoder, decodePayload } from '../../src/parse/fast-payloads.js';
import { PayloadMemo } from '../../src/parse/payload-memo.js';
import { REPAIR_CODES } from '../../src/parse/repair/index.js';

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

describe('payload memo', () => {
  const header = (line: number): EventHeader => ({ ts: line * 1000, cpu: line % 4, tid: 4000 + (line % 3), comm: `CPU ${line % 3}/KVM`, instance: '', source: { file: 0, line } });
  const PAYLOADS: [Decoder, string][] = [
    [Decoder.Exit, 'reason HLT rip 0xffffffffb33f2e5f info 0 0'],
    [Decoder.Exit, 'reason HLT rip 0xffffffffb33f2e60 info 0 0'],
    [Decoder.Exit, 'reason HLT rip 0xffffffffb33f2e5f info 0 1'],
    [Decoder.Exit, 'vcpu 1 reason IO_INSTRUCTION rip 0x1015b info 200000 0'],
    [Decoder.Entry, 'vcpu 3 rip 0xffffffffa0360413'],
    [Decoder.Entry, 'vcpu 3 rip 0xffffffffa0360414'],
    [Decoder.Entry, 'vcpu 1'],
    [Decoder.Entry, 'vcpu 1, rip 0x1 [immediate exit]'],
    [Decoder.Pio, 'pio_write at 0x20 size 1 count 1 val 0xcd'],
    [Decoder.Pio, 'pio_read at 0x5658 size 4 count 1 val 0x4'],
    [Decoder.Mmio, 'mmio write len 4 gpa 0x10000000 val 0x0'],
    [Decoder.FastMmio, 'fast mmio at gpa 0xfe003000'],
    [Decoder.Msr, 'msr_write 6e0 = 0x2aa2a8403b1c'],
    [Decoder.UserspaceExit, 'reason KVM_EXIT_MMIO (6)'],
    [Decoder.Hypercall, 'nr 0x5 a0 0x0 a1 0x1 a2 0x0 a3 0x0'],
    [Decoder.EmulateInsn, '0:ffffffffa0632f49:44 89 2c 25 00 00 00 10 (prot64)'],
    // Every length 1-4 past a word boundary, and the same bytes under two decoders.
    [Decoder.Entry, 'vcpu 12'],
    [Decoder.Entry, 'vcpu 123'],
    [Decoder.Entry, 'vcpu 1234'],
    [Decoder.Exit, 'vcpu 1234'],
  ];

  it.each([12, 0])('hands back exactly the decoder’s event, with each line’s header, and never another payload’s (%i slot bits)', (bits) => {
    // 0 bits: one slot, every payload collides with the one before.
    const memo = new PayloadMemo(bits);
    let line = 1;
    for (let round = 0; round < 3; round++) {
      for (const [d, p] of PAYLOADS) {
        // The payload inside a line, at every alignment.
        const pad = ' '.repeat((line * 3) % 7);
        const b = Buffer.from(`${pad}${p}\n`, 'latin1');
        const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
        const ps = pad.length;
        const pe = ps + p.length;
        const h = header(line++);
        const want = decodePayload(d, b, ps, pe, h);
        const got = memo.get(d, b, dv, ps, pe, h);
        if (got === null) {
          expect(round === 0 || bits === 0 || want === null, p).toBe(true);
          if (want !== null) memo.put(want);
        } else {
          expect(got, `${d} ${p}`).toEqual(want);
        }
      }
    }
  });
});
