/**
 * Splits one text trace record into columns, for every tool layout exitlens reads. The three tools print the same
 * shape — a task column, a CPU column, flags, a timestamp, the event name and its payload — with different
 * details, so one splitter anchored on the timestamp serves all, and the format decides only the ambiguous cases.
 *
 * Variants (left of the timestamp is the "head"; it is parsed from the right):
 *   ftrace ≥5.10   `  qemu-system-x86-18971   [015] d.... 95922.997039: kvm_exit: vcpu 0 reason …`   (#009)
 *   ftrace ≤5.9    `           a.out-20024 [001] .... 2323301.150469: kvm_fpu: load`             (#003, 4 flag chars)
 *   ftrace old     `             kvm-5664  [000] 11906.220178: kvm_entry: vcpu 0`             (#004, no flags)
 *   ftrace tgid    `           <...>-1234  (   1200) [001] d..1. 12.345678: kvm_exit: …`      (options/record-tgid)
 *   ftrace ticks   `           <...>-105662 [002] 117471684343752: kvm_update_master_clock: …`  (x86-tsc clock)
 *   trace-cmd      ` qemu-system-x86-31218 [000] 159269.806542: kvm_exit:             reason EPT_MISCONFIG …` (#016)
 *   trace-cmd 3.3+ same with the flags column after `[cpu]`; `-l`: `qemu-sys-1234  3d..1 12.5: …` (bare cpu + flags)
 *   trace-cmd many `trace1.dat: qemu-1234 [000] 12.345: kvm_exit: …` (file/instance prefix, stripped by caller)
 *   perf script    `       CPU 0/KVM  699876 [020] 18136.763707:     kvm:kvm_exit: reason …`     (#015)
 *   perf -F        `    [001]   770.850287:      kvm:kvm_entry: vcpu 0, rip 0x100146` (#013); `comm ts: ev:`
 *   perf pid/tid   `  qemu-kvm  1200/1234 [003] 12.345678: kvm:kvm_exit: …`
 * Comm may contain spaces, dashes and slashes (`CPU 0/KVM`, `fc_vcpu 1`, `qemu-system-x86`), so the task column is
 * split on its LAST `-digits` (ftrace/trace-cmd) or last whitespace-separated number (perf).
 *
 * Kernel: kernel/trace/trace_output.c (lat_print_generic, trace_print_time) @ v6.12; trace-cmd 3.4
 * tracecmd/trace-read.c trace_show_data; perf tools/perf/builtin-script.c perf_sample__fprintf_start.
 */
import type { LineColumns } from './types.js';

/**
 * The landmark: a timestamp (`secs.frac` or an integer counter) followed by `:`, spaces, an event name and `:`.
 * The event name is `[sys:]name`; names are C identifiers (kprobe event names too).
 * The payload may be empty (`kvm_fpu: load` has one; some events print nothing).
 */
const LANDMARK = /(?:^|\s)(\d+(?:\.\d+)?): +((?:[A-Za-z_][\w]*:)?[A-Za-z_][\w.]*):(?: +(.*))?$/;

/** ftrace/trace-cmd irq-flags column: irqs, need-resched, context, preempt depth [, migrate-disable]. */
const FLAGS = /^[.dDbX][.nNpBLlb][.hHsSzZ][.0-9a-f][.0-9a-f]?$/;
/** `-l` layout: bare CPU number with the flags glued after it. */
const CPU_FLAGS = /^(\d{1,4})([.dDbX][.nNpBLlb][.hHsSzZ][.0-9a-f][.0-9a-f]?)$/;
const CPU_COL = /^\[(\d{1,5})\]$/;
const TGID = /\(\s*(?:\d+|-+)\)$/;
const DASH_PID = /^(.*)-(\d+)$/;
const SPACE_TID = /^(.*?)\s+(\d+)(?:\/(\d+))?$/;
const BARE_TID = /^(\d+)(?:\/(\d+))?$/;

export type TaskStyle = 'dash' | 'space';

/**
 * Split a record line. Returns null when the line has no timestamp landmark (not a record in any layout).
 * `style` says how to split the task column: `dash` for ftrace/trace-cmd (`comm-pid`), `space` for perf
 * (`comm tid`); the other style is tried when the preferred one does not match.
 */
export function splitRecordLine(line: string, style: TaskStyle): LineColumns | null {
  const m = LANDMARK.exec(line);
  if (m === null) return null;
  const ts = m[1]!;
  let name = m[2]!;
  const colon = name.indexOf(':');
  if (colon !== -1) name = name.slice(colon + 1);
  const payload = (m[3] ?? '').trim();
  let head = line.slice(0, m.index).trimEnd();

  let cpu = -1;
  // Flags column (ftrace, trace-cmd ≥3.3), then [cpu].
  let sp = head.lastIndexOf(' ');
  let last = head.slice(sp + 1);
  if (FLAGS.test(last) && sp !== -1) {
    head = head.slice(0, sp).trimEnd();
    sp = head.lastIndexOf(' ');
    last = head.slice(sp + 1);
  }
  const c = CPU_COL.exec(last);
  if (c !== null) {
    cpu = Number(c[1]);
    head = sp === -1 ? '' : head.slice(0, sp).trimEnd();
  } else {
    const cf = CPU_FLAGS.exec(last);
    if (cf !== null && sp !== -1) {
      cpu = Number(cf[1]);
      head = head.slice(0, sp).trimEnd();
    }
  }
  // record-tgid column.
  const t = TGID.exec(head);
  if (t !== null) head = head.slice(0, t.index).trimEnd();
  head = head.trimStart();

  let comm = '';
  let tid = -1;
  if (head.length > 0) {
    const dash = () => {
      const d = DASH_PID.exec(head);
      if (d === null) return false;
      comm = d[1]!;
      tid = Number(d[2]);
      return true;
    };
    const space = () => {
      const s = SPACE_TID.exec(head);
      if (s !== null) {
        comm = s[1]!;
        tid = Number(s[3] ?? s[2]);
        return true;
      }
      const b = BARE_TID.exec(head);
      if (b !== null) {
        tid = Number(b[2] ?? b[1]);
        return true;
      }
      return false;
    };
    const ok = style === 'dash' ? dash() || space() : space() || dash();
    if (!ok) comm = head;
  }
  return { comm, tid, cpu, ts, name, payload, instance: '' };
}

/** `CPU:7 [LOST 123 EVENTS]` (ftrace), `CPU:7 [204600 EVENTS DROPPED]` / `CPU:7 [EVENTS DROPPED]` (trace-cmd). */
const LOST = /^\s*CPU:\s*(\d+)\s+\[(?:LOST\s+(\d+)\s+EVENTS|(?:(\d+)\s+)?EVENTS\s+DROPPED)\]\s*$/;

export function parseLostMarker(line: string): { cpu: number; count: number | null } | null {
  if (line.indexOf('CPU:') === -1) return null;
  const m = LOST.exec(line);
  if (m === null) return null;
  const n = m[2] ?? m[3];
  return { cpu: Number(m[1]), count: n === undefined ? null : Number(n) };
}
