/**
 * Exit-reason tables and decoders: VMX / SVM hardware exit reasons, KVM_RUN userspace exit reasons, arm64 ESR
 * exception classes, and the I/O exit-qualification decoders.
 *
 * Names a trace can carry for one and the same exit, and what this module maps them to:
 *
 * | printer                                   | VMX example                         | SVM example                  |
 * |-------------------------------------------|-------------------------------------|------------------------------|
 * | kernel ≥ ~2.6.35 (VMX/SVM_EXIT_REASONS)    | `IO_INSTRUCTION`, `EPT_MISCONFIG`    | `io`, `npf`, `hypercall`     |
 * | kernel 2.6.3x (`*_exit_reasons_str`)       | `io_instruction`, `halt`, `hypercall`| same lowercase names as now  |
 * | kernel unknown value (`__print_symbolic`)  | `0x4a` (basic reason, flags apart)   | `0x8f` (full exit code)      |
 * | libtraceevent plugin_kvm                   | `IO_INSTRUCTION`, `UNKNOWN (74)`     | `EXIT_IOIO`, `EXIT_NPF`      |
 * | plugin, unknown `isa` field                | `UNKNOWN-ISA`                        | `UNKNOWN-ISA`                |
 *
 * Canonical names: VMX → the kernel's uppercase VMX_EXIT_REASONS name (current spelling, e.g. `INTERRUPT_WINDOW` for
 * the pre-5.x `PENDING_INTERRUPT`); SVM → the kernel's lowercase SVM_EXIT_REASONS name (`io`, `hypercall`, `GP excp`,
 * `invalid_guest_state` for SVM_EXIT_ERR). Names the tables do not know are kept as printed with `known: false`.
 *
 * Sources read (tables re-typed here, not copied):
 * - torvalds/linux arch/x86/include/uapi/asm/vmx.h (VMX_EXIT_REASONS up to TDCALL 77, as in the Kingxukai/linux
 *   mirror @9b44fff6) plus the 2025 "MSR_READ_IMM 84 / MSR_WRITE_IMM 85" patch (tools/ uapi sync, kvm-x86 tree);
 *   VMX_EXIT_REASON_FLAGS = { FAILED_VMENTRY } only; VMX_EXIT_REASONS_SGX_ENCLAVE_MODE 0x08000000 is defined but
 *   not named in the trace flags (the kernel prints it as `0x8000000`).
 * - arch/x86/include/uapi/asm/svm.h SVM_EXIT_REASONS (read in a 2025 Rust transliteration carrying
 *   SOURCE-COMMIT 08dbfad3, and sean-jc/linux @085e1293): incl. `buslock` 0xa5, `idle-halt` 0xa6, `vmgexit*`.
 * - 2.6.32-era arch/x86/kvm/vmx.c `vmx_exit_reasons_str[]` (lowercase: exception, ext_irq, triple_fault, nmi_window,
 *   io_instruction, cr_access, dr_access, cpuid, rdmsr, wrmsr, interrupt_window, halt, invlpg, hypercall,
 *   tpr_below_thres, apic_access, wbinvd, task_switch, ept_violation) and svm.c `svm_exit_reasons_str[]` (read_cr0…,
 *   "DB excp"…, interrupt, vintr, cpuid, hlt, io, msr, shutdown, hypercall, npf). Read in public copies of that
 *   vmx.c/svm.c code (ports carrying the 2.6.32 tables verbatim); an unmodified 2.6.32 tree was not in the index.
 *   Both tables agree with shared/fixtures #004 (`apic_access`, `io_instruction`).
 * - arch/x86/kvm/trace.h `kvm_print_exit_reason`: VMX prints `exit_reason & 0xffff` symbolically, then " " and
 *   `__print_flags(exit_reason & ~0xffff, " ", VMX_EXIT_REASON_FLAGS)`; SVM prints the full code.
 * - rostedt/libtraceevent plugins/plugin_kvm.c @6643bf9 (tag 1.6.3): VMX subset 0..64, SVM `EXIT_*` names,
 *   `EXIT_ERR` = -1, `reason UNKNOWN (%llu)` for unmatched values (raw value, flags not masked), `UNKNOWN-ISA`.
 * - include/uapi/linux/kvm.h KVM_EXIT_* 0..40 (+ KVM_EXIT_ARM_SEA 41, in QEMU's 2025 linux-headers sync);
 *   include/trace/events/kvm.h `kvm_trace_exit_reason` names only up to X86_WRMSR (30): higher ones print as hex.
 * - arch/arm64/include/asm/esr.h ESR_ELx_EC_* (Kingxukai/linux @9b44fff6) and arch/arm64/include/asm/kvm_arm.h
 *   `kvm_arm_exception_class` (the subset kvm_exit names; other classes print as hex, e.g. `(0x12)`).
 */
import type { Isa } from '../model/events.js';

// ---------------------------------------------------------------------------------------------------------------
// VMX

/** [basic exit reason, kernel name] from VMX_EXIT_REASONS (Intel SDM Vol. 3 Appendix C numbering). */
const VMX_TABLE: readonly (readonly [number, string])[] = [
  [0, 'EXCEPTION_NMI'],
  [1, 'EXTERNAL_INTERRUPT'],
  [2, 'TRIPLE_FAULT'],
  [3, 'INIT_SIGNAL'],
  [4, 'SIPI_SIGNAL'],
  // 6 OTHER_SMI is #defined but absent from VMX_EXIT_REASONS, so the kernel prints it as 0x6.
  [7, 'INTERRUPT_WINDOW'], // spelled PENDING_INTERRUPT before 5.x and in the libtraceevent plugin
  [8, 'NMI_WINDOW'],
  [9, 'TASK_SWITCH'],
  [10, 'CPUID'],
  [12, 'HLT'],
  [13, 'INVD'],
  [14, 'INVLPG'],
  [15, 'RDPMC'],
  [16, 'RDTSC'],
  [18, 'VMCALL'],
  [19, 'VMCLEAR'],
  [20, 'VMLAUNCH'],
  [21, 'VMPTRLD'],
  [22, 'VMPTRST'],
  [23, 'VMREAD'],
  [24, 'VMRESUME'],
  [25, 'VMWRITE'],
  [26, 'VMOFF'],
  [27, 'VMON'],
  [28, 'CR_ACCESS'],
  [29, 'DR_ACCESS'],
  [30, 'IO_INSTRUCTION'],
  [31, 'MSR_READ'],
  [32, 'MSR_WRITE'],
  [33, 'INVALID_STATE'],
  [34, 'MSR_LOAD_FAIL'],
  [36, 'MWAIT_INSTRUCTION'],
  [37, 'MONITOR_TRAP_FLAG'],
  [39, 'MONITOR_INSTRUCTION'],
  [40, 'PAUSE_INSTRUCTION'],
  [41, 'MCE_DURING_VMENTRY'],
  [43, 'TPR_BELOW_THRESHOLD'],
  [44, 'APIC_ACCESS'],
  [45, 'EOI_INDUCED'],
  [46, 'GDTR_IDTR'],
  [47, 'LDTR_TR'],
  [48, 'EPT_VIOLATION'],
  [49, 'EPT_MISCONFIG'],
  [50, 'INVEPT'],
  [51, 'RDTSCP'],
  [52, 'PREEMPTION_TIMER'],
  [53, 'INVVPID'],
  [54, 'WBINVD'],
  [55, 'XSETBV'],
  [56, 'APIC_WRITE'],
  [57, 'RDRAND'],
  [58, 'INVPCID'],
  [59, 'VMFUNC'],
  [60, 'ENCLS'],
  [61, 'RDSEED'],
  [62, 'PML_FULL'],
  [63, 'XSAVES'],
  [64, 'XRSTORS'],
  [67, 'UMWAIT'],
  [68, 'TPAUSE'],
  [74, 'BUS_LOCK'],
  [75, 'NOTIFY'],
  [77, 'TDCALL'],
  [84, 'MSR_READ_IMM'],
  [85, 'MSR_WRITE_IMM'],
];

/** Bits 0-15 of the VMX exit reason are the basic reason; bits 16-31 are flags (SDM "Basic VM-Exit Information"). */
const VMX_BASIC_MASK = 0xffff;

/** Upper-16-bit exit-reason flags with names. The kernel's trace flag table names only FAILED_VMENTRY (bit 31);
 *  bit 27 is VMX_EXIT_REASONS_SGX_ENCLAVE_MODE in uapi vmx.h (the kernel prints it as hex `0x8000000`). */
export const VMX_EXIT_FLAGS: readonly { bit: number; name: string }[] = [
  { bit: 31, name: 'FAILED_VMENTRY' },
  { bit: 27, name: 'SGX_ENCLAVE_MODE' },
];

const vmxByCode: (string | undefined)[] = [];
const vmxUpperNames = new Map<string, number>();
for (const [code, name] of VMX_TABLE) {
  vmxByCode[code] = name;
  vmxUpperNames.set(name, code);
}
// Older spelling of basic reason 7 (kernel < 5.x, libtraceevent plugin).
vmxUpperNames.set('PENDING_INTERRUPT', 7);

/** 2.6.3x lowercase VMX names (vmx.c `vmx_exit_reasons_str`) → basic reason. */
const VMX_OLD_LOWER: ReadonlyMap<string, number> = new Map([
  ['exception', 0],
  ['ext_irq', 1],
  ['triple_fault', 2],
  ['interrupt_window', 7],
  ['nmi_window', 8],
  ['task_switch', 9],
  ['cpuid', 10],
  ['halt', 12],
  ['invlpg', 14],
  ['hypercall', 18],
  ['cr_access', 28],
  ['dr_access', 29],
  ['io_instruction', 30],
  ['rdmsr', 31],
  ['wrmsr', 32],
  ['tpr_below_thres', 43],
  ['apic_access', 44],
  ['ept_violation', 48],
  ['wbinvd', 54],
]);

export function vmxReasonName(basic: number): string | null {
  return vmxByCode[basic] ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// SVM

/** SVM_EXIT_ERR: the VMCB exit code -1 (invalid guest state). Printed as 0xffffffff when truncated to 32 bits. */
const SVM_EXIT_ERR = -1;
const U32_ALL_ONES = 0xffffffff;
/** SVM_EXIT_EXCP_BASE: intercepted exception n exits with code 0x40 + n (APM Vol. 2 Appendix C). */
const SVM_EXCP_BASE = 0x40;

/** [exit code, kernel name, libtraceevent plugin name or ''] — SVM_EXIT_REASONS (svm.h) and plugin_kvm.c. */
const SVM_TABLE: readonly (readonly [number, string, string])[] = [
  [0x000, 'read_cr0', 'EXIT_READ_CR0'],
  [0x002, 'read_cr2', ''],
  [0x003, 'read_cr3', 'EXIT_READ_CR3'],
  [0x004, 'read_cr4', 'EXIT_READ_CR4'],
  [0x008, 'read_cr8', 'EXIT_READ_CR8'],
  [0x010, 'write_cr0', 'EXIT_WRITE_CR0'],
  [0x012, 'write_cr2', ''],
  [0x013, 'write_cr3', 'EXIT_WRITE_CR3'],
  [0x014, 'write_cr4', 'EXIT_WRITE_CR4'],
  [0x018, 'write_cr8', 'EXIT_WRITE_CR8'],
  [0x020, 'read_dr0', 'EXIT_READ_DR0'],
  [0x021, 'read_dr1', 'EXIT_READ_DR1'],
  [0x022, 'read_dr2', 'EXIT_READ_DR2'],
  [0x023, 'read_dr3', 'EXIT_READ_DR3'],
  [0x024, 'read_dr4', 'EXIT_READ_DR4'],
  [0x025, 'read_dr5', 'EXIT_READ_DR5'],
  [0x026, 'read_dr6', 'EXIT_READ_DR6'],
  [0x027, 'read_dr7', 'EXIT_READ_DR7'],
  [0x030, 'write_dr0', 'EXIT_WRITE_DR0'],
  [0x031, 'write_dr1', 'EXIT_WRITE_DR1'],
  [0x032, 'write_dr2', 'EXIT_WRITE_DR2'],
  [0x033, 'write_dr3', 'EXIT_WRITE_DR3'],
  [0x034, 'write_dr4', 'EXIT_WRITE_DR4'],
  [0x035, 'write_dr5', 'EXIT_WRITE_DR5'],
  [0x036, 'write_dr6', 'EXIT_WRITE_DR6'],
  [0x037, 'write_dr7', 'EXIT_WRITE_DR7'],
  // Exception intercepts: SVM_EXIT_EXCP_BASE + vector (DE 0, DB 1, BP 3, OF 4, BR 5, UD 6, NM 7, DF 8, TS 10,
  // NP 11, SS 12, GP 13, PF 14, MF 16, AC 17, MC 18, XM 19); the kernel names XM "XF excp".
  [SVM_EXCP_BASE + 0, 'DE excp', 'EXIT_EXCP_DE'],
  [SVM_EXCP_BASE + 1, 'DB excp', 'EXIT_EXCP_DB'],
  [SVM_EXCP_BASE + 3, 'BP excp', 'EXIT_EXCP_BP'],
  [SVM_EXCP_BASE + 4, 'OF excp', 'EXIT_EXCP_OF'],
  [SVM_EXCP_BASE + 5, 'BR excp', 'EXIT_EXCP_BR'],
  [SVM_EXCP_BASE + 6, 'UD excp', 'EXIT_EXCP_UD'],
  [SVM_EXCP_BASE + 7, 'NM excp', 'EXIT_EXCP_NM'],
  [SVM_EXCP_BASE + 8, 'DF excp', 'EXIT_EXCP_DF'],
  [SVM_EXCP_BASE + 10, 'TS excp', 'EXIT_EXCP_TS'],
  [SVM_EXCP_BASE + 11, 'NP excp', 'EXIT_EXCP_NP'],
  [SVM_EXCP_BASE + 12, 'SS excp', 'EXIT_EXCP_SS'],
  [SVM_EXCP_BASE + 13, 'GP excp', 'EXIT_EXCP_GP'],
  [SVM_EXCP_BASE + 14, 'PF excp', 'EXIT_EXCP_PF'],
  [SVM_EXCP_BASE + 16, 'MF excp', 'EXIT_EXCP_MF'],
  [SVM_EXCP_BASE + 17, 'AC excp', 'EXIT_EXCP_AC'],
  [SVM_EXCP_BASE + 18, 'MC excp', 'EXIT_EXCP_MC'],
  [SVM_EXCP_BASE + 19, 'XF excp', 'EXIT_EXCP_XF'],
  [0x060, 'interrupt', 'EXIT_INTR'],
  [0x061, 'nmi', 'EXIT_NMI'],
  [0x062, 'smi', 'EXIT_SMI'],
  [0x063, 'init', 'EXIT_INIT'],
  [0x064, 'vintr', 'EXIT_VINTR'],
  [0x065, 'cr0_sel_write', 'EXIT_CR0_SEL_WRITE'],
  [0x066, 'read_idtr', 'EXIT_IDTR_READ'],
  [0x067, 'read_gdtr', 'EXIT_GDTR_READ'],
  [0x068, 'read_ldtr', 'EXIT_LDTR_READ'],
  [0x069, 'read_rt', 'EXIT_TR_READ'], // sic: the kernel table spells TR as "rt"
  [0x06a, 'write_idtr', 'EXIT_IDTR_WRITE'],
  [0x06b, 'write_gdtr', 'EXIT_GDTR_WRITE'],
  [0x06c, 'write_ldtr', 'EXIT_LDTR_WRITE'],
  [0x06d, 'write_rt', 'EXIT_TR_WRITE'],
  [0x06e, 'rdtsc', 'EXIT_RDTSC'],
  [0x06f, 'rdpmc', 'EXIT_RDPMC'],
  [0x070, 'pushf', 'EXIT_PUSHF'],
  [0x071, 'popf', 'EXIT_POPF'],
  [0x072, 'cpuid', 'EXIT_CPUID'],
  [0x073, 'rsm', 'EXIT_RSM'],
  [0x074, 'iret', 'EXIT_IRET'],
  [0x075, 'swint', 'EXIT_SWINT'],
  [0x076, 'invd', 'EXIT_INVD'],
  [0x077, 'pause', 'EXIT_PAUSE'],
  [0x078, 'hlt', 'EXIT_HLT'],
  [0x079, 'invlpg', 'EXIT_INVLPG'],
  [0x07a, 'invlpga', 'EXIT_INVLPGA'],
  [0x07b, 'io', 'EXIT_IOIO'],
  [0x07c, 'msr', 'EXIT_MSR'],
  [0x07d, 'task_switch', 'EXIT_TASK_SWITCH'],
  [0x07e, 'ferr_freeze', 'EXIT_FERR_FREEZE'],
  [0x07f, 'shutdown', 'EXIT_SHUTDOWN'],
  [0x080, 'vmrun', 'EXIT_VMRUN'],
  [0x081, 'hypercall', 'EXIT_VMMCALL'],
  [0x082, 'vmload', 'EXIT_VMLOAD'],
  [0x083, 'vmsave', 'EXIT_VMSAVE'],
  [0x084, 'stgi', 'EXIT_STGI'],
  [0x085, 'clgi', 'EXIT_CLGI'],
  [0x086, 'skinit', 'EXIT_SKINIT'],
  [0x087, 'rdtscp', 'EXIT_RDTSCP'],
  [0x088, 'icebp', 'EXIT_ICEBP'],
  [0x089, 'wbinvd', 'EXIT_WBINVD'],
  [0x08a, 'monitor', 'EXIT_MONITOR'],
  [0x08b, 'mwait', 'EXIT_MWAIT'],
  // 0x08c MWAIT_COND: in the plugin table but not in the kernel's; canonical name chosen here as 'mwait_cond'.
  [0x08c, 'mwait_cond', 'EXIT_MWAIT_COND'],
  [0x08d, 'xsetbv', 'EXIT_XSETBV'],
  [0x08f, 'write_efer_trap', ''],
  [0x090, 'write_cr0_trap', ''],
  [0x094, 'write_cr4_trap', ''],
  [0x098, 'write_cr8_trap', ''],
  [0x0a2, 'invpcid', ''],
  [0x0a5, 'buslock', ''],
  [0x0a6, 'idle-halt', ''],
  [0x400, 'npf', 'EXIT_NPF'],
  [0x401, 'avic_incomplete_ipi', 'EXIT_AVIC_INCOMPLETE_IPI'],
  [0x402, 'avic_unaccelerated_access', 'EXIT_AVIC_UNACCELERATED_ACCESS'],
  [0x403, 'vmgexit', ''],
  // SEV-ES software-defined VMGEXIT exit codes (svm.h SVM_VMGEXIT_*).
  [0x80000001, 'vmgexit_mmio_read', ''],
  [0x80000002, 'vmgexit_mmio_write', ''],
  [0x80000003, 'vmgexit_nmi_complete', ''],
  [0x80000004, 'vmgexit_ap_hlt_loop', ''],
  [0x80000005, 'vmgexit_ap_jump_table', ''],
  [0x80000010, 'vmgexit_page_state_change', ''],
  [0x80000011, 'vmgexit_guest_request', ''],
  [0x80000012, 'vmgexit_ext_guest_request', ''],
  [0x80000013, 'vmgexit_ap_creation', ''],
  [0x8000fffd, 'vmgexit_hypervisor_feature', ''],
  [SVM_EXIT_ERR, 'invalid_guest_state', 'EXIT_ERR'],
];

const svmByCode = new Map<number, string>();
const svmKernelNames = new Map<string, number>();
const svmPluginNames = new Map<string, number>();
for (const [code, name, plugin] of SVM_TABLE) {
  svmByCode.set(code, name);
  svmKernelNames.set(name, code);
  if (plugin !== '') svmPluginNames.set(plugin, code);
}

export function svmReasonName(code: number): string | null {
  // The 32-bit trace field holds SVM_EXIT_ERR (-1) as 0xffffffff; both mean the same exit.
  if (code === U32_ALL_ONES) return svmByCode.get(SVM_EXIT_ERR) ?? null;
  return svmByCode.get(code) ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// KVM_RUN userspace exits

/** include/uapi/linux/kvm.h KVM_EXIT_* in numeric order (index = value). */
const KVM_EXIT_NAMES: readonly string[] = [
  'UNKNOWN', // 0
  'EXCEPTION',
  'IO',
  'HYPERCALL',
  'DEBUG',
  'HLT', // 5
  'MMIO',
  'IRQ_WINDOW_OPEN',
  'SHUTDOWN',
  'FAIL_ENTRY',
  'INTR', // 10
  'SET_TPR',
  'TPR_ACCESS',
  'S390_SIEIC',
  'S390_RESET',
  'DCR', // 15
  'NMI',
  'INTERNAL_ERROR',
  'OSI',
  'PAPR_HCALL',
  'S390_UCONTROL', // 20
  'WATCHDOG',
  'S390_TSCH',
  'EPR',
  'SYSTEM_EVENT',
  'S390_STSI', // 25
  'IOAPIC_EOI',
  'HYPERV',
  'ARM_NISV',
  'X86_RDMSR',
  'X86_WRMSR', // 30
  'DIRTY_RING_FULL',
  'AP_RESET_HOLD',
  'X86_BUS_LOCK',
  'XEN',
  'RISCV_SBI', // 35
  'RISCV_CSR',
  'NOTIFY',
  'LOONGARCH_IOCSR',
  'MEMORY_FAULT',
  'TDX', // 40
  'ARM_SEA', // 41
];

export function kvmUserspaceExitName(code: number): string | null {
  const n = KVM_EXIT_NAMES[code];
  return n === undefined ? null : `KVM_EXIT_${n}`;
}

// ---------------------------------------------------------------------------------------------------------------
// arm64 ESR_ELx exception classes (esr.h ESR_ELx_EC_*, 6-bit EC field)

const ARM64_EC_TABLE: readonly (readonly [number, string])[] = [
  [0x00, 'UNKNOWN'],
  [0x01, 'WFx'],
  [0x03, 'CP15_32'],
  [0x04, 'CP15_64'],
  [0x05, 'CP14_MR'],
  [0x06, 'CP14_LS'],
  [0x07, 'FP_ASIMD'],
  [0x08, 'CP10_ID'],
  [0x09, 'PAC'],
  [0x0a, 'OTHER'],
  [0x0c, 'CP14_64'],
  [0x0d, 'BTI'],
  [0x0e, 'ILL'],
  [0x11, 'SVC32'],
  [0x12, 'HVC32'],
  [0x13, 'SMC32'],
  [0x15, 'SVC64'],
  [0x16, 'HVC64'],
  [0x17, 'SMC64'],
  [0x18, 'SYS64'],
  [0x19, 'SVE'],
  [0x1a, 'ERET'],
  [0x1c, 'FPAC'],
  [0x1d, 'SME'],
  [0x1f, 'IMP_DEF'],
  [0x20, 'IABT_LOW'],
  [0x21, 'IABT_CUR'],
  [0x22, 'PC_ALIGN'],
  [0x24, 'DABT_LOW'],
  [0x25, 'DABT_CUR'],
  [0x26, 'SP_ALIGN'],
  [0x27, 'MOPS'],
  [0x28, 'FP_EXC32'],
  [0x2c, 'FP_EXC64'],
  [0x2d, 'GCS'],
  [0x2f, 'SERROR'],
  [0x30, 'BREAKPT_LOW'],
  [0x31, 'BREAKPT_CUR'],
  [0x32, 'SOFTSTP_LOW'],
  [0x33, 'SOFTSTP_CUR'],
  [0x34, 'WATCHPT_LOW'],
  [0x35, 'WATCHPT_CUR'],
  [0x38, 'BKPT32'],
  [0x3a, 'VECTOR32'],
  [0x3c, 'BRK64'],
];
const arm64ByCode: (string | undefined)[] = [];
const arm64ByName = new Map<string, number>();
for (const [code, name] of ARM64_EC_TABLE) {
  arm64ByCode[code] = name;
  arm64ByName.set(name, code);
}

/** ESR_ELx exception class → name as kvm_exit prints it (`kvm_arm_exception_class` uses the esr.h names; classes
 *  outside that table print as hex in the trace, the esr.h name is still returned here). */
export function arm64EcName(ec: number): string | null {
  return arm64ByCode[ec] ?? null;
}

/** Name (`DABT_LOW`) → ESR_ELx exception class, null when unknown. */
export function arm64EcCode(name: string): number | null {
  return arm64ByName.get(name) ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// ISA hints and canonicalization

/** Names printed identically by the 2.6.3x VMX table and the SVM table: they do not tell the ISA. */
const AMBIGUOUS_LOWER: ReadonlySet<string> = new Set(['hypercall', 'cpuid', 'invlpg', 'wbinvd', 'task_switch']);

function isHexToken(s: string): boolean {
  if (s.length < 3 || s.charCodeAt(0) !== 48 /* 0 */ || (s.charCodeAt(1) | 0x20) !== 120 /* x */) return false;
  for (let i = 2; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** `UNKNOWN (123)` → 123, else null. */
function pluginUnknownCode(raw: string): number | null {
  if (!raw.startsWith('UNKNOWN (') || !raw.endsWith(')')) return null;
  const digits = raw.slice(9, -1);
  if (digits.length === 0 || digits.length > 20) return null;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(digits);
}

export function isaHintOfReason(raw: string): Isa {
  if (vmxUpperNames.has(raw)) return 'vmx';
  if (AMBIGUOUS_LOWER.has(raw)) return 'unknown';
  if (VMX_OLD_LOWER.has(raw)) return 'vmx';
  if (svmKernelNames.has(raw) || svmPluginNames.has(raw)) return 'svm';
  return 'unknown';
}

export interface CanonicalReason {
  isa: Isa;
  reason: string;
  code: number | null;
  flags: string[];
  known: boolean;
}

/** Flag names (and leftover bits as kernel-style hex) of the upper 16 bits of a VMX exit reason. */
export function vmxFlagsOf(code: number): string[] {
  let rest = ((code >>> 16) << 16) >>> 0; // upper 16 bits only, as an unsigned 32-bit value
  if (rest === 0) return [];
  const out: string[] = [];
  for (const f of VMX_EXIT_FLAGS) {
    const m = 2 ** f.bit;
    if (Math.floor(rest / m) % 2 === 1) {
      out.push(f.name);
      rest -= m;
    }
  }
  if (rest !== 0) out.push(`0x${rest.toString(16)}`);
  return out;
}

/** A printed flag token (`FAILED_VMENTRY`, kernel leftover hex `0x8000000`) → canonical flag names. */
export function normalizeVmxFlag(token: string): string[] {
  if (isHexToken(token)) {
    const v = Number.parseInt(token.slice(2), 16);
    return Number.isFinite(v) ? vmxFlagsOf(v) : [token];
  }
  return [token];
}

function fromCode(isa: Isa, code: number): CanonicalReason {
  if (isa === 'svm') {
    const name = svmReasonName(code);
    const norm = code === U32_ALL_ONES ? SVM_EXIT_ERR : code;
    return name === null
      ? { isa, reason: `0x${(code >>> 0).toString(16)}`, code: norm, flags: [], known: false }
      : { isa, reason: name, code: norm, flags: [], known: true };
  }
  if (isa === 'arm64') {
    const name = arm64EcName(code);
    return { isa, reason: name ?? `0x${code.toString(16)}`, code, flags: [], known: name !== null };
  }
  // VMX: the basic reason is bits 0-15; the rest are flags (FAILED_VMENTRY…).
  const u = code >>> 0;
  const basic = u & VMX_BASIC_MASK;
  const name = vmxReasonName(basic);
  return {
    isa: 'vmx',
    reason: name ?? `0x${basic.toString(16)}`,
    code: basic,
    flags: vmxFlagsOf(u),
    known: name !== null,
  };
}

function canonicalizeUncached(raw: string, isa: Isa, exitCode: number | null): CanonicalReason {
  const hint = isaHintOfReason(raw);
  const eff: Isa = isa === 'arm64' ? 'arm64' : hint !== 'unknown' ? hint : isa === 'svm' ? 'svm' : 'vmx';
  if (exitCode !== null && Number.isFinite(exitCode)) {
    // trace.dat gave the number: it wins over the printed name. The ISA comes from the caller, else the name.
    const byIsa: Isa = isa === 'unknown' ? (hint === 'unknown' ? 'vmx' : hint) : isa;
    return fromCode(byIsa, exitCode);
  }
  if (eff === 'arm64') {
    const code = arm64EcCode(raw);
    if (code !== null) return { isa: 'arm64', reason: raw, code, flags: [], known: true };
    if (isHexToken(raw)) return fromCode('arm64', Number.parseInt(raw.slice(2), 16));
    return { isa: 'arm64', reason: raw, code: null, flags: [], known: false };
  }
  const unknownN = pluginUnknownCode(raw);
  if (unknownN !== null) return fromCode(eff, unknownN);
  if (isHexToken(raw)) {
    const v = Number.parseInt(raw.slice(2), 16);
    if (Number.isFinite(v)) return fromCode(eff, v);
  }
  if (eff === 'vmx') {
    const up = vmxUpperNames.get(raw) ?? VMX_OLD_LOWER.get(raw);
    if (up !== undefined) return { isa: 'vmx', reason: vmxByCode[up] ?? raw, code: up, flags: [], known: true };
  } else {
    const c = svmKernelNames.get(raw) ?? svmPluginNames.get(raw);
    if (c !== undefined) return { isa: 'svm', reason: svmByCode.get(c) ?? raw, code: c, flags: [], known: true };
  }
  return { isa: eff, reason: raw, code: null, flags: [], known: false };
}

/** Distinct (raw, isa, code) keys kept; real traces have a few dozen, the bound only protects against garbage. */
const CACHE_MAX = 4096;
const cache = new Map<string, CanonicalReason>();

/**
 * Map a printed reason to one canonical name per ISA (see the header). `exitCode` (from trace.dat) wins when given.
 * `isa` 'unknown' means: use the name's own hint, else VMX. Results are shared and frozen: do not mutate them.
 */
export function canonicalizeReason(raw: string, isa: Isa, exitCode: number | null): CanonicalReason {
  const key = exitCode === null ? `${isa}|${raw}` : `${isa}|${raw}|${exitCode}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const r = canonicalizeUncached(raw, isa, exitCode);
  Object.freeze(r.flags);
  Object.freeze(r);
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, r);
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// I/O exit information

/** Low 32 bits of a hex string (the I/O fields all live there), or NaN. */
function low32(hex: string): number {
  let s = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (s.length === 0) return Number.NaN;
  if (s.length > 8) s = s.slice(-8);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return Number.NaN;
  }
  return Number.parseInt(s, 16);
}

/**
 * Decode the I/O port, direction and size of an IO exit from info1 (hex, `0x` optional).
 * - VMX exit qualification (SDM Table 28-5): bits 2:0 = size-1 (0, 1 or 3), bit 3 = direction (1 = in),
 *   bits 31:16 = port. Example: `5658000b` → in, 4 bytes, port 0x5658.
 * - SVM IOIO EXITINFO1 (APM Vol. 2 §15.10.2): bit 0 = TYPE (1 = in), bits 6:4 = SZ32/SZ16/SZ8 one-hot
 *   (bit 4 = 8-bit, 5 = 16-bit, 6 = 32-bit), bits 31:16 = port. Example: `cf80140` → out, 4 bytes, port 0xcf8.
 */
export function decodeIoInfo(isa: Isa, info1: string): { port: number; size: number; write: boolean } | null {
  const q = low32(info1);
  if (Number.isNaN(q)) return null;
  const port = q >>> 16;
  if (isa === 'vmx') {
    const sz = (q & 0x7) + 1;
    if (sz !== 1 && sz !== 2 && sz !== 4) return null;
    return { port, size: sz, write: (q & 0x8) === 0 };
  }
  if (isa === 'svm') {
    const szBits = (q >>> 4) & 0x7;
    const size = szBits === 1 ? 1 : szBits === 2 ? 2 : szBits === 4 ? 4 : 0;
    if (size === 0) return null;
    return { port, size, write: (q & 0x1) === 0 };
  }
  return null;
}
