/**
 * The byte-level payload decoders (src/parse/fast-payloads.ts) must give exactly what payloads.ts's buildEvent
 * gives, or decline (null, and the fast lane then runs buildEvent):
 * - on every typed KVM payload of every fixture, of generated traces in the three layouts and of the large real
 *   captures (../shared, skipped when absent), with the common forms actually taken by the decoders;
 * - on property-generated payload variants (padding, hex case, leading zeros, 64-bit values, odd spacing, unknown
 *   and numeric reason names, symbolized rips, SVM names with a space, VMX flags, `[immediate exit]`, truncations);
 * - and, through the whole fast lane, the event stream and diagnostics of each of those inputs equal the text
 *   path's (test/parse/fast-lane.test.ts compares the analyses; this compares every event).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/model/diagnostics.js';
import type { EventHeader, TraceEvent } from '../../src/model/events.js';
import { Decoder, decodePayload, decoderOf } from '../../src/parse/fast-payloads.js';
import { buildEvent } from '../../src/parse/payloads.js';
import { splitRecordLine } from '../../src/parse/record-line.js';
import { fixture, HAS_SHARED_LARGE, ROOT, SHARED } from '../helpers.js';
import { expectSameStream, streamOf } from './stream.js';

const H: EventHeader = { ts: 42, cpu: 3, tid: 1234, comm: 'CPU 0/KVM', instance: '', source: { file: 0, line: 7 } };

/** Around the payload in the buffer: a decoder must not read outside [ps, pe) (this text would change results). */
const BEFORE = 'kvm_exit: vcpu ';
const AFTER = ' rip 0x1 info 0 0 intr_info 0x0 (...) (#GP) [immediate exit]';

/** The fast lane trims spaces and tabs around the payload (fast-lane.ts). */
const trimBlanks = (p: string) => p.replace(/^[ \t]+|[ \t]+$/g, '');
const isAscii = (s: string) => !/[^\x00-\x7f]/.test(s);

interface Outcome {
  fast: TraceEvent | null;
  slow: TraceEvent;
  diag: Diagnostics;
}

function decodeBoth(name: string, payload: string): Outcome {
  const p = trimBlanks(payload);
  const buf = Buffer.from(BEFORE + p + AFTER, 'latin1');
  const fast = decodePayload(decoderOf(name), buf, BEFORE.length, BEFORE.length + p.length, H);
  const diag = new Diagnostics();
  const slow = buildEvent(name, p, H, { diag, source: H.source, line: `${name}: ${p}` });
  return { fast, slow, diag };
}

/** When the decoder answers, its event is buildEvent's (same keys in the same order) and buildEvent said nothing. */
function expectAgree(name: string, payload: string): Outcome {
  const o = decodeBoth(name, payload);
  if (o.fast === null) return o;
  // isDeepStrictEqual first (cheap on 10^5 payloads); expect() shows the difference when there is one.
  const same = isDeepStrictEqual(o.fast, o.slow) && Object.keys(o.fast).join() === Object.keys(o.slow).join();
  if (!same) {
    expect(o.fast, `${name}: ${payload}`).toStrictEqual(o.slow);
    expect(Object.keys(o.fast)).toEqual(Object.keys(o.slow));
  }
  const diags = o.diag.summaries();
  if (diags.length !== 0) expect(diags, `${name}: ${payload}`).toEqual([]);
  return o;
}

const DECODED = [
  'kvm_exit',
  'kvm_entry',
  'kvm_pio',
  'kvm_mmio',
  'kvm_fast_mmio',
  'kvm_msr',
  'kvm_userspace_exit',
  'kvm_hypercall',
  'kvm_hv_hypercall',
  'kvm_xen_hypercall',
  'kvm_emulate_insn',
];

const textOf = (f: string) => (f.endsWith('.gz') ? gunzipSync(readFileSync(f)).toString('utf8') : readFileSync(f, 'utf8'));

// ---------------------------------------------------------------------------------------------------------------
// Real and generated traces

const fixtureFiles = [
  ...readdirSync(fixture('public')).map((f) => fixture('public', f)),
  fixture('lab', 'tracefs-user-kvm-pvm.txt.gz'),
];
const largeDir = join(SHARED, 'fixtures', 'large');
const largeFiles = HAS_SHARED_LARGE
  ? readdirSync(largeDir)
      .filter((f) => f.endsWith('.txt'))
      .map((f) => join(largeDir, f))
  : [];

const genDir = mkdtempSync(join(tmpdir(), 'exitlens-fastpay-'));
const generated: Record<string, string> = {};
beforeAll(() => {
  for (const format of ['trace-cmd', 'ftrace', 'perf-script']) {
    const out = join(genDir, `${format}.txt`);
    execFileSync(process.execPath, [join(ROOT, 'bench', 'generate.mjs'), '--lines', '20000', '--format', format, '--out', out]);
    generated[format] = out;
  }
});
afterAll(() => rmSync(genDir, { recursive: true, force: true }));

/** Per event name: typed payloads seen, and how many the decoders took. */
type Tally = Record<string, { seen: number; fast: number }>;

function checkPayloadsOf(text: string): Tally {
  const tally: Tally = {};
  for (const line of text.split('\n')) {
    const cols = splitRecordLine(line.replace(/\r$/, ''), 'dash');
    if (cols === null || decoderOf(cols.name) === Decoder.None || !isAscii(cols.payload)) continue;
    const o = expectAgree(cols.name, cols.payload);
    const t = (tally[cols.name] ??= { seen: 0, fast: 0 });
    t.seen++;
    if (o.fast !== null) t.fast++;
  }
  return tally;
}

describe('decoders ≡ buildEvent on real and generated payloads', () => {
  it.each(fixtureFiles)('%s', (f) => {
    checkPayloadsOf(textOf(f));
  });

  it.each(['trace-cmd', 'ftrace', 'perf-script'])('generated %s trace: every typed payload decoded from bytes', (format) => {
    const tally = checkPayloadsOf(readFileSync(generated[format]!, 'utf8'));
    // The generator prints only the common forms: the decoders must take all of them.
    for (const name of ['kvm_exit', 'kvm_entry', 'kvm_pio', 'kvm_mmio', 'kvm_msr', 'kvm_userspace_exit', 'kvm_emulate_insn']) {
      expect(tally[name]?.seen, name).toBeGreaterThan(50);
      expect(tally[name]?.fast, name).toBe(tally[name]?.seen);
    }
  });

  it.skipIf(!HAS_SHARED_LARGE)('large real captures: every kvm_exit / kvm_entry decoded from bytes', () => {
    let exits = 0;
    for (const f of largeFiles) {
      const tally = checkPayloadsOf(readFileSync(f, 'utf8'));
      for (const name of ['kvm_exit', 'kvm_entry']) {
        const t = tally[name];
        if (t === undefined) continue;
        expect(t.fast, `${f} ${name}`).toBe(t.seen);
      }
      exits += tally.kvm_exit?.seen ?? 0;
    }
    expect(exits).toBeGreaterThan(100_000);
  });
});

describe('fast lane event stream ≡ text path event stream', () => {
  it.each(fixtureFiles)('%s', (f) => {
    expectSameStream(textOf(f));
  });

  it.each(['trace-cmd', 'ftrace', 'perf-script'])('generated %s trace (odd chunk size)', (format) => {
    expect(expectSameStream(readFileSync(generated[format]!, 'utf8'), 4099)).toBeGreaterThan(10_000);
  });

  it.skipIf(!HAS_SHARED_LARGE)('large real captures', () => {
    for (const f of largeFiles) expectSameStream(readFileSync(f, 'utf8'));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Property tests: payload variants

/** Runs per property: a few thousand cases in well under a second each. */
const RUNS = 3000;
const SEED = 5;

/** Blanks between tokens: mostly one space; runs and tabs as hand-edited or re-indented text has them. */
const sep = fc.oneof(
  { weight: 20, arbitrary: fc.constant(' ') },
  { weight: 1, arbitrary: fc.constantFrom('  ', '\t', ' \t ', '   ') },
);

/** Join tokens with generated separators; leading / trailing blanks too. */
const joined = (tokens: fc.Arbitrary<string[]>) =>
  fc
    .tuple(tokens, fc.array(sep, { minLength: 40, maxLength: 40 }), fc.constantFrom('', ' ', '\t', '  '), fc.constantFrom('', ' ', '\t'))
    .map(([ts, seps, lead, trail]) => lead + ts.map((t, i) => (i === 0 ? t : seps[i % seps.length]! + t)).join('') + trail);

const hexDigits = (max: number) =>
  fc.array(fc.constantFrom(...'0123456789abcdefABCDEF'), { minLength: 1, maxLength: max }).map((a) => a.join(''));

/** Hex as printed: `0x`/`0X`/none, leading zeros, either case, up to 64 bits and beyond; sometimes not hex at all. */
const hexTok = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('0x', '0x', '0X', ''), fc.constantFrom('', '0', '0000'), hexDigits(16)).map((t) => t.join('')) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => `0x${v.toString(16).padStart(16, '0')}`) },
  { weight: 1, arbitrary: fc.constantFrom('0x', '0', '00', 'x1', '0xg1', '-1', '0x-1', '', 'ffffffffffffffffff', '1,') },
);

/** Decimal as printed, with some that are not (or over 15 digits). */
const decTok = fc.oneof(
  { weight: 6, arbitrary: fc.nat({ max: 300 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('0', '007', '1234567890123456', '-1', 'x', '', '1,', '2147483648') },
);

const REASONS = [
  'HLT',
  'EPT_MISCONFIG',
  'EPT_VIOLATION',
  'IO_INSTRUCTION',
  'MSR_WRITE',
  'MSR_READ',
  'EXTERNAL_INTERRUPT',
  'PREEMPTION_TIMER',
  'VMCALL',
  'CPUID',
  'EXCEPTION_NMI',
  'apic_access',
  'io_instruction',
  'npf',
  'io',
  'msr',
  'hlt',
  'vmmcall',
  'intr',
  'EXIT_IOIO',
  'EXIT_NPF',
  'PF excp',
  'DE excp',
  'UNKNOWN (74)',
  'UNKNOWN (2147483681)',
  'UNKNOWN (4294967295)',
  'UNKNOWN (x)',
  'UNKNOWN-ISA',
  '0x4a',
  '0x30',
  '0x80000021',
  '0xffffffff',
  'INVALID_STATE FAILED_VMENTRY',
  'EPT_VIOLATION 0x8000000',
  'NOT_A_REASON',
  'rip',
  'info',
];
const reasonTok = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...REASONS) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/) },
);

const symbolTok = fc.constantFrom('native_io+0x12', 'native_safe_halt+0x6', 'func', '[kernel]');

const exitPayload = joined(
  fc
    .tuple(
      fc.option(decTok.map((v) => ['vcpu', v])),
      fc.constantFrom(['reason'], ['reason'], ['reason'], [], ['vcpu'], ['Reason']),
      reasonTok.map((r) => r.split(' ')),
      fc.constantFrom(['rip'], ['rip'], ['rip'], [], ['RIP']),
      hexTok.map((h) => [h]),
      fc.option(symbolTok.map((s) => [s]), { freq: 4 }),
      fc.oneof(
        fc.constant<string[]>([]),
        fc.tuple(hexTok, hexTok).map(([a, b]) => ['info', a, b]),
        fc
          .tuple(hexTok, hexTok, hexTok, hexTok, fc.option(hexTok))
          .map(([a, b, c, d, r]) => ['info1', a, 'info2', b, 'intr_info', c, 'error_code', d, ...(r === null ? [] : ['requests', r])]),
        fc.constantFrom(['info'], ['info', '0'], ['info1'], ['info1', '0', 'bogus', '1'], ['requests', '0x0']),
      ),
    )
    .map(([v, r, name, rip, ripv, sym, tail]) => [...(v ?? []), ...r, ...name, ...rip, ...ripv, ...(sym ?? []), ...tail]),
);

const entryPayload = fc
  .tuple(
    joined(
      fc
        .tuple(
          fc.constantFrom('vcpu', 'vcpu', 'vcpu:', 'PC:', 'cpu'),
          decTok,
          fc.constantFrom('', ',', ',', ' ,'),
          fc.oneof(
            fc.constant<string[]>([]),
            hexTok.map((h) => ['rip', h]),
            fc.tuple(hexTok, symbolTok).map(([h, s]) => ['rip', h, s]),
            fc.tuple(hexTok, hexTok, hexTok).map(([h, a, b]) => ['rip', h, 'intr_info', a, 'error_code', b]),
            hexTok.map((h) => ['PC:', h]),
            fc.constantFrom(['rip'], ['foo', '1'], ['rip', '0x1', 'a', 'b']),
          ),
        )
        .map(([k, v, comma, rest]) => [k, v + comma, ...rest]),
    ),
    fc.constantFrom('', '', '[immediate exit]', ' [immediate exit]', '[immediate exit] ', '[immediate'),
  )
  .map(([p, imm]) => p + imm);

const pioPayload = joined(
  fc
    .tuple(
      fc.constantFrom('pio_write', 'pio_read', 'pio_read', 'pio_in'),
      fc.constantFrom('at', 'at', 'to'),
      hexTok,
      fc.constantFrom('size', 'size', 'len'),
      decTok,
      fc.constantFrom('count', 'count', 'cnt'),
      decTok,
      fc.oneof(
        fc.constant<string[]>([]),
        hexTok.map((h) => ['val', h]),
        hexTok.map((h) => ['val', h, '(...)']),
        fc.constantFrom(['val'], ['value', '0x1'], ['val', '0x1', '(..)'], ['val', '0x1', '(...)', 'x']),
      ),
    )
    .map(([op, at, port, size, sv, count, cv, rest]) => [op, at, port, size, sv, count, cv, ...rest]),
);

const mmioPayload = joined(
  fc
    .tuple(
      fc.constantFrom('mmio', 'mmio', 'mmi0'),
      fc.constantFrom('write', 'read', 'unsatisfied-read', 'rw'),
      fc.constantFrom('len', 'len', 'size'),
      decTok,
      fc.constantFrom('gpa', 'gpa', 'gva'),
      hexTok,
      fc.oneof(fc.constant<string[]>([]), hexTok.map((h) => ['val', h]), fc.constantFrom(['val'], ['val', '0x0', 'x'])),
    )
    .map(([m, op, len, lv, gpa, gv, rest]) => [m, op, len, lv, gpa, gv, ...rest]),
);

const fastMmioPayload = joined(
  fc
    .tuple(fc.constantFrom(['fast', 'mmio', 'at', 'gpa'], ['fast', 'mmio', 'at'], ['mmio', 'at', 'gpa']), hexTok, fc.constantFrom([], [], ['x']))
    .map(([k, g, rest]) => [...k, g, ...rest]),
);

const msrPayload = joined(
  fc
    .tuple(
      fc.constantFrom('msr_write', 'msr_read', 'msr_rw'),
      hexTok,
      fc.constantFrom('=', '=', '=='),
      hexTok,
      fc.constantFrom([], [], ['(#GP)'], ['(#GP)', 'x'], ['#GP']),
    )
    .map(([op, i, eq, v, rest]) => [op, i, eq, v, ...rest]),
);

const userspacePayload = joined(
  fc
    .tuple(
      fc.constantFrom('reason', 'reason', 'why'),
      fc.constantFrom('KVM_EXIT_IO', 'KVM_EXIT_MMIO', 'restart', 'error', '0x1d', 'KVM_EXIT_HLT'),
      fc.oneof(
        fc.integer({ min: -40, max: 40 }).map((n) => `(${n})`),
        fc.constantFrom('(-0)', '()', '(-)', '(x)', '2', '(1234567890123456)', '(1'),
      ),
      fc.constantFrom([], [], ['x']),
    )
    .map(([r, name, code, rest]) => [r, name, code, ...rest]),
);

const hypercallPayload = fc.tuple(
  fc.constantFrom('kvm_hypercall', 'kvm_hv_hypercall', 'kvm_xen_hypercall'),
  joined(
    fc
      .tuple(
        fc.constantFrom(['nr'], ['code'], ['cpl', '0', 'nr'], ['cpl', 'x', 'nr'], ['cpl', '3', 'nn'], ['a0']),
        hexTok,
        fc.constantFrom([], ['a0', '0x0', 'a1', '0x1'], ['fast', 'cnt', '0x0']),
      )
      .map(([k, v, rest]) => [...k, v, ...rest]),
  ),
);

const emulatePayload = fc
  .tuple(
    fc.constantFrom('0', 'f0000', '0x0', 'x', ''),
    hexTok,
    fc.constantFrom('', '', ' func+0x5', ' '),
    fc.constantFrom(':', ':', ': ', ':  ', '::'),
    fc.constantFrom('44 89 2c 25 00 00 00 10', 'ec', 'f3 90', '', ' 0f 01 c1 ', 'a:b', '\t89 38'),
    fc.constantFrom(' (prot64)', ' (real)', ' (vm16)', '(prot32)', ' (0x8)', ' (long)', '', ' FAIL', ' (prot64) failed', ' (prot16)  failed', ' failed', ')', ' ()'),
  )
  .map(([a, rip, sym, colon, insn, tail]) => `${a}:${rip}${sym}${colon}${insn}${tail}`);

/** Property-generated payloads: the decoders agree with buildEvent whenever they answer. */
describe('decoders ≡ buildEvent on generated payload variants', () => {
  const cases: [string, fc.Arbitrary<string>][] = [
    ['kvm_exit', exitPayload],
    ['kvm_entry', entryPayload],
    ['kvm_pio', pioPayload],
    ['kvm_mmio', mmioPayload],
    ['kvm_fast_mmio', fastMmioPayload],
    ['kvm_msr', msrPayload],
    ['kvm_userspace_exit', userspacePayload],
    ['kvm_emulate_insn', emulatePayload],
  ];
  it.each(cases)('%s', (name, arb) => {
    let fast = 0;
    fc.assert(
      fc.property(arb, (p) => {
        if (expectAgree(name, p).fast !== null) fast++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Both outcomes occur: the generator reaches the decoder's clean forms and the forms it leaves to buildEvent.
    expect(fast).toBeGreaterThan(RUNS / 20);
    expect(fast).toBeLessThan(RUNS);
  });

  it('kvm_hypercall / kvm_hv_hypercall / kvm_xen_hypercall', () => {
    fc.assert(
      fc.property(hypercallPayload, ([name, p]) => {
        expectAgree(name, p);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('any bytes (printable ASCII) for every decoded event', () => {
    const printable = fc.array(fc.constantFrom(...' \tvcpureasonrip0x1fFinfo_()-=,#[]:.ABC'.split('')), { maxLength: 60 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.constantFrom(...DECODED), printable, (name, p) => {
        expectAgree(name, p);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('the clean forms are decoded from bytes (not left to buildEvent)', () => {
  it.each([
    ['kvm_exit', 'reason HLT rip 0xffffffffb33f2e5f info 0 0'],
    ['kvm_exit', 'reason IO_INSTRUCTION rip 0xa962 native_io+0x12 info 1770008 0'],
    ['kvm_exit', 'vcpu 0 reason EXCEPTION_NMI rip 0xfd0bd info1 0x0000000000000000 info2 0x0000000000000413 intr_info 0x80000306 error_code 0x00000000'],
    ['kvm_exit', 'vcpu 1 reason EPT_VIOLATION rip 0xFFFFFFFF81000000 info1 0x0000000000000181 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000 requests 0x0000000000000000'],
    ['kvm_exit', 'reason npf rip 0x400433 info 100000004 fee00000'],
    ['kvm_exit', 'reason 0x30 rip 0x1 info 0 0'],
    ['kvm_entry', 'vcpu 0'],
    ['kvm_entry', 'vcpu 0, rip 0xf7d6b'],
    ['kvm_entry', 'vcpu 0, rip 0xf7d6b[immediate exit]'],
    ['kvm_entry', 'vcpu 1 rip 0xffffffff81036706 native_safe_halt+0x6'],
    ['kvm_entry', 'vcpu 2, rip 0xffffffff81036706 intr_info 0x00000000 error_code 0x00000000[immediate exit]'],
    ['kvm_pio', 'pio_write at 0x3f8 size 1 count 1 val 0x34'],
    ['kvm_pio', 'pio_read at 0xc13e size 2 count 1'],
    ['kvm_pio', 'pio_write at 0x1f0 size 2 count 256 val 0x0 (...)'],
    ['kvm_mmio', 'mmio unsatisfied-read len 4 gpa 0xfee000b0 val 0x0'],
    ['kvm_fast_mmio', 'fast mmio at gpa 0xfe003000'],
    ['kvm_msr', 'msr_read 1d9 = 0x0 (#GP)'],
    ['kvm_userspace_exit', 'reason restart (-4)'],
    ['kvm_hypercall', 'nr 0x2c8a9e9cc6703c a0 0x1 a1 0x2 a2 0x3 a3 0x7'],
    ['kvm_hv_hypercall', 'code 0x8 fast cnt 0x0 idx 0x0 in 0x0 out 0x0'],
    ['kvm_xen_hypercall', 'cpl 0 nr 0x1d a0 0x1 a1 0x2'],
    ['kvm_emulate_insn', '0:ffffffffa0632f49:44 89 2c 25 00 00 00 10 (prot64)'],
    ['kvm_emulate_insn', '0:1007:ee (real)'],
    ['kvm_emulate_insn', '0:ffffffff810551b8:0f 00 d8 (prot64) failed'],
  ])('%s: %s', (name, p) => {
    expect(expectAgree(name, p).fast).not.toBeNull();
  });

  it.each([
    ['kvm_exit', 'reason PF excp rip 0x1 info 0 0'], // SVM name with a space
    ['kvm_exit', 'vcpu 0 reason INVALID_STATE FAILED_VMENTRY rip 0xfff0 info 0 0'], // VMX flag
    ['kvm_exit', 'reason UNKNOWN (2147483681) rip 0x1 info 0 0'], // plugin numeric reason
    ['kvm_exit', 'reason NOT_A_REASON rip 0x1 info 0 0'], // unknown_exit_reason
    ['kvm_exit', 'IRQ: HSR_EC: 0x0000 (UNKNOWN), PC: 0x0000000000401ec4'], // arm64
    ['kvm_entry', 'PC: 0x401ec4'],
    ['kvm_pio', 'pio_write at 0x3f8 size 1'], // truncated: bad_payload
    ['kvm_mmio', 'mmio write len 4 gpa 0xfffffffffffffff val 0x0'], // 60-bit GPA: rounded as buildEvent does
    ['kvm_emulate_insn', '0:133025: ec FAIL'], // plugin form
    ['kvm_emulate_insn', 'f0000:a962: ec'],
  ])('left to buildEvent: %s: %s', (name, p) => {
    expect(decodeBoth(name, p).fast).toBeNull();
  });
});

/** Whole lines with the generated payloads, in each layout: fast lane stream ≡ text path stream. */
describe('fast lane ≡ text path on generated lines', () => {
  const payloadOf = fc.oneof(
    exitPayload.map((p) => ['kvm_exit', p] as const),
    entryPayload.map((p) => ['kvm_entry', p] as const),
    pioPayload.map((p) => ['kvm_pio', p] as const),
    mmioPayload.map((p) => ['kvm_mmio', p] as const),
    msrPayload.map((p) => ['kvm_msr', p] as const),
    userspacePayload.map((p) => ['kvm_userspace_exit', p] as const),
    emulatePayload.map((p) => ['kvm_emulate_insn', p] as const),
    hypercallPayload,
  );
  const layouts = {
    'trace-cmd': (i: number, n: string, p: string) => `CPU ${i % 4}/KVM-${4000 + (i % 4)} [00${i % 4}] 100.${String(i).padStart(6, '0')}: ${n}: ${p}`,
    ftrace: (i: number, n: string, p: string) => `       CPU ${i % 4}/KVM-${4000 + (i % 4)}  [00${i % 4}] d..1. 100.${String(i).padStart(6, '0')}: ${n}: ${p}`,
    'perf-script': (i: number, n: string, p: string) => `       CPU ${i % 4}/KVM  ${4000 + (i % 4)} [00${i % 4}] 100.${String(i).padStart(6, '0')}: kvm:${n}: ${p}`,
  };
  it.each(Object.keys(layouts) as (keyof typeof layouts)[])('%s', (layout) => {
    fc.assert(
      fc.property(fc.array(payloadOf, { minLength: 1, maxLength: 30 }), (recs) => {
        const text = recs.map(([n, p], i) => layouts[layout](i, n, p)).join('\n') + '\n';
        expectSameStream(text, 64, layout);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

/** Record headers the fast lane scans byte by byte (character-class tables): any of them, the text path's answer. */
describe('fast lane ≡ text path on generated record headers', () => {
  const comm = fc.oneof(
    fc.constantFrom('CPU 0/KVM', 'qemu-system-x86', '<...>', 'kworker/u8:2', 'fc_vcpu 1', 'a.out', 'x [1]', 'CPU 12/KVM', 'qemu-kvm-é'),
    // White space the text path's regexes and trim() treat unlike a space.
    fc.constantFrom('\tqemu', 'qemu\t', 'a\tb', '\vqemu', 'qemu\f', 'a\rb'),
    fc.stringMatching(/^[A-Za-z0-9 _/.:<>[\]-]{1,14}$/),
  );
  const tid = fc.oneof(fc.nat({ max: 5_000_000 }).map(String), fc.constantFrom('0', '007', '1234567890123456', '99999999999999999999'));
  const cpu = fc.oneof(fc.nat({ max: 999 }).map((n) => String(n).padStart(3, '0')), fc.constantFrom('1', '12345', '123456', ''));
  const flags = fc.constantFrom('', 'd..1.', 'd..1', '....', 'dNh2.', 'X.s1f', 'd..', 'd..1..', 'q..1.', 'd.x1.', 'D.Z0', 'b..g.');
  const ts = fc.oneof(
    fc.tuple(fc.nat({ max: 99999 }), fc.nat({ max: 999999 })).map(([s, f]) => `${s}.${String(f).padStart(6, '0')}`),
    fc.constantFrom('117471684343752', '1.5', '12.345678901', '1.1234567890', '.5', '5.', '1.2.3', '0'),
  );
  const name = fc.constantFrom('kvm_exit', 'kvm_entry', 'kvm_pio', 'kvm_apic', 'sched_switch', 'kvm_fpu', 'vcpu_match_mmio', 'kvm:kvm_exit', 'x.y');
  const payload = fc.constantFrom(
    'reason HLT rip 0x1 info 0 0',
    'vcpu 0, rip 0xf7d6b',
    'pio_write at 0x3f8 size 1 count 1 val 0x34',
    'load',
    '',
    'reason HLT rip 0x1 info 0 0 …',
    'vcpu 0\f',
    'vcpu\r0',
    '\vvcpu 0',
    'reason HLT rip 0x1\tinfo 0 0\t',
    'unload\r',
  );
  const gap = fc.constantFrom(' ', '  ', '      ', '\t', ' \t');
  const line = fc
    .tuple(fc.constantFrom('', '   '), comm, fc.constantFrom('-', ' ', '  '), tid, gap, cpu, gap, flags, gap, ts, name, gap, payload)
    .map(
      ([lead, c, dash, t, g1, cp, g2, f, g3, s, n, g4, p]) =>
        `${lead}${c}${dash}${t}${g1}[${cp}]${g2}${f}${f === '' ? '' : g3}${s}: ${n}:${g4}${p}`,
    );
  it.each(['trace-cmd', 'ftrace', 'perf-script'] as const)('%s', (format) => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
        expectSameStream(lines.join('\n') + '\n', 64, format);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

/** fast-lane.ts NAME_SLOTS (two ways per set). */
const NAME_TABLE_SLOTS = 256;

describe('fast lane tables stay bounded', () => {
  it('3000 distinct event names (more than the name table holds): same events and counts as the text path', () => {
    const lines: string[] = [];
    const other = new Set<string>();
    for (let i = 0; i < 30_000; i++) {
      const ts = `100.${String(i).padStart(6, '0')}`;
      if (i % 3 === 0) lines.push(`CPU 0/KVM-4000 [000] ${ts}: kvm_exit: reason HLT rip 0x${(i % 7).toString(16)} info 0 0`);
      else if (i % 3 === 1) lines.push(`CPU 0/KVM-4000 [000] ${ts}: kvm_entry: vcpu 0, rip 0x1`);
      else {
        other.add(`ev_${(i * 7919) % 3000}`);
        lines.push(`task-${i % 50}-${5000 + (i % 50)} [001] ${ts}: ev_${(i * 7919) % 3000}: x=${i}`);
      }
    }
    expect(other.size).toBeGreaterThan(NAME_TABLE_SLOTS * 2);
    const text = lines.join('\n') + '\n';
    expect(expectSameStream(text, 1 << 16, 'trace-cmd')).toBe(20_000);
    const names = streamOf(text, true, 1 << 16, 'trace-cmd').eventCounts;
    expect(names.length).toBe(2 + other.size);
  });
});

describe('bytes ≥ 0x80 leave the line to the text path', () => {
  it.each([1 << 20, 7])('invalid UTF-8 and Latin-1 bytes in payloads and comms (chunk size %i)', (chunkSize) => {
    const ok = (i: number) => Buffer.from(`CPU 0/KVM-4000 [000] 100.${String(i).padStart(6, '0')}: kvm_exit: reason HLT rip 0x1 info 0 0\n`);
    const parts = [ok(1), Buffer.from('CPU 0/KVM-4000 [000] 100.000002: kvm_apic: apic_write APIC_ICR = 0x\xff\n', 'latin1')];
    parts.push(Buffer.from('CPU 0/KVM-4000 [000] 100.000003: kvm_entry: vcpu 0, rip 0x1 \xe9\n', 'latin1'));
    parts.push(Buffer.from('qemu-\xe9-4001 [001] 100.000004: kvm_exit: reason HLT rip 0x2 info 0 0\n', 'latin1'));
    parts.push(Buffer.from('CPU 1/KVM-4002 [001] 100.000005: sched_switch: prev=\xc3\xa9 next=x\n', 'latin1'));
    for (let i = 6; i < 20; i++) parts.push(ok(i));
    const buf = Buffer.concat(parts);
    const fast = streamOf(buf, true, chunkSize, 'trace-cmd');
    expect(fast.diagnostics.map((d) => d.code)).toContain('invalid_utf8');
    expectSameStream(buf, chunkSize, 'trace-cmd');
  });
});
