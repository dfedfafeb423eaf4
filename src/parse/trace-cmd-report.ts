/**
 * `trace-cmd report` text.
 *
 * Prologue: `cpus=N` (always, stdout); older trace-cmd also `version = 6` and `CPU N is empty`.
 * Records (trace-cmd 3.4 tracecmd/trace-read.c trace_show_data):
 *   ` qemu-system-x86-31218 [000] 159269.806542: kvm_exit:             reason EPT_MISCONFIG rip 0x133025 info 0 0`
 * — comm right-aligned to 16, pid, `[cpu]`, flags (only with -l before 3.3; by default since 3.3, commit 1e713bfc),
 * time (`secs.usecs`, `secs.nsecs` with -t, a raw `%12d` integer for clocks without ns), the event name padded with
 * spaces to 20 columns, payload.
 * Several input files/instances: every line, including `cpus=`, is prefixed by the file name right-aligned to the
 * longest name plus `: ` (print_handle_file).
 * Lost events: `CPU:%d [%lld EVENTS DROPPED]` or `CPU:%d [EVENTS DROPPED]` (commit 73effebd). trace-cmd never prints LOST.
 */
import type { TraceFormat } from './types.js';
import { splitRecordLine } from './record-line.js';

const CPUS = /^\s*(?:(\S.*?):\s+)?cpus=(\d+)\s*$/;
const VERSION = /^\s*version = \d+\s*$/;
const EMPTY_CPU = /^\s*CPU \d+ is empty\s*$/;

/** A `cpus=N` prologue line; returns the file/instance prefix ('' when none), or null. */
export function parseCpusLine(line: string): { prefix: string; cpus: number } | null {
  if (line.indexOf('cpus=') === -1) return null;
  const m = CPUS.exec(line);
  return m === null ? null : { prefix: m[1] ?? '', cpus: Number(m[2]) };
}

export function isTraceCmdPrologue(line: string): boolean {
  return VERSION.test(line) || EMPTY_CPU.test(line) || parseCpusLine(line) !== null;
}

export function sniffTraceCmd(lines: readonly string[]): number {
  let padded = 0;
  let records = 0;
  for (const l of lines) {
    if (parseCpusLine(l) !== null || VERSION.test(l)) return 1;
    if (/^\s*CPU:\d+ \[(?:\d+ )?EVENTS DROPPED\]/.test(l)) return 1;
    const c = splitRecordLine(l, 'dash');
    if (c === null || c.tid < 0 || c.cpu < 0) continue;
    records++;
    const i = l.indexOf(` ${c.name}:`);
    if (i !== -1 && l.startsWith('  ', i + c.name.length + 2)) padded++;
  }
  return records === 0 ? 0 : padded / records >= 0.5 ? 0.95 : 0.2;
}

export const traceCmdReport: TraceFormat = { name: 'trace-cmd', sniff: sniffTraceCmd };
