/**
 * `perf script` output of tracepoint events.
 *
 * Default fields for tracepoints: comm, tid, cpu, time, event, trace (tools/perf/builtin-script.c):
 *   `       CPU 0/KVM  699876 [020] 18136.763707:                       kvm:kvm_exit: reason EPT_MISCONFIG …` (#015)
 *   `       fc_vcpu 1  599500 [039] 1377662.550600: kvm:kvm_entry:  vcpu 1 rip 0xffffffff81036706`       (#025)
 * comm right-aligned 16, tid `%7d` (older `%5d`; `pid/tid` with -F pid), `[%03d]` cpu when sampled, time
 * `secs.usecs` (`--ns`: 9 digits), the `sys:event` name right-aligned to the longest selected name, payload.
 * `-F` can drop fields: `    [001]   770.850287:   kvm:kvm_entry: vcpu 0, rip 0x100146` (#013), `comm time event`.
 */
import type { TraceFormat } from './types.js';
import { splitRecordLine } from './record-line.js';

const SYS_EVENT = /\s\d+(?:\.\d+)?:\s+[A-Za-z_]\w*:[A-Za-z_]\w*:/;

export function sniffPerfScript(lines: readonly string[]): number {
  let sys = 0;
  let records = 0;
  for (const l of lines) {
    const c = splitRecordLine(l, 'space');
    if (c === null) continue;
    records++;
    if (SYS_EVENT.test(` ${l}`)) sys++;
  }
  return records === 0 ? 0 : sys / records >= 0.5 ? 0.97 : 0;
}

export const perfScript: TraceFormat = { name: 'perf-script', sniff: sniffPerfScript };
