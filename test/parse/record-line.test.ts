/** Column splitting for every record layout the three tools print (see src/parse/record-line.ts). */
import { describe, expect, it } from 'vitest';
import { parseLostMarker, splitRecordLine } from '../../src/parse/record-line.js';

describe('splitRecordLine', () => {
  it('ftrace ≥5.10: 7-wide pid, 5 flag chars (#009)', () => {
    const c = splitRecordLine(
      ' qemu-system-x86-18971   [015] d.... 95922.997039: kvm_exit: vcpu 0 reason EXCEPTION_NMI rip 0xfd0bd info1 0x0',
      'dash',
    );
    expect(c).toMatchObject({ comm: 'qemu-system-x86', tid: 18971, cpu: 15, ts: '95922.997039', name: 'kvm_exit' });
    expect(c?.payload).toBe('vcpu 0 reason EXCEPTION_NMI rip 0xfd0bd info1 0x0');
  });

  it('ftrace ≤5.9: 4 flag chars and trailing space kept out of the payload (#003)', () => {
    const c = splitRecordLine(
      '           a.out-20024 [001] .... 2323301.154971: kvm_pio: pio_write at 0x3f8 size 1 count 1 val 0x34 ',
      'dash',
    );
    expect(c).toMatchObject({ comm: 'a.out', tid: 20024, cpu: 1, ts: '2323301.154971', name: 'kvm_pio' });
    expect(c?.payload).toBe('pio_write at 0x3f8 size 1 count 1 val 0x34');
  });

  it('old trace_pipe without flags (#004)', () => {
    expect(splitRecordLine('             kvm-5664  [000] 11906.220178: kvm_entry: vcpu 0', 'dash')).toMatchObject({
      comm: 'kvm',
      tid: 5664,
      cpu: 0,
      ts: '11906.220178',
      name: 'kvm_entry',
      payload: 'vcpu 0',
    });
  });

  it('comm with spaces and slash, dashes in comm', () => {
    expect(splitRecordLine('       CPU 0/KVM-453724 [005] 24006.249294: kvm_entry:  vcpu 0', 'dash')).toMatchObject({
      comm: 'CPU 0/KVM',
      tid: 453724,
      cpu: 5,
    });
    expect(splitRecordLine(' qemu-system-x86-6660  [007]   398.691401: kvm_fpu:  unload', 'dash')).toMatchObject({
      comm: 'qemu-system-x86',
      tid: 6660,
    });
  });

  it('record-tgid column', () => {
    expect(splitRecordLine('           <...>-1234  (   1200) [001] d..1. 12.345678: kvm_exit: reason HLT rip 0x1', 'dash')).toMatchObject({
      comm: '<...>',
      tid: 1234,
      cpu: 1,
    });
  });

  it('integer counter timestamp (#028)', () => {
    expect(
      splitRecordLine('   qemu-system-x86-20667 [010] 15813659115036: kvm_exit:             reason EXIT_IOIO rip 0xec08e info cf80140 ec08f', 'dash'),
    ).toMatchObject({ ts: '15813659115036', name: 'kvm_exit', payload: 'reason EXIT_IOIO rip 0xec08e info cf80140 ec08f' });
  });

  it('trace-cmd -l layout: bare cpu with flags glued', () => {
    expect(splitRecordLine('qemu-sys-1234    3d..1 12.500000: kvm_exit: reason HLT rip 0x1', 'dash')).toMatchObject({
      comm: 'qemu-sys',
      tid: 1234,
      cpu: 3,
    });
  });

  it('perf script default fields, comm with a space, right-aligned sys:event (#015/#025)', () => {
    expect(
      splitRecordLine('       CPU 0/KVM  699876 [020] 18136.763707:                       kvm:kvm_exit: reason EPT_MISCONFIG rip 0x1 info 0 0', 'space'),
    ).toMatchObject({ comm: 'CPU 0/KVM', tid: 699876, cpu: 20, name: 'kvm_exit', payload: 'reason EPT_MISCONFIG rip 0x1 info 0 0' });
    expect(splitRecordLine('       fc_vcpu 1  599500 [039] 1377662.550600: kvm:kvm_entry:  vcpu 1 rip 0xffffffff81036706', 'space')).toMatchObject({
      comm: 'fc_vcpu 1',
      tid: 599500,
    });
  });

  it('perf -F subsets: [cpu] time event (#013), pid/tid, comm time event', () => {
    expect(splitRecordLine('    [001]   770.850287:                      kvm:kvm_entry: vcpu 0, rip 0x100146', 'space')).toMatchObject({
      comm: '',
      tid: -1,
      cpu: 1,
      name: 'kvm_entry',
    });
    expect(splitRecordLine('  qemu-kvm  1200/1234 [003] 12.345678: kvm:kvm_exit: reason HLT rip 0x1', 'space')).toMatchObject({
      comm: 'qemu-kvm',
      tid: 1234,
    });
    expect(splitRecordLine('  qemu-kvm 12.345678: kvm:kvm_exit: reason HLT rip 0x1', 'space')).toMatchObject({ comm: 'qemu-kvm', tid: -1 });
  });

  it('prose, prompts and foreign tool output are not records', () => {
    for (const l of [
      'Date: Thu, 13 Apr 2023 10:24:19 -0700',
      '15268@1647341556.924605:kvm_run_exit cpu_index 0, reason 2',
      '# echo 1 >/sys/kernel/debug/tracing/events/kvm/enable',
      'kvm_intel: VMX timer exit, EXIT_REASON = 34, VMCS = 0, delta = e00037e9',
      '',
    ]) {
      expect(splitRecordLine(l, 'dash'), l).toBeNull();
    }
  });
});

describe('parseLostMarker', () => {
  it('ftrace LOST and trace-cmd DROPPED forms', () => {
    expect(parseLostMarker('CPU:2 [LOST 1234 EVENTS]')).toEqual({ cpu: 2, count: 1234 });
    expect(parseLostMarker('CPU:7 [204600 EVENTS DROPPED]')).toEqual({ cpu: 7, count: 204600 });
    expect(parseLostMarker('CPU:0 [EVENTS DROPPED]')).toEqual({ cpu: 0, count: null });
    expect(parseLostMarker('CPU:0 something else')).toBeNull();
  });
});
