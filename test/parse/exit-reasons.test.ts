import { describe, expect, it } from 'vitest';
import {
  arm64EcCode,
  arm64EcName,
  canonicalizeReason,
  decodeIoInfo,
  isaHintOfReason,
  kvmUserspaceExitName,
  svmReasonName,
  VMX_EXIT_FLAGS,
  vmxFlagsOf,
  vmxReasonName,
} from '../../src/parse/exit-reasons.js';

describe('vmxReasonName (uapi vmx.h VMX_EXIT_REASONS)', () => {
  it.each([
    [0, 'EXCEPTION_NMI'],
    [1, 'EXTERNAL_INTERRUPT'],
    [7, 'INTERRUPT_WINDOW'],
    [10, 'CPUID'],
    [12, 'HLT'],
    [18, 'VMCALL'],
    [30, 'IO_INSTRUCTION'],
    [31, 'MSR_READ'],
    [32, 'MSR_WRITE'],
    [33, 'INVALID_STATE'],
    [40, 'PAUSE_INSTRUCTION'],
    [44, 'APIC_ACCESS'],
    [45, 'EOI_INDUCED'],
    [48, 'EPT_VIOLATION'],
    [49, 'EPT_MISCONFIG'],
    [52, 'PREEMPTION_TIMER'],
    [56, 'APIC_WRITE'],
    [64, 'XRSTORS'],
    [74, 'BUS_LOCK'],
    [75, 'NOTIFY'],
    [77, 'TDCALL'],
    [84, 'MSR_READ_IMM'],
    [85, 'MSR_WRITE_IMM'],
  ])('%i → %s', (code, name) => {
    expect(vmxReasonName(code)).toBe(name);
  });

  it('returns null for holes and out-of-range values', () => {
    expect(vmxReasonName(5)).toBeNull(); // reserved
    expect(vmxReasonName(6)).toBeNull(); // OTHER_SMI: #defined, not in the trace table
    expect(vmxReasonName(11)).toBeNull(); // GETSEC: not in the kernel table
    expect(vmxReasonName(1000)).toBeNull();
    expect(vmxReasonName(-1)).toBeNull();
  });
});

describe('svmReasonName (uapi svm.h SVM_EXIT_REASONS)', () => {
  it.each([
    [0x000, 'read_cr0'],
    [0x04d, 'GP excp'],
    [0x04e, 'PF excp'],
    [0x053, 'XF excp'],
    [0x060, 'interrupt'],
    [0x064, 'vintr'],
    [0x069, 'read_rt'],
    [0x072, 'cpuid'],
    [0x078, 'hlt'],
    [0x07b, 'io'],
    [0x07c, 'msr'],
    [0x07f, 'shutdown'],
    [0x081, 'hypercall'],
    [0x0a5, 'buslock'],
    [0x0a6, 'idle-halt'],
    [0x400, 'npf'],
    [0x401, 'avic_incomplete_ipi'],
    [0x403, 'vmgexit'],
    [0x80000001, 'vmgexit_mmio_read'],
    [-1, 'invalid_guest_state'],
  ])('%i → %s', (code, name) => {
    expect(svmReasonName(code)).toBe(name);
  });

  it('treats the 32-bit field value 0xffffffff as SVM_EXIT_ERR', () => {
    expect(svmReasonName(0xffffffff)).toBe('invalid_guest_state');
  });

  it('returns null for unknown codes', () => {
    expect(svmReasonName(0x042)).toBeNull(); // vector 2 (NMI) has no exception intercept name
    expect(svmReasonName(0x500)).toBeNull();
  });
});

describe('kvmUserspaceExitName (uapi kvm.h KVM_EXIT_*)', () => {
  it.each([
    [0, 'KVM_EXIT_UNKNOWN'],
    [2, 'KVM_EXIT_IO'],
    [3, 'KVM_EXIT_HYPERCALL'],
    [5, 'KVM_EXIT_HLT'],
    [6, 'KVM_EXIT_MMIO'],
    [8, 'KVM_EXIT_SHUTDOWN'],
    [17, 'KVM_EXIT_INTERNAL_ERROR'],
    [24, 'KVM_EXIT_SYSTEM_EVENT'],
    [29, 'KVM_EXIT_X86_RDMSR'],
    [30, 'KVM_EXIT_X86_WRMSR'],
    [31, 'KVM_EXIT_DIRTY_RING_FULL'],
    [34, 'KVM_EXIT_XEN'],
    [39, 'KVM_EXIT_MEMORY_FAULT'],
    [40, 'KVM_EXIT_TDX'],
    [41, 'KVM_EXIT_ARM_SEA'],
  ])('%i → %s', (code, name) => {
    expect(kvmUserspaceExitName(code)).toBe(name);
  });

  it('returns null past the table', () => {
    expect(kvmUserspaceExitName(99)).toBeNull();
    expect(kvmUserspaceExitName(-4)).toBeNull();
  });
});

describe('VMX flags', () => {
  it('names FAILED_VMENTRY as bit 31', () => {
    expect(VMX_EXIT_FLAGS.find((f) => f.name === 'FAILED_VMENTRY')?.bit).toBe(31);
  });

  it('decodes the upper 16 bits, leftover bits as kernel-style hex', () => {
    expect(vmxFlagsOf(0x80000021)).toEqual(['FAILED_VMENTRY']);
    expect(vmxFlagsOf(0x08000001)).toEqual(['SGX_ENCLAVE_MODE']);
    expect(vmxFlagsOf(0x00010030)).toEqual(['0x10000']);
    expect(vmxFlagsOf(30)).toEqual([]);
  });
});

describe('isaHintOfReason', () => {
  it.each([
    ['EPT_MISCONFIG', 'vmx'],
    ['IO_INSTRUCTION', 'vmx'],
    ['PENDING_INTERRUPT', 'vmx'], // plugin / pre-5.x spelling of basic reason 7
    ['apic_access', 'vmx'], // 2.6.32 vmx.c lowercase names (#004)
    ['io_instruction', 'vmx'],
    ['ext_irq', 'vmx'],
    ['ept_violation', 'vmx'],
    ['halt', 'vmx'],
    ['npf', 'svm'],
    ['io', 'svm'],
    ['msr', 'svm'],
    ['vintr', 'svm'],
    ['hlt', 'svm'],
    ['PF excp', 'svm'],
    ['EXIT_IOIO', 'svm'], // libtraceevent plugin (#028)
    ['EXIT_NPF', 'svm'],
    ['EXIT_ERR', 'svm'],
    ['hypercall', 'unknown'], // VMX (2.6.32) and SVM both print it
    ['cpuid', 'unknown'],
    ['invlpg', 'unknown'],
    ['wbinvd', 'unknown'],
    ['task_switch', 'unknown'],
    ['UNKNOWN (74)', 'unknown'],
    ['UNKNOWN-ISA', 'unknown'],
    ['0x4a', 'unknown'],
    ['totally_new_reason', 'unknown'],
  ])('%s → %s', (raw, isa) => {
    expect(isaHintOfReason(raw)).toBe(isa);
  });
});

describe('canonicalizeReason', () => {
  it('maps old lowercase VMX names onto the uppercase kernel names', () => {
    expect(canonicalizeReason('apic_access', 'unknown', null)).toMatchObject({
      isa: 'vmx',
      reason: 'APIC_ACCESS',
      code: 44,
      known: true,
    });
    expect(canonicalizeReason('io_instruction', 'unknown', null).reason).toBe('IO_INSTRUCTION');
    expect(canonicalizeReason('halt', 'vmx', null).reason).toBe('HLT');
    expect(canonicalizeReason('rdmsr', 'vmx', null).reason).toBe('MSR_READ');
    expect(canonicalizeReason('exception', 'vmx', null).reason).toBe('EXCEPTION_NMI');
    expect(canonicalizeReason('PENDING_INTERRUPT', 'unknown', null).reason).toBe('INTERRUPT_WINDOW');
  });

  it('resolves ISA-ambiguous names by the ISA given, VMX by default', () => {
    expect(canonicalizeReason('hypercall', 'vmx', null)).toMatchObject({ isa: 'vmx', reason: 'VMCALL', code: 18 });
    expect(canonicalizeReason('hypercall', 'svm', null)).toMatchObject({ isa: 'svm', reason: 'hypercall', code: 0x81 });
    expect(canonicalizeReason('hypercall', 'unknown', null)).toMatchObject({ isa: 'vmx', reason: 'VMCALL' });
    expect(canonicalizeReason('cpuid', 'svm', null).reason).toBe('cpuid');
    expect(canonicalizeReason('cpuid', 'vmx', null).reason).toBe('CPUID');
  });

  it("lets a name's own ISA win over the caller's guess", () => {
    expect(canonicalizeReason('npf', 'vmx', null)).toMatchObject({ isa: 'svm', reason: 'npf' });
    expect(canonicalizeReason('EPT_MISCONFIG', 'svm', null)).toMatchObject({ isa: 'vmx', reason: 'EPT_MISCONFIG' });
  });

  it('maps the plugin EXIT_* SVM names onto the kernel names', () => {
    expect(canonicalizeReason('EXIT_IOIO', 'unknown', null)).toMatchObject({ isa: 'svm', reason: 'io', code: 0x7b });
    expect(canonicalizeReason('EXIT_VMMCALL', 'unknown', null).reason).toBe('hypercall');
    expect(canonicalizeReason('EXIT_NPF', 'unknown', null).reason).toBe('npf');
    expect(canonicalizeReason('EXIT_INTR', 'unknown', null).reason).toBe('interrupt');
    expect(canonicalizeReason('EXIT_EXCP_GP', 'unknown', null).reason).toBe('GP excp');
    expect(canonicalizeReason('EXIT_ERR', 'unknown', null)).toMatchObject({ reason: 'invalid_guest_state', code: -1 });
    expect(canonicalizeReason('EXIT_MSR', 'svm', null).reason).toBe('msr');
  });

  it('decodes the plugin UNKNOWN (n): VMX basic reason plus flags', () => {
    // plugin_kvm.c does not mask the flags: a failed VM entry with INVALID_STATE prints as UNKNOWN (2147483681).
    expect(canonicalizeReason('UNKNOWN (2147483681)', 'vmx', null)).toEqual({
      isa: 'vmx',
      reason: 'INVALID_STATE',
      code: 33,
      flags: ['FAILED_VMENTRY'],
      known: true,
    });
    expect(canonicalizeReason('UNKNOWN (74)', 'unknown', null)).toMatchObject({ reason: 'BUS_LOCK', known: true });
    expect(canonicalizeReason('UNKNOWN (4294967295)', 'svm', null)).toMatchObject({
      reason: 'invalid_guest_state',
      code: -1,
    });
    expect(canonicalizeReason('UNKNOWN (143)', 'svm', null)).toMatchObject({ reason: 'write_efer_trap', known: true });
  });

  it('decodes the kernel __print_symbolic hex fallback', () => {
    expect(canonicalizeReason('0x4a', 'vmx', null)).toMatchObject({ reason: 'BUS_LOCK', code: 74, known: true });
    expect(canonicalizeReason('0x5a', 'vmx', null)).toMatchObject({ reason: '0x5a', code: 90, known: false });
    expect(canonicalizeReason('0xa6', 'svm', null)).toMatchObject({ reason: 'idle-halt', known: true });
  });

  it('prefers a trace.dat exit code over the printed name', () => {
    expect(canonicalizeReason('whatever', 'vmx', 0x80000021)).toMatchObject({
      reason: 'INVALID_STATE',
      flags: ['FAILED_VMENTRY'],
    });
    expect(canonicalizeReason('io', 'svm', 0x7b)).toMatchObject({ reason: 'io', code: 0x7b });
    expect(canonicalizeReason('', 'svm', 0xffffffff)).toMatchObject({ reason: 'invalid_guest_state' });
    expect(canonicalizeReason('npf', 'unknown', 0x400)).toMatchObject({ isa: 'svm', reason: 'npf' });
  });

  it('keeps unknown names as printed with known=false', () => {
    expect(canonicalizeReason('SOME_FUTURE_EXIT', 'vmx', null)).toEqual({
      isa: 'vmx',
      reason: 'SOME_FUTURE_EXIT',
      code: null,
      flags: [],
      known: false,
    });
    expect(canonicalizeReason('UNKNOWN-ISA', 'unknown', null).known).toBe(false);
  });

  it('handles arm64 exception classes', () => {
    expect(canonicalizeReason('DABT_LOW', 'arm64', null)).toMatchObject({ isa: 'arm64', code: 0x24, known: true });
    expect(canonicalizeReason('x', 'arm64', 0x16)).toMatchObject({ reason: 'HVC64', known: true });
  });

  it('memoizes and returns frozen results', () => {
    const a = canonicalizeReason('EPT_VIOLATION', 'vmx', null);
    const b = canonicalizeReason('EPT_VIOLATION', 'vmx', null);
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.flags)).toBe(true);
  });
});

describe('decodeIoInfo', () => {
  it('decodes a VMX exit qualification (#020: in, 4 bytes, VMware backdoor port)', () => {
    // kvm_exit: reason IO_INSTRUCTION rip 0x7fa9ee5224e4 info 5658000b 0  → kvm_pio: pio_read at 0x5658 size 4
    expect(decodeIoInfo('vmx', '5658000b')).toEqual({ port: 0x5658, size: 4, write: false });
  });

  it('decodes #016 (in, 1 byte, port 0x177)', () => {
    // kvm_exit: reason IO_INSTRUCTION rip 0xa962 info 1770008 0
    expect(decodeIoInfo('vmx', '1770008')).toEqual({ port: 0x177, size: 1, write: false });
  });

  it('decodes a VMX out word and the 5.10 zero-padded form', () => {
    expect(decodeIoInfo('vmx', '0x00000000007a0001')).toEqual({ port: 0x7a, size: 2, write: true });
  });

  it('decodes an SVM IOIO exitinfo1 (#028: out dword to 0xcf8)', () => {
    // kvm_exit: reason EXIT_IOIO rip 0xec08e info cf80140 ec08f
    expect(decodeIoInfo('svm', 'cf80140')).toEqual({ port: 0xcf8, size: 4, write: true });
    expect(decodeIoInfo('svm', '3f80011')).toEqual({ port: 0x3f8, size: 1, write: false });
  });

  it('returns null when undecodable', () => {
    expect(decodeIoInfo('vmx', 'zz')).toBeNull();
    expect(decodeIoInfo('vmx', '')).toBeNull();
    expect(decodeIoInfo('vmx', '2')).toBeNull(); // size field 2 = 3 bytes: invalid
    expect(decodeIoInfo('svm', '3f80000')).toBeNull(); // no size bit
    expect(decodeIoInfo('unknown', '5658000b')).toBeNull();
  });
});

describe('arm64 exception classes (esr.h)', () => {
  it.each([
    [0x00, 'UNKNOWN'],
    [0x01, 'WFx'],
    [0x16, 'HVC64'],
    [0x17, 'SMC64'],
    [0x18, 'SYS64'],
    [0x20, 'IABT_LOW'],
    [0x24, 'DABT_LOW'],
    [0x2f, 'SERROR'],
    [0x3c, 'BRK64'],
  ])('%i ↔ %s', (ec, name) => {
    expect(arm64EcName(ec)).toBe(name);
    expect(arm64EcCode(name)).toBe(ec);
  });

  it('returns null for unallocated classes', () => {
    expect(arm64EcName(0x02)).toBeNull();
    expect(arm64EcCode('NOPE')).toBeNull();
  });
});
