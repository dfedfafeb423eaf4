import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/model/diagnostics.js';
import type { EventHeader, TraceEvent } from '../../src/model/events.js';
import { buildEvent } from '../../src/parse/payloads.js';

const H: EventHeader = { ts: 42, cpu: 3, tid: 1234, comm: 'CPU 0/KVM', instance: '', source: { file: 0, line: 7 } };

function parse(name: string, payload: string): { ev: TraceEvent; diag: Diagnostics } {
  const diag = new Diagnostics();
  const ev = buildEvent(name, payload, H, { diag, source: H.source, line: `${name}: ${payload}` });
  return { ev, diag };
}

/** The event body without the header, for compact expectations. */
function body(ev: TraceEvent): Record<string, unknown> {
  const { ts: _ts, cpu: _cpu, tid: _tid, comm: _comm, instance: _instance, source: _source, ...rest } = ev;
  return rest;
}

function ok(name: string, payload: string): Record<string, unknown> {
  const { ev, diag } = parse(name, payload);
  expect(diag.count('bad_payload')).toBe(0);
  return body(ev);
}

describe('header', () => {
  it('copies the header fields into the event', () => {
    const { ev } = parse('kvm_entry', 'vcpu 0');
    expect(ev).toMatchObject({ ts: 42, cpu: 3, tid: 1234, comm: 'CPU 0/KVM', instance: '', source: { file: 0, line: 7 } });
  });
});

describe('kvm_exit', () => {
  const exit = {
    kind: 'exit',
    exitCode: null,
    flags: [],
    vcpu: -1,
    info1: '',
    info2: '',
    intrInfo: '',
    errorCode: '',
  };

  it('2.6.32: lowercase VMX name, no info (#004)', () => {
    // `kvm-5664  [000] 11906.220181: kvm_exit: reason apic_access rip 0xc011518c`
    expect(ok('kvm_exit', 'reason apic_access rip 0xc011518c')).toEqual({
      ...exit,
      isa: 'vmx',
      rawReason: 'apic_access',
      rip: 'c011518c',
    });
  });

  it('≤5.3 kernel: info A B (#003)', () => {
    // `a.out-20024 [001] .... 2323301.154940: kvm_exit: reason EXCEPTION_NMI rip 0x1000 info 1000 80000b0e`
    expect(ok('kvm_exit', 'reason EXCEPTION_NMI rip 0x1000 info 1000 80000b0e')).toEqual({
      ...exit,
      isa: 'vmx',
      rawReason: 'EXCEPTION_NMI',
      rip: '1000',
      info1: '1000',
      info2: '80000b0e',
    });
  });

  it('5.4-5.9: vcpu prefix', () => {
    expect(ok('kvm_exit', 'vcpu 2 reason EPT_VIOLATION rip 0xffffffff81000000 info 683 0')).toMatchObject({
      vcpu: 2,
      rawReason: 'EPT_VIOLATION',
      info1: '683',
      info2: '0',
    });
  });

  it('5.8+: VMX flags after the reason name', () => {
    expect(ok('kvm_exit', 'vcpu 0 reason INVALID_STATE FAILED_VMENTRY rip 0xfff0 info 0 0')).toMatchObject({
      isa: 'vmx',
      rawReason: 'INVALID_STATE',
      flags: ['FAILED_VMENTRY'],
      rip: 'fff0',
    });
    // __print_flags prints unnamed bits as hex (SGX enclave-mode bit 27)
    expect(
      ok('kvm_exit', 'vcpu 1 reason EXTERNAL_INTERRUPT 0x8000000 rip 0x1234 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0'),
    ).toMatchObject({ rawReason: 'EXTERNAL_INTERRUPT', flags: ['SGX_ENCLAVE_MODE'] });
  });

  it('5.10+: info1/info2/intr_info/error_code, zero padding dropped (#009)', () => {
    // `qemu-system-x86-18971   [015] d.... 95922.997039: kvm_exit: vcpu 0 reason EXCEPTION_NMI rip 0xfd0bd info1 …`
    expect(
      ok(
        'kvm_exit',
        'vcpu 0 reason EXCEPTION_NMI rip 0xfd0bd info1 0x0000000000000000 info2 0x0000000000000413 intr_info 0x80000306 error_code 0x00000000',
      ),
    ).toEqual({
      ...exit,
      isa: 'vmx',
      rawReason: 'EXCEPTION_NMI',
      vcpu: 0,
      rip: 'fd0bd',
      info1: '0',
      info2: '413',
      intrInfo: '80000306',
      errorCode: '0',
    });
  });

  it('5.10+ (#011 PREEMPTION_TIMER, #013 TRIPLE_FAULT)', () => {
    expect(
      ok(
        'kvm_exit',
        'vcpu 0 reason PREEMPTION_TIMER rip 0x402065 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000',
      ),
    ).toMatchObject({ rawReason: 'PREEMPTION_TIMER', rip: '402065', vcpu: 0 });
    expect(
      ok(
        'kvm_exit',
        'vcpu 0 reason TRIPLE_FAULT rip 0x100146 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000',
      ),
    ).toMatchObject({ rawReason: 'TRIPLE_FAULT', rip: '100146' });
  });

  it('6.14+: trailing requests field', () => {
    expect(
      ok(
        'kvm_exit',
        'vcpu 3 reason HLT rip 0xffffffff81e3b9ce info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000 requests 0x0000000000000000',
      ),
    ).toMatchObject({ rawReason: 'HLT', vcpu: 3, rip: 'ffffffff81e3b9ce', errorCode: '0' });
  });

  it('SVM kernel names, including names with a space', () => {
    expect(
      ok(
        'kvm_exit',
        'vcpu 0 reason npf rip 0x400433 info1 0x0000000200000006 info2 0x0000000000641000 intr_info 0x00000000 error_code 0x00000000',
      ),
    ).toMatchObject({ isa: 'svm', rawReason: 'npf', info1: '200000006', info2: '641000' });
    expect(ok('kvm_exit', 'reason PF excp rip 0x1234 info 2 ffff')).toMatchObject({
      isa: 'svm',
      rawReason: 'PF excp',
      info1: '2',
    });
    expect(ok('kvm_exit', 'vcpu 0 reason io rip 0xffffffff8101 info1 0x0000000003f80200 info2 0x0 intr_info 0x0 error_code 0x0')).toMatchObject(
      { isa: 'svm', rawReason: 'io' },
    );
  });

  it('ISA-ambiguous old name (hypercall) keeps isa unknown', () => {
    expect(ok('kvm_exit', 'reason hypercall rip 0xc0101234')).toMatchObject({ isa: 'unknown', rawReason: 'hypercall' });
  });

  it('kernel hex fallback for unnamed reasons', () => {
    const { ev, diag } = parse('kvm_exit', 'vcpu 1 reason 0x5a rip 0x1234 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0');
    expect(body(ev)).toMatchObject({ isa: 'unknown', rawReason: '0x5a', exitCode: 0x5a });
    expect(diag.count('bad_payload')).toBe(0);
    expect(diag.count('unknown_exit_reason')).toBe(1);
    expect(parse('kvm_exit', 'vcpu 1 reason 0x4a rip 0x1 info 0 0').diag.count('unknown_exit_reason')).toBe(0);
  });

  it('plugin (trace-cmd report): EPT_MISCONFIG (#016), EPT_VIOLATION (#019), IO_INSTRUCTION (#020)', () => {
    // ` qemu-system-x86-31218 [000] 159269.806542: kvm_exit:             reason EPT_MISCONFIG rip 0x133025 info 0 0`
    expect(ok('kvm_exit', 'reason EPT_MISCONFIG rip 0x133025 info 0 0')).toMatchObject({
      isa: 'vmx',
      rawReason: 'EPT_MISCONFIG',
      rip: '133025',
      info1: '0',
      info2: '0',
    });
    expect(ok('kvm_exit', 'reason EPT_VIOLATION rip 0xffffffffbc726140 info 683 0')).toMatchObject({ info1: '683' });
    expect(ok('kvm_exit', 'reason IO_INSTRUCTION rip 0x7fa9ee5224e4 info 5658000b 0')).toMatchObject({
      rawReason: 'IO_INSTRUCTION',
      info1: '5658000b',
    });
  });

  it('plugin SVM name EXIT_IOIO (#028)', () => {
    // `qemu-system-x86-20667 [010] 15813659115036: kvm_exit:             reason EXIT_IOIO rip 0xec08e info cf80140 ec08f`
    expect(ok('kvm_exit', 'reason EXIT_IOIO rip 0xec08e info cf80140 ec08f')).toMatchObject({
      isa: 'svm',
      rawReason: 'EXIT_IOIO',
      rip: 'ec08e',
      info1: 'cf80140',
      info2: 'ec08f',
    });
  });

  it('plugin with a symbolized rip', () => {
    expect(ok('kvm_exit', 'reason HLT rip 0xffffffff81036706 native_safe_halt+0x6 info 0 0')).toMatchObject({
      rawReason: 'HLT',
      rip: 'ffffffff81036706',
      info1: '0',
    });
  });

  it('plugin UNKNOWN (n): exit code and VMX flags decoded', () => {
    const { ev, diag } = parse('kvm_exit', 'reason UNKNOWN (2147483681) rip 0xfff0 info 0 0');
    expect(body(ev)).toMatchObject({
      isa: 'unknown',
      rawReason: 'UNKNOWN (2147483681)',
      exitCode: 2147483681,
      flags: ['FAILED_VMENTRY'],
    });
    expect(diag.count('unknown_exit_reason')).toBe(0); // 33 = INVALID_STATE is in the table
    // SVM_EXIT_ERR read as u32 by the plugin: no VMX flags invented
    expect(ok('kvm_exit', 'reason UNKNOWN (4294967295) rip 0x0 info 0 0')).toMatchObject({ flags: [] });
  });

  it('plugin UNKNOWN-ISA', () => {
    const { ev, diag } = parse('kvm_exit', 'reason UNKNOWN-ISA rip 0xfff0 info 0 0');
    expect(body(ev)).toMatchObject({ isa: 'unknown', rawReason: 'UNKNOWN-ISA', exitCode: null });
    expect(diag.count('bad_payload')).toBe(0);
    expect(diag.count('unknown_exit_reason')).toBe(1);
  });

  it('arm64 IRQ and TRAP exits (#027)', () => {
    // `aarch32_id_regs-768 [002] .....   410.544665: kvm_exit: IRQ: HSR_EC: 0x0000 (UNKNOWN), PC: 0x0000000000401ec4`
    expect(ok('kvm_exit', 'IRQ: HSR_EC: 0x0000 (UNKNOWN), PC: 0x0000000000401ec4')).toEqual({
      ...exit,
      isa: 'arm64',
      rawReason: 'IRQ',
      exitCode: 0,
      rip: '401ec4',
      arm64: { type: 'IRQ', ecName: 'UNKNOWN', ec: 0 },
    });
    expect(ok('kvm_exit', 'TRAP: HSR_EC: 0x0020 (IABT_LOW), PC: 0x0000000000401ec4')).toMatchObject({
      isa: 'arm64',
      rawReason: 'IABT_LOW',
      exitCode: 0x20,
      arm64: { type: 'TRAP', ecName: 'IABT_LOW', ec: 0x20 },
    });
  });

  it('arm64 older forms: 32-bit PC, hex EC name, PC only', () => {
    expect(ok('kvm_exit', 'TRAP: HSR_EC: 0x0024 (DABT_LOW), PC: 0xffffffc0')).toMatchObject({
      rawReason: 'DABT_LOW',
      rip: 'ffffffc0',
    });
    expect(ok('kvm_exit', 'TRAP: HSR_EC: 0x0012 (0x12), PC: 0x00401ec4')).toMatchObject({
      rawReason: 'HVC32',
      arm64: { ecName: 'HVC32', ec: 0x12 },
    });
    expect(ok('kvm_exit', 'PC: 0x00401ec4')).toMatchObject({ isa: 'arm64', rawReason: '', rip: '401ec4' });
  });

  it('MIPS [reason]PC form', () => {
    expect(ok('kvm_exit', '[TLB Miss (LD)]PC: 0x80001234')).toMatchObject({
      isa: 'unknown',
      rawReason: 'TLB Miss (LD)',
      rip: '80001234',
    });
  });

  it('tolerates runs of blanks inside the payload', () => {
    expect(ok('kvm_exit', 'reason  EPT_MISCONFIG   rip 0x133025\tinfo 0  0')).toMatchObject({
      rawReason: 'EPT_MISCONFIG',
      rip: '133025',
      info2: '0',
    });
  });

  describe('malformed', () => {
    it.each([
      ['', ''],
      ['garbage here', ''],
      ['reason', ''],
      ['reason EPT_VIOLATION', 'EPT_VIOLATION'],
      ['reason HLT truncated tail', 'HLT'],
      ['vcpu x reason HLT rip 0x1', 'HLT'],
      ['reason HLT rip 0xzz info 0 0', 'HLT'],
      ['reason HLT rip 0x1 info 0', 'HLT'],
      ['reason HLT rip 0x1 info1 0xq info2 0x0', 'HLT'],
      ['HSR_EC: broken', ''],
    ])('%j → bad_payload, exit still returned', (payload, reason) => {
      const { ev, diag } = parse('kvm_exit', payload);
      expect(ev.kind).toBe('exit');
      expect(ev.kind === 'exit' && ev.rawReason).toBe(reason);
      expect(diag.count('bad_payload')).toBe(1);
      expect(diag.summaries()[0]?.samples[0]).toMatchObject({ line: 7, text: `kvm_exit: ${payload}` });
    });
  });
});

describe('kvm_entry', () => {
  it('≤5.9: vcpu only (#003)', () => {
    expect(ok('kvm_entry', 'vcpu 0')).toEqual({ kind: 'entry', vcpu: 0, rip: '', immediateExit: false });
  });

  it('5.10+: vcpu N, rip (#009, #013, #019)', () => {
    expect(ok('kvm_entry', 'vcpu 0, rip 0xf7d6b')).toEqual({ kind: 'entry', vcpu: 0, rip: 'f7d6b', immediateExit: false });
    expect(ok('kvm_entry', 'vcpu 3, rip 0xffffffffbc7648b0')).toMatchObject({ vcpu: 3, rip: 'ffffffffbc7648b0' });
  });

  it('6.9+: [immediate exit] glued without a space', () => {
    expect(ok('kvm_entry', 'vcpu 0, rip 0xf7d6b[immediate exit]')).toEqual({
      kind: 'entry',
      vcpu: 0,
      rip: 'f7d6b',
      immediateExit: true,
    });
  });

  it('6.14+: intr_info and error_code', () => {
    expect(ok('kvm_entry', 'vcpu 2, rip 0xffffffff81e3b9ce intr_info 0x00000000 error_code 0x00000000')).toMatchObject({
      vcpu: 2,
      rip: 'ffffffff81e3b9ce',
      immediateExit: false,
    });
    expect(
      ok('kvm_entry', 'vcpu 2, rip 0xffffffff81e3b9ce intr_info 0x80000030 error_code 0x00000000[immediate exit]'),
    ).toMatchObject({ immediateExit: true });
  });

  it('plugin (libtraceevent ≥1.6.3): no comma (#025, large fixtures)', () => {
    // `fc_vcpu 1  599500 [039] 1377662.550600: kvm:kvm_entry:  vcpu 1 rip 0xffffffff81036706`
    expect(ok('kvm_entry', 'vcpu 1 rip 0xffffffff81036706')).toEqual({
      kind: 'entry',
      vcpu: 1,
      rip: 'ffffffff81036706',
      immediateExit: false,
    });
    expect(ok('kvm_entry', 'vcpu 1 rip 0xffffffff81036706 native_safe_halt+0x6')).toMatchObject({ vcpu: 1 });
  });

  it('arm64: PC only, vcpu -1 (#027)', () => {
    expect(ok('kvm_entry', 'PC: 0x0000000000401ec4')).toEqual({ kind: 'entry', vcpu: -1, rip: '401ec4', immediateExit: false });
  });

  it.each(['', 'bogus', 'vcpu', 'vcpu x, rip 0x1', 'vcpu 0, rip 0xzz', 'vcpu 0, foo 0x1', 'PC: nothex'])(
    'malformed %j → bad_payload, entry still returned',
    (payload) => {
      const { ev, diag } = parse('kvm_entry', payload);
      expect(ev.kind).toBe('entry');
      expect(diag.count('bad_payload')).toBe(1);
    },
  );
});

describe('kvm_pio', () => {
  it('with val, trailing space already trimmed (#003)', () => {
    // `a.out-20024 [001] .... 2323301.154971: kvm_pio: pio_write at 0x3f8 size 1 count 1 val 0x34 `
    expect(ok('kvm_pio', 'pio_write at 0x3f8 size 1 count 1 val 0x34')).toEqual({
      kind: 'pio',
      write: true,
      port: 0x3f8,
      size: 1,
      count: 1,
      val: '34',
    });
  });

  it('read of the VMware backdoor (#020)', () => {
    expect(ok('kvm_pio', 'pio_read at 0x5658 size 4 count 1 val 0x4')).toMatchObject({ write: false, port: 0x5658, size: 4 });
  });

  it('2.6.32 without val (#004)', () => {
    expect(ok('kvm_pio', 'pio_read at 0xc13e size 2 count 1')).toEqual({
      kind: 'pio',
      write: false,
      port: 0xc13e,
      size: 2,
      count: 1,
      val: '',
    });
  });

  it('string I/O with count > 1 prints (...)', () => {
    expect(ok('kvm_pio', 'pio_write at 0x1f0 size 2 count 256 val 0xffff (...)')).toMatchObject({ count: 256, val: 'ffff' });
  });

  it.each(['pio_write at zz', 'pio_sideways at 0x3f8 size 1 count 1', 'pio_write at 0x3f8 size x count 1', 'pio_write at 0x3f8 size 1 count 1 val 0x1 junk'])(
    'malformed %j → kvm_other + bad_payload',
    (payload) => {
      const { ev, diag } = parse('kvm_pio', payload);
      expect(body(ev)).toEqual({ kind: 'kvm_other', name: 'kvm_pio' });
      expect(diag.count('bad_payload')).toBe(1);
    },
  );
});

describe('kvm_mmio', () => {
  it('2.6.32-era write to the LAPIC EOI register (#004)', () => {
    expect(ok('kvm_mmio', 'mmio write len 4 gpa 0xfee000b0 val 0x0')).toEqual({
      kind: 'mmio',
      op: 'write',
      len: 4,
      gpa: 0xfee000b0,
      val: '0',
    });
  });

  it('read and unsatisfied-read (lab tracefs_user.txt)', () => {
    expect(ok('kvm_mmio', 'mmio unsatisfied-read len 4 gpa 0x10000000 val 0x0')).toMatchObject({
      op: 'unsatisfied-read',
      gpa: 0x10000000,
    });
    expect(ok('kvm_mmio', 'mmio read len 8 gpa 0xfed000f0 val 0x1234abcd')).toMatchObject({ op: 'read', len: 8, val: '1234abcd' });
  });

  it('without val', () => {
    expect(ok('kvm_mmio', 'mmio write len 4 gpa 0xfec00000')).toMatchObject({ val: '' });
  });

  it.each(['mmio poke len 4 gpa 0x0 val 0x0', 'mmio write len four gpa 0x0 val 0x0', 'mmio write len 4 gpa 0xg val 0x0', 'nonsense'])(
    'malformed %j',
    (payload) => {
      const { ev, diag } = parse('kvm_mmio', payload);
      expect(ev.kind).toBe('kvm_other');
      expect(diag.count('bad_payload')).toBe(1);
    },
  );
});

describe('kvm_fast_mmio', () => {
  it('parses the gpa', () => {
    expect(ok('kvm_fast_mmio', 'fast mmio at gpa 0xfe003000')).toEqual({ kind: 'fast_mmio', gpa: 0xfe003000 });
  });

  it('malformed', () => {
    const { ev, diag } = parse('kvm_fast_mmio', 'fast mmio at 0xfe003000');
    expect(ev.kind).toBe('kvm_other');
    expect(diag.count('bad_payload')).toBe(1);
  });
});

describe('hypercalls', () => {
  it('kvm_hypercall (#011)', () => {
    // `apic_bus_clock_-11419 [056] d..2.   146.771179: kvm_hypercall: nr 0x2c8a9e9cc6703c a0 … a3 0x7  `
    expect(
      ok('kvm_hypercall', 'nr 0x2c8a9e9cc6703c a0 0x2c8b0e9ce46c37 a1 0xe0003bf7 a2 0xe0003bf7 a3 0x7'),
    ).toEqual({ kind: 'hypercall', flavor: 'kvm', nr: '2c8a9e9cc6703c' });
    expect(ok('kvm_hypercall', 'nr 0x9 a0 0x0 a1 0x0 a2 0x0 a3 0x0')).toMatchObject({ nr: '9' });
  });

  it('kvm_hv_hypercall, old and new forms', () => {
    expect(ok('kvm_hv_hypercall', 'code 0x8 fast cnt 0x0 idx 0x0 in 0x0 out 0x0')).toEqual({
      kind: 'hypercall',
      flavor: 'hyperv',
      nr: '8',
    });
    expect(ok('kvm_hv_hypercall', 'code 0x2 slow var_cnt 0x0 rep_cnt 0x1 idx 0x0 in 0x1234000 out 0x0')).toMatchObject({
      flavor: 'hyperv',
      nr: '2',
    });
  });

  it('kvm_xen_hypercall', () => {
    expect(ok('kvm_xen_hypercall', 'cpl 0 nr 0x1d a0 0x1 a1 0x2 a2 0x3 a3 0x4 a4 0x5 a5 6')).toEqual({
      kind: 'hypercall',
      flavor: 'xen',
      nr: '1d',
    });
  });

  it('malformed', () => {
    for (const [n, p] of [
      ['kvm_hypercall', 'a0 0x1'],
      ['kvm_hv_hypercall', 'code zz fast'],
      ['kvm_xen_hypercall', 'nr 0x1'],
    ] as const) {
      const { ev, diag } = parse(n, p);
      expect(ev.kind).toBe('kvm_other');
      expect(diag.count('bad_payload')).toBe(1);
    }
  });
});

describe('kvm_userspace_exit', () => {
  it.each([
    ['reason KVM_EXIT_IO (2)', 'KVM_EXIT_IO', 2], // #003
    ['reason KVM_EXIT_HLT (5)', 'KVM_EXIT_HLT', 5], // #003
    ['reason KVM_EXIT_SHUTDOWN (8)', 'KVM_EXIT_SHUTDOWN', 8], // #013
    ['reason KVM_EXIT_INTERNAL_ERROR (17)', 'KVM_EXIT_INTERNAL_ERROR', 17], // #016
    ['reason KVM_EXIT_MMIO (6)', 'KVM_EXIT_MMIO', 6],
    ['reason restart (4)', 'restart', 4],
    ['reason restart (-4)', 'restart', -4],
    ['reason error (14)', 'error', 14],
    ['reason 0x1d (29)', '0x1d', 29], // names missing from kvm_trace_exit_reason print as hex
  ])('%s', (payload, reason, code) => {
    expect(ok('kvm_userspace_exit', payload)).toEqual({ kind: 'userspace_exit', reason, code });
  });

  it.each(['reason KVM_EXIT_IO', 'reason KVM_EXIT_IO (x)', 'KVM_EXIT_IO (2)', 'reason KVM_EXIT_IO (2) extra'])(
    'malformed %j',
    (payload) => {
      const { ev, diag } = parse('kvm_userspace_exit', payload);
      expect(ev.kind).toBe('kvm_other');
      expect(diag.count('bad_payload')).toBe(1);
    },
  );
});

describe('kvm_msr', () => {
  it('write (large fixture 05)', () => {
    expect(ok('kvm_msr', 'msr_write 6e0 = 0x4dcfc45840')).toEqual({
      kind: 'msr',
      write: true,
      index: 0x6e0,
      val: '4dcfc45840',
      gp: false,
    });
  });

  it('read that faulted', () => {
    expect(ok('kvm_msr', 'msr_read c0010015 = 0x0 (#GP)')).toEqual({
      kind: 'msr',
      write: false,
      index: 0xc0010015,
      val: '0',
      gp: true,
    });
  });

  it('malformed', () => {
    const { ev, diag } = parse('kvm_msr', 'msr_write 6e0 0x1');
    expect(ev.kind).toBe('kvm_other');
    expect(diag.count('bad_payload')).toBe(1);
  });
});

describe('kvm_cpuid', () => {
  it('oldest form', () => {
    expect(ok('kvm_cpuid', 'func 1 rax 306a9 rbx 10800 rcx 7fbae3ff rdx bfebfbff')).toEqual({ kind: 'cpuid', func: 1, idx: -1 });
  });

  it('4.x form with cpuid entry', () => {
    expect(ok('kvm_cpuid', 'func 40000000 rax 40000001 rbx 4b4d564b rcx 564b4d56 rdx 4d, cpuid entry found')).toMatchObject({
      func: 0x40000000,
      idx: -1,
    });
  });

  it('~5.7+ form with idx (lab tracefs_user.txt) and used max basic', () => {
    expect(ok('kvm_cpuid', 'func 0 idx 0 rax d rbx 68747541 rcx 444d4163 rdx 69746e65, cpuid entry found')).toEqual({
      kind: 'cpuid',
      func: 0,
      idx: 0,
    });
    expect(ok('kvm_cpuid', 'func 80000008 idx 1 rax 3030 rbx 0 rcx 0 rdx 0, cpuid entry not found, used max basic')).toMatchObject({
      func: 0x80000008,
      idx: 1,
    });
  });

  it('malformed', () => {
    const { ev, diag } = parse('kvm_cpuid', 'func 1 rax 1 rbx 2');
    expect(ev.kind).toBe('kvm_other');
    expect(diag.count('bad_payload')).toBe(1);
  });
});

describe('kvm_emulate_insn', () => {
  it('kernel form (#003, lab)', () => {
    expect(ok('kvm_emulate_insn', '0:1007:ee (real)')).toEqual({ kind: 'emulate_insn', insn: 'ee', failed: false });
    expect(ok('kvm_emulate_insn', '0:10014:e6 f0 (prot64)')).toEqual({ kind: 'emulate_insn', insn: 'e6 f0', failed: false });
    expect(ok('kvm_emulate_insn', '0:ffffffff810551b8:0f 00 d8 (prot64) failed')).toEqual({
      kind: 'emulate_insn',
      insn: '0f 00 d8',
      failed: true,
    });
  });

  it('plugin form (#016)', () => {
    expect(ok('kvm_emulate_insn', '0:133025: ec')).toEqual({ kind: 'emulate_insn', insn: 'ec', failed: false });
    expect(ok('kvm_emulate_insn', '0:133025: ec FAIL')).toEqual({ kind: 'emulate_insn', insn: 'ec', failed: true });
    expect(ok('kvm_emulate_insn', 'f0000:a962: ec')).toEqual({ kind: 'emulate_insn', insn: 'ec', failed: false });
  });

  it('plugin with function and disassembly', () => {
    expect(ok('kvm_emulate_insn', '0:ffffffff81000000 native_write+0x5: 89 38')).toMatchObject({ insn: '89 38' });
    // udis86 AT&T output ending in a parenthesis is not mistaken for the kernel's (mode)
    expect(ok('kvm_emulate_insn', '0:ffffffff81000000: mov %eax, (%rbx)')).toMatchObject({ insn: 'mov %eax, (%rbx)' });
  });

  it('malformed', () => {
    const { ev, diag } = parse('kvm_emulate_insn', 'no colons here');
    expect(ev.kind).toBe('kvm_other');
    expect(diag.count('bad_payload')).toBe(1);
  });
});

describe('kvm_nested_vmexit / kvm_nested_vmexit_inject', () => {
  it('old plugin form (#020)', () => {
    // `kvm_nested_vmexit:    rip 7fa9ee5224e4 reason IO_INSTRUCTION info1 5658000b info2 0 int_info 0 int_info_err 0`
    expect(
      ok('kvm_nested_vmexit', 'rip 7fa9ee5224e4 reason IO_INSTRUCTION info1 5658000b info2 0 int_info 0 int_info_err 0'),
    ).toEqual({ kind: 'nested_vmexit', inject: false, rawReason: 'IO_INSTRUCTION' });
  });

  it('≤5.9 kernel form', () => {
    expect(
      ok(
        'kvm_nested_vmexit',
        'rip: 0x00000000004004b0 reason: EXTERNAL_INTERRUPT ext_inf1: 0x0000000000000000 ext_inf2: 0x0000000000000000 ext_int: 0x800000ef ext_int_err: 0x00000000',
      ),
    ).toMatchObject({ rawReason: 'EXTERNAL_INTERRUPT' });
  });

  it('≥5.10 kernel form = kvm_exit text', () => {
    expect(
      ok(
        'kvm_nested_vmexit',
        'vcpu 0 reason EPT_VIOLATION rip 0x4004b0 info1 0x0000000000000181 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000',
      ),
    ).toEqual({ kind: 'nested_vmexit', inject: false, rawReason: 'EPT_VIOLATION' });
  });

  it("plugin on ≥5.10 kernels: CAN'T FIND FIELD prefix", () => {
    expect(
      ok(
        'kvm_nested_vmexit',
        'CAN\'T FIND FIELD "rip"<CANT FIND FIELD exit_code>vcpu 0 reason npf rip 0x400433 info1 0x0000000200000006 info2 0x0000000000641000 intr_info 0x00000000 error_code 0x00000000',
      ),
    ).toMatchObject({ rawReason: 'npf' });
  });

  it('inject: kernel form, with 5.8 flags, and plugin form', () => {
    expect(
      ok(
        'kvm_nested_vmexit_inject',
        'reason: EPT_VIOLATION ext_inf1: 0x0000000000000181 ext_inf2: 0x0000000000000000 ext_int: 0x00000000 ext_int_err: 0x00000000',
      ),
    ).toEqual({ kind: 'nested_vmexit', inject: true, rawReason: 'EPT_VIOLATION' });
    expect(
      ok(
        'kvm_nested_vmexit_inject',
        'reason: INVALID_STATE FAILED_VMENTRY ext_inf1: 0x0000000000000000 ext_inf2: 0x0000000000000000 ext_int: 0x00000000 ext_int_err: 0x00000000',
      ),
    ).toMatchObject({ rawReason: 'INVALID_STATE' });
    expect(ok('kvm_nested_vmexit_inject', 'reason EXIT_NPF info1 100000014 info2 400000 int_info 0 int_info_err 0')).toMatchObject({
      inject: true,
      rawReason: 'EXIT_NPF',
    });
  });

  it('malformed', () => {
    for (const p of ['rip zz reason HLT info1 0', 'reason: HLT', 'hello']) {
      const { ev, diag } = parse('kvm_nested_vmexit', p);
      expect(ev.kind).toBe('kvm_other');
      expect(diag.count('bad_payload')).toBe(1);
    }
  });
});

describe('kvm_page_fault', () => {
  it('old form (#003)', () => {
    expect(ok('kvm_page_fault', 'address 1000 error_code 14')).toEqual({ kind: 'page_fault', address: '1000', errorCode: '14' });
  });

  it('vcpu/rip form, zero-padded (#019)', () => {
    expect(
      ok('kvm_page_fault', 'vcpu 1 rip 0xffffffffbc726140 address 0x00000001170aaff8 error_code 0x683'),
    ).toEqual({ kind: 'page_fault', address: '1170aaff8', errorCode: '683' });
    expect(ok('kvm_page_fault', 'vcpu 0 rip 0xfff0 address 0xfee00000 error_code 6')).toMatchObject({ address: 'fee00000' });
  });

  it('malformed', () => {
    const { ev, diag } = parse('kvm_page_fault', 'address 1000');
    expect(ev.kind).toBe('kvm_other');
    expect(diag.count('bad_payload')).toBe(1);
  });
});

describe('other events', () => {
  it('untyped KVM events become kvm_other', () => {
    expect(ok('kvm_fpu', 'load')).toEqual({ kind: 'kvm_other', name: 'kvm_fpu' });
    expect(ok('kvm_mmu_get_page', 'existing sp gfn 3a22e 1/4 q3 direct --x !pge !nxe root 6 sync')).toEqual({
      kind: 'kvm_other',
      name: 'kvm_mmu_get_page',
    });
    expect(ok('vcpu_match_mmio', 'gva 0x10000000 gpa 0x10000000 Write GPA')).toEqual({
      kind: 'kvm_other',
      name: 'vcpu_match_mmio',
    });
    expect(ok('kvm_inj_virq', 'IRQ 0xb0 [reinjected]')).toEqual({ kind: 'kvm_other', name: 'kvm_inj_virq' });
  });

  it('non-KVM events become other', () => {
    expect(ok('sched_switch', 'prev_comm=a prev_pid=1')).toEqual({ kind: 'other', name: 'sched_switch' });
    expect(ok('write_msr', '1d9, value 4000')).toEqual({ kind: 'other', name: 'write_msr' });
    expect(ok('p_hv_track_root_tdp_0', '(hv_track_root_tdp+0x0/0x70 [kvm]) si=0x18b082000')).toEqual({
      kind: 'other',
      name: 'p_hv_track_root_tdp_0',
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Real captures, read in place from ../shared (skipped when absent; never copied into the project).

const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures');
/** `…<timestamp>: <[sys:]name>: <payload>` — enough to pull name and payload out of these well-formed files. */
const RECORD = /\d+(?:\.\d+)?: +(?:\w+:)?(\w+):(?: +(.*))?$/;

function sweep(rel: string): { kinds: Map<string, number>; reasons: Map<string, number>; diag: Diagnostics } {
  const diag = new Diagnostics();
  const kinds = new Map<string, number>();
  const reasons = new Map<string, number>();
  const lines = readFileSync(resolve(SHARED, rel), 'utf8').split('\n');
  lines.forEach((line, i) => {
    const m = RECORD.exec(line);
    if (m === null) return;
    const source = { file: 0, line: i + 1 };
    const ev = buildEvent(m[1]!, (m[2] ?? '').trim(), { ...H, source }, { diag, source, line });
    kinds.set(ev.kind, (kinds.get(ev.kind) ?? 0) + 1);
    if (ev.kind === 'exit') reasons.set(ev.rawReason, (reasons.get(ev.rawReason) ?? 0) + 1);
  });
  return { kinds, reasons, diag };
}

describe.skipIf(!existsSync(SHARED))('real captures in shared/fixtures', () => {
  it('large 06 (trace-cmd plugin, exit-only): every exit parses with a known reason', () => {
    const { kinds, reasons, diag } = sweep('large/06-hip24-thesis-kvm-exit-only-grep-noapic.txt');
    expect(kinds.get('exit')).toBe(29514); // SOURCES.md: 29,514 kvm_exit lines
    expect(diag.count('bad_payload')).toBe(0);
    expect(diag.count('unknown_exit_reason')).toBe(0);
    expect([...reasons.keys()].every((r) => /^[A-Z_]+$/.test(r))).toBe(true);
  });

  it('large 05 (trace-cmd report, all events): typed KVM events, no diagnostics', () => {
    const { kinds, diag } = sweep('large/05-hip24-thesis-host-report-all-events.txt');
    expect(kinds.get('exit')).toBe(810);
    expect(kinds.get('entry')).toBe(806);
    expect(kinds.get('msr')).toBe(505);
    expect(kinds.get('fast_mmio')).toBe(43);
    expect(diag.summaries()).toEqual([]);
  });

  it('lab tracefs_user.txt (kernel 6.18 formats): the access events the truth file counts', () => {
    const { kinds, diag } = sweep('lab/tracefs_user.txt');
    expect(kinds.get('pio')).toBe(3025); // 2025 VMM + 1000 ioeventfd
    expect(kinds.get('mmio')).toBe(3000);
    expect(kinds.get('userspace_exit')).toBe(3025); // 2025 KVM_EXIT_IO + 1000 KVM_EXIT_MMIO
    expect(kinds.get('cpuid')).toBe(1000);
    expect(diag.summaries()).toEqual([]);
  });

  it('public excerpts #003 #004 #020: every KVM line parses', () => {
    for (const f of [
      'public/003-github-kvm-example-aout-trace-pipe.txt',
      'public/004-linux-kvm-org-perf-events-old-trace-pipe.txt',
      'public/020-kvm-list-2019-jailhouse-nested-loop-trace-cmd.txt',
    ]) {
      const { diag } = sweep(f);
      expect(diag.count('bad_payload'), f).toBe(0);
    }
  });
});
