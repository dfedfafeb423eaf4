/**
 * The memoized classifier (src/classify/classify.ts, issue #5) against the pre-memo implementation kept verbatim in
 * ./classify-reference.ts: every round trip (and access group) of every real fixture — fixtures/public,
 * fixtures/lab, and ../shared/fixtures/large (text and trace.dat, skipped when absent) — under every ISA hint, with
 * a cold memo and again with a warm one, must get the same class, evidence signature, device and canonical reason.
 * A property test adds random exits (VMX, SVM, arm64, numeric codes, garbage) with random evidence, and a flood of
 * distinct garbage names checks that the bounded memos fall back to the same answers.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../src/analyze.js';
import { classifyAccess, classifyRoundTrip, classifyRoundTripUncached, clearClassifyMemo, reasonSlot } from '../../src/classify/classify.js';
import type { Isa, KvmExit, TraceEvent } from '../../src/model/events.js';
import { FIXTURES, HAS_SHARED_LARGE, SHARED } from '../helpers.js';
import { referenceClassifyAccess, referenceClassifyRoundTrip } from './classify-reference.js';

const HINTS: Isa[] = ['vmx', 'svm', 'arm64', 'unknown'];

interface Collected {
  trips: { exit: KvmExit; children: readonly TraceEvent[] }[];
  groups: (readonly TraceEvent[])[];
  classified: number;
}

async function collect(path: string): Promise<Collected> {
  const c: Collected = { trips: [], groups: [], classified: 0 };
  const run = await analyzeFiles([path], {
    onUnit: (_u, src) => {
      if ('exit' in src) c.trips.push({ exit: src.exit, children: src.children });
      else c.groups.push(src.children);
    },
  });
  c.classified = run.analysis.roundTrips.classified;
  return c;
}

/** Compare the memoized classifier with the reference over everything collected; returns the comparisons made. */
function compareAll(c: Collected, label: string): number {
  let n = 0;
  for (const pass of ['cold', 'warm'] as const) {
    if (pass === 'cold') clearClassifyMemo();
    for (const hint of HINTS) {
      for (const [i, t] of c.trips.entries()) {
        const want = referenceClassifyRoundTrip(t.exit, t.children, hint);
        const got = classifyRoundTrip(t.exit, t.children, hint);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          expect(got, `${label} round trip ${i} (line ${t.exit.source.line}), hint ${hint}, ${pass} memo`).toEqual(want);
        }
        n++;
      }
    }
    for (const [i, g] of c.groups.entries()) {
      expect(classifyAccess(g), `${label} access group ${i}`).toEqual(referenceClassifyAccess(g));
      n++;
    }
  }
  return n;
}

function fixtureFiles(): string[] {
  const pub = readdirSync(join(FIXTURES, 'public'))
    .filter((f) => /^\d{3}-.*\.txt$/.test(f))
    .map((f) => join(FIXTURES, 'public', f));
  const lab = readdirSync(join(FIXTURES, 'lab'))
    .filter((f) => f.endsWith('.txt.gz'))
    .map((f) => join(FIXTURES, 'lab', f));
  return [...pub, ...lab];
}

describe('memoized classification = the pre-memo classifier', () => {
  it('on every round trip and access group of fixtures/public and fixtures/lab', async () => {
    const files = fixtureFiles();
    expect(files.length).toBeGreaterThanOrEqual(12);
    let trips = 0;
    let groups = 0;
    for (const f of files) {
      const c = await collect(f);
      // Nothing the pipeline classified escaped the comparison.
      expect(c.trips.length + c.groups.length, f).toBe(c.classified);
      compareAll(c, f);
      trips += c.trips.length;
      groups += c.groups.length;
    }
    // The public excerpts hold 22 complete round trips, the lab capture only accesses (no kvm_exit/kvm_entry).
    expect(trips).toBeGreaterThanOrEqual(20);
    expect(groups).toBeGreaterThan(2000);
  });

  const large = HAS_SHARED_LARGE
    ? readdirSync(join(SHARED, 'fixtures', 'large'))
        .filter((f) => f.endsWith('.txt') || f.endsWith('.trace.dat'))
        .map((f) => join(SHARED, 'fixtures', 'large', f))
    : [];
  it.skipIf(large.length === 0)('on every round trip of ../shared/fixtures/large (text and trace.dat)', async () => {
    let trips = 0;
    for (const f of large) {
      const c = await collect(f);
      expect(c.trips.length + c.groups.length, f).toBe(c.classified);
      compareAll(c, f);
      trips += c.trips.length;
    }
    // The collection's captures hold well over 100k round trips (06 is kvm_exit only: none there).
    expect(trips).toBeGreaterThan(100_000);
  }, 600_000);
});

// ---------------------------------------------------------------------------------------------------------------
// Random exits and evidence

const header = (line: number) => ({ ts: line * 1000, cpu: 0, tid: 100, comm: 'CPU 0/KVM', instance: '', source: { file: 0, line } });

const REASONS = [
  'IO_INSTRUCTION', 'EPT_MISCONFIG', 'EPT_VIOLATION', 'VMCALL', 'MSR_WRITE', 'MSR_READ', 'CPUID', 'HLT', 'APIC_WRITE',
  'EXTERNAL_INTERRUPT', 'PREEMPTION_TIMER', 'EXCEPTION_NMI', 'PAUSE_INSTRUCTION', 'io', 'npf', 'hypercall', 'msr',
  'cpuid', 'hlt', 'PF excp', 'UD excp', 'EXIT_IOIO', 'EXIT_NPF', 'UNKNOWN (74)', '0x4a', '0x1e', 'apic_access', '',
  'no such reason', 'DABT_LOW', 'HVC64', 'WFx', 'IRQ',
];
const UEXITS = ['KVM_EXIT_IO', 'KVM_EXIT_MMIO', 'KVM_EXIT_HYPERCALL', 'KVM_EXIT_XEN', 'KVM_EXIT_HYPERV', 'KVM_EXIT_HLT', 'restart', 'error', '0x1d'];
const INFO1 = ['', '0', '200000', '5658000b', 'cf80140', '100000008', 'fffffffffffffff8', '0000000000000009', 'zz'];

const arbChild = (line: number): fc.Arbitrary<TraceEvent> =>
  fc.oneof(
    fc.record({ write: fc.boolean(), port: fc.integer({ min: 0, max: 0xffff }), size: fc.constantFrom(1, 2, 4) }).map(
      (r): TraceEvent => ({ ...header(line), kind: 'pio', ...r, count: 1, val: '0' }),
    ),
    fc.record({ op: fc.constantFrom('read' as const, 'write' as const, 'unsatisfied-read' as const), len: fc.constantFrom(1, 2, 4, 8), gpa: fc.nat() }).map(
      (r): TraceEvent => ({ ...header(line), kind: 'mmio', ...r, val: '0' }),
    ),
    fc.nat().map((gpa): TraceEvent => ({ ...header(line), kind: 'fast_mmio', gpa })),
    fc.constantFrom('kvm' as const, 'hyperv' as const, 'xen' as const).map((flavor): TraceEvent => ({ ...header(line), kind: 'hypercall', flavor, nr: '5' })),
    fc.constantFrom(...UEXITS).map((reason): TraceEvent => ({ ...header(line), kind: 'userspace_exit', reason, code: 2 })),
    fc.constant<TraceEvent>({ ...header(line), kind: 'msr', write: true, index: 0x6e0, val: '0', gp: false }),
    fc.constant<TraceEvent>({ ...header(line), kind: 'cpuid', func: 1, idx: -1 }),
    fc.constant<TraceEvent>({ ...header(line), kind: 'page_fault', address: '1000', errorCode: '4' }),
    fc.constant<TraceEvent>({ ...header(line), kind: 'emulate_insn', insn: '89 02', failed: false }),
    fc.constant<TraceEvent>({ ...header(line), kind: 'kvm_other', name: 'kvm_fpu' }),
  );

const arbExit: fc.Arbitrary<KvmExit> = fc
  .record({
    isa: fc.constantFrom<Isa>('vmx', 'svm', 'arm64', 'unknown'),
    rawReason: fc.constantFrom(...REASONS),
    exitCode: fc.option(fc.constantFrom(0x1e, 0x30, 0x31, 0x4a, 0x7b, 0x400, 0x80000021, -1), { nil: null }),
    info1: fc.constantFrom(...INFO1),
    arm64: fc.option(
      fc.record({ type: fc.constantFrom('TRAP', 'IRQ'), ecName: fc.constantFrom('DABT_LOW', 'HVC64', 'WFx', 'SYS64'), ec: fc.constantFrom(0x24, 0x16, 0x01, 0x18) }),
      { nil: undefined },
    ),
  })
  .map((r): KvmExit => {
    const e: KvmExit = {
      ...header(1),
      kind: 'exit',
      isa: r.isa,
      rawReason: r.rawReason,
      exitCode: r.exitCode,
      flags: [],
      vcpu: 0,
      rip: '1000',
      info1: r.info1,
      info2: '0',
      intrInfo: '',
      errorCode: '',
    };
    if (r.arm64 !== undefined) e.arm64 = r.arm64;
    return e;
  });

describe('memoized classification on random exits and evidence', () => {
  it('equals the pre-memo classifier, cold and warm', () => {
    clearClassifyMemo();
    fc.assert(
      fc.property(arbExit, fc.array(arbChild(2), { maxLength: 6 }), fc.constantFrom(...HINTS), (exit, children, hint) => {
        const want = referenceClassifyRoundTrip(exit, children, hint);
        expect(classifyRoundTrip(exit, children, hint)).toEqual(want);
        expect(classifyRoundTrip(exit, children, hint)).toEqual(want);
        expect(classifyRoundTripUncached(exit, children, hint)).toEqual(want);
        // The same evidence as an access group (no exit): memoized by its evidence bits too.
        const access = referenceClassifyAccess(children);
        expect(classifyAccess(children)).toEqual(access);
        expect(classifyAccess(children)).toEqual(access);
      }),
      { numRuns: 5000, seed: 5 },
    );
  });

  it('equals the pre-memo classifier on every reason × ISA × code × info1 × hint × evidence shape', () => {
    clearClassifyMemo();
    const h = header(2);
    const shapes: TraceEvent[][] = [
      [],
      ...UEXITS.map((reason): TraceEvent[] => [{ ...h, kind: 'userspace_exit', reason, code: 2 }]),
      [{ ...h, kind: 'pio', write: false, port: 0x5658, size: 4, count: 1, val: '0' }],
      [{ ...h, kind: 'mmio', op: 'write', len: 4, gpa: 0x10000000, val: '0' }, { ...h, kind: 'userspace_exit', reason: 'KVM_EXIT_MMIO', code: 6 }],
      [{ ...h, kind: 'fast_mmio', gpa: 0xfe003000 }],
      [{ ...h, kind: 'hypercall', flavor: 'xen', nr: '1' }, { ...h, kind: 'userspace_exit', reason: 'KVM_EXIT_XEN', code: 34 }],
      [{ ...h, kind: 'hypercall', flavor: 'hyperv', nr: '1' }],
      [{ ...h, kind: 'msr', write: false, index: 0x10, val: '0', gp: false }],
      [{ ...h, kind: 'cpuid', func: 0, idx: -1 }],
      [{ ...h, kind: 'page_fault', address: '0', errorCode: '0' }],
      [{ ...h, kind: 'emulate_insn', insn: '', failed: false }, { ...h, kind: 'userspace_exit', reason: 'restart', code: -4 }],
    ];
    let n = 0;
    for (const pass of [0, 1]) {
      for (const rawReason of REASONS) {
        for (const isa of HINTS) {
          for (const exitCode of [null, 0x30, 0x400]) {
            for (const info1 of INFO1) {
              const exit: KvmExit = {
                ...header(1), kind: 'exit', isa, rawReason, exitCode, flags: [], vcpu: 0, rip: '1', info1, info2: '', intrInfo: '', errorCode: '',
              };
              for (const hint of HINTS) {
                for (const children of shapes) {
                  const want = referenceClassifyRoundTrip(exit, children, hint);
                  const got = classifyRoundTrip(exit, children, hint);
                  if (JSON.stringify(got) !== JSON.stringify(want)) expect(got, `${pass} ${isa} ${rawReason} ${exitCode} ${info1} ${hint}`).toEqual(want);
                  n++;
                }
              }
            }
          }
        }
      }
    }
    expect(n).toBe(2 * REASONS.length * 4 * 3 * INFO1.length * 4 * shapes.length);
  });

  it('past the memo bounds (thousands of distinct garbage names) the answers stay the same', () => {
    clearClassifyMemo();
    const base = fc.sample(arbExit, { numRuns: 1, seed: 1 })[0]!;
    for (let i = 0; i < 5000; i++) {
      const exit: KvmExit = { ...base, isa: 'vmx', exitCode: null, rawReason: `GARBAGE_${i}` };
      const uexit: TraceEvent = { ...header(2), kind: 'userspace_exit', reason: `KVM_EXIT_ODD_${i % 400}`, code: 99 };
      const children: TraceEvent[] = i % 3 === 0 ? [] : [uexit];
      expect(classifyRoundTrip(exit, children, 'vmx')).toEqual(referenceClassifyRoundTrip(exit, children, 'vmx'));
      expect(classifyAccess(children)).toEqual(referenceClassifyAccess(children));
    }
    // And the common reasons still classify right once the memo is full.
    const io: KvmExit = { ...base, isa: 'vmx', exitCode: null, arm64: undefined, rawReason: 'IO_INSTRUCTION', info1: '5658000b' };
    delete io.arm64;
    const u: TraceEvent = { ...header(2), kind: 'userspace_exit', reason: 'KVM_EXIT_IO', code: 2 };
    const got = classifyRoundTrip(io, [u], 'vmx');
    expect(got).toEqual(referenceClassifyRoundTrip(io, [u], 'vmx'));
    expect(got).toMatchObject({ cls: 'pio-vmm', evidence: 'IO_INSTRUCTION+KVM_EXIT_IO', device: { space: 'pio', address: 0x5658, size: 4, write: false } });
  });
});

describe('reason cache slots', () => {
  it('the common exit reasons of one ISA each get their own slot (a shared slot costs a Map lookup per round trip)', () => {
    const vmx = ['EPT_VIOLATION', 'EPT_MISCONFIG', 'EXCEPTION_NMI', 'IO_INSTRUCTION', 'MSR_READ', 'MSR_WRITE', 'HLT', 'EXTERNAL_INTERRUPT', 'APIC_WRITE', 'APIC_ACCESS', 'PREEMPTION_TIMER', 'VMCALL', 'CPUID', 'PAUSE_INSTRUCTION', 'EOI_INDUCED', 'XSETBV', 'TPR_BELOW_THRESHOLD', 'CR_ACCESS', 'NMI_WINDOW', 'INVLPG', 'WBINVD'];
    const svm = ['npf', 'io', 'msr', 'hlt', 'intr', 'vintr', 'cpuid', 'vmmcall', 'pause', 'nmi', 'avic_incomplete_ipi', 'avic_unaccelerated_access', 'write_cr8', 'read_cr0', 'excp_db', 'shutdown', 'iret', 'rdtsc', 'xsetbv', 'smi'];
    for (const names of [vmx, svm]) expect(new Set(names.map(reasonSlot)).size, names.join(' ')).toBe(names.length);
  });
});
