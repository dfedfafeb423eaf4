/**
 * Records whose leading columns were cut by the person who pasted them. Lines that start at the CPU (`[001]
 * 770.850287: kvm:kvm_entry: …`, #013) or at the timestamp (`770.850287: kvm_exit: …`) already split in
 * record-line.ts (task and CPU come out as -1); this module reads the lines that start at the event name:
 *   `kvm_exit: reason IO_INSTRUCTION rip 0xa962 info 1770008 0`
 *   `kvm:kvm_exit: reason EPT_MISCONFIG rip 0x133025 info 0 0`        (perf event name)
 *   `[003] kvm_entry: vcpu 0`                                         (CPU kept, timestamp cut)
 * Without a timestamp such a record still counts as an event (and pairs by CPU or stream), never as a latency.
 *
 * Prose names things with colons too (`kvm_intel: VMX timer exit, …` is a printk, #011; `Subject: …`), so a bare
 * name must be a KVM trace event: `kvm:`-prefixed (perf's system prefix, unambiguous), or one of the event names in
 * the kernel's KVM trace headers (include/trace/events/kvm.h, arch/x86/kvm/trace.h, arch/x86/kvm/mmu/mmutrace.h,
 * arch/arm64/kvm/trace_arm.h @ v6.12).
 */
import { splitRecordLine } from '../record-line.js';
import type { FormatName, LineColumns } from '../types.js';

const KVM_EVENT_NAMES: ReadonlySet<string> = new Set([
  // include/trace/events/kvm.h
  'kvm_userspace_exit', 'kvm_vcpu_wakeup', 'kvm_set_irq', 'kvm_ioapic_set_irq', 'kvm_ioapic_delayed_eoi_inj',
  'kvm_msi_set_irq', 'kvm_ack_irq', 'kvm_mmio', 'kvm_fpu', 'kvm_halt_poll_ns', 'kvm_dirty_ring_push',
  'kvm_dirty_ring_reset', 'kvm_dirty_ring_exit', 'kvm_unmap_hva_range', 'kvm_set_spte_hva', 'kvm_age_hva',
  'kvm_test_age_hva', 'kvm_try_async_get_page', 'kvm_async_pf_repeated_fault', 'kvm_async_pf_not_present',
  'kvm_async_pf_ready', 'kvm_async_pf_completed', 'kvm_age_page', 'kvm_set_guest_debug',
  // arch/x86/kvm/trace.h
  'kvm_entry', 'kvm_hypercall', 'kvm_hv_hypercall', 'kvm_hv_hypercall_done', 'kvm_xen_hypercall', 'kvm_pio',
  'kvm_fast_mmio', 'kvm_cpuid', 'kvm_apic', 'kvm_exit', 'kvm_inj_virq', 'kvm_inj_exception', 'kvm_page_fault',
  'kvm_msr', 'kvm_cr', 'kvm_pic_set_irq', 'kvm_apic_ipi', 'kvm_apic_accept_irq', 'kvm_eoi', 'kvm_pv_eoi',
  'kvm_nested_vmenter', 'kvm_nested_intercepts', 'kvm_nested_vmexit', 'kvm_nested_vmexit_inject',
  'kvm_nested_intr_vmexit', 'kvm_invlpga', 'kvm_skinit', 'kvm_emulate_insn', 'vcpu_match_mmio',
  'kvm_write_tsc_offset', 'kvm_update_master_clock', 'kvm_track_tsc', 'kvm_pml_full', 'kvm_ple_window_update',
  'kvm_pvclock_update', 'kvm_wait_lapic_expire', 'kvm_smm_transition', 'kvm_pi_irte_update', 'kvm_hv_notify_acked_sint',
  'kvm_hv_synic_set_irq', 'kvm_hv_synic_send_eoi', 'kvm_hv_synic_set_msr', 'kvm_hv_stimer_set_config',
  'kvm_hv_stimer_set_count', 'kvm_hv_stimer_start_periodic', 'kvm_hv_stimer_start_one_shot', 'kvm_hv_stimer_callback',
  'kvm_hv_stimer_expiration', 'kvm_hv_stimer_cleanup', 'kvm_apicv_inhibit_changed', 'kvm_avic_incomplete_ipi',
  'kvm_avic_unaccelerated_access', 'kvm_avic_ga_log', 'kvm_avic_kick_vcpu_slowpath', 'kvm_hv_timer_state',
  'kvm_hv_flush_tlb', 'kvm_hv_flush_tlb_ex', 'kvm_hv_send_ipi', 'kvm_hv_send_ipi_ex', 'kvm_pv_tlb_flush',
  'kvm_nested_vmenter_failed', 'kvm_hv_syndbg_set_msr', 'kvm_hv_syndbg_get_msr', 'kvm_vmgexit_enter',
  'kvm_vmgexit_exit', 'kvm_vmgexit_msr_protocol_enter', 'kvm_vmgexit_msr_protocol_exit', 'kvm_rmp_fault',
  // arch/x86/kvm/mmu/mmutrace.h
  'kvm_mmu_pagetable_walk', 'kvm_mmu_paging_element', 'kvm_mmu_set_accessed_bit', 'kvm_mmu_set_dirty_bit',
  'kvm_mmu_walker_error', 'kvm_mmu_get_page', 'kvm_mmu_sync_page', 'kvm_mmu_unsync_page', 'kvm_mmu_prepare_zap_page',
  'mark_mmio_spte', 'handle_mmio_page_fault', 'fast_page_fault', 'kvm_mmu_zap_all_fast', 'check_mmio_spte',
  'kvm_mmu_set_spte', 'kvm_mmu_spte_requested', 'kvm_tdp_mmu_spte_changed', 'kvm_mmu_split_huge_page',
  // arch/arm64/kvm/trace_arm.h, trace_handle_exit.h
  'kvm_irq_line', 'kvm_mmio_emulate', 'kvm_set_way_flush', 'kvm_toggle_cache', 'kvm_timer_update_irq',
  'kvm_get_timer_map', 'kvm_timer_save_state', 'kvm_timer_restore_state', 'kvm_timer_hrtimer_expire',
  'kvm_timer_emulate', 'kvm_nested_eret', 'kvm_forward_sysreg_trap', 'kvm_wfx_arm64', 'kvm_hvc_arm64',
  'kvm_arm_setup_debug', 'kvm_arm_clear_debug', 'kvm_arm_set_dreg32', 'kvm_arm_set_regset', 'trap_reg',
  'kvm_handle_sys_reg', 'kvm_sys_access', 'kvm_guest_fault', 'kvm_access_fault',
  'vgic_update_irq_pending',
]);

/** `[cpu] ` (optional), `[sys:]name:`, payload. */
const CUT_RECORD = /^\s*(?:\[(\d{1,5})\]\s+)?(?:([A-Za-z_]\w*):)?([A-Za-z_]\w*):(?:[ \t]+(.*))?$/;

/** Is `name` (with its optional system) a KVM trace event a cut line may start with? */
export function isKvmEventName(sys: string | undefined, name: string): boolean {
  if (sys !== undefined) return sys === 'kvm' || sys === 'kvmmmu';
  return KVM_EVENT_NAMES.has(name);
}

/** Split a record that starts at the event name; null when the line is not one. */
export function splitCutRecord(line: string): LineColumns | null {
  if (line.indexOf(':') === -1) return null;
  const m = CUT_RECORD.exec(line);
  if (m === null || !isKvmEventName(m[2], m[3]!)) return null;
  return {
    comm: '',
    tid: -1,
    cpu: m[1] === undefined ? -1 : Number(m[1]),
    ts: '',
    name: m[3]!,
    payload: (m[4] ?? '').trim(),
    instance: '',
  };
}

/** perf prints the event with its system (`kvm:kvm_exit:`); ftrace and trace-cmd print the bare name. */
const PERF_NAME = /(?:^|\s)kvm(?:mmu)?:[A-Za-z_]\w*:/;

/**
 * The format of (repaired) lines whose records all had their task and CPU columns cut, which the format sniffers
 * (they need both columns) cannot place: perf when most records carry the `kvm:` system, else ftrace (the two read
 * cut records the same way). null when no line is a KVM record.
 */
export function sniffCutRecords(lines: readonly string[]): FormatName | null {
  let kvm = 0;
  let perf = 0;
  for (const l of lines) {
    const c = splitRecordLine(l, 'space') ?? splitCutRecord(l);
    if (c === null || !(c.name.startsWith('kvm') || KVM_EVENT_NAMES.has(c.name))) continue;
    kvm++;
    if (PERF_NAME.test(l)) perf++;
  }
  return kvm === 0 ? null : 2 * perf >= kvm ? 'perf-script' : 'ftrace';
}
