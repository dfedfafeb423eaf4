/**
 * Raw ftrace text: `/sys/kernel/tracing/trace` (with its `#` header) and `trace_pipe` (no header).
 *
 * Header (current kernels, irq-info on; variants: `irqs-off` before 5.17, 4 flag chars and no `migrate-disable`
 * before 5.13, 5-digit pids before 5.10, no flags with options/irq-info=0, a TGID column with record-tgid):
 *   # tracer: nop
 *   # entries-in-buffer/entries-written: 6/6   #P:56
 *   #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
 * Records: `%16s-%-7d [%03d] <flags> %5lu.%06lu: event: payload` (see record-line.ts for every variant).
 * Lost events: `CPU:%d [LOST %lu EVENTS]` on its own line (kernel/trace/trace.c print_trace_line).
 * Source: kernel/trace/trace.c print_func_help_header_irq, kernel/trace/trace_output.c @ v6.12.
 */
import type { TraceFormat } from './types.js';
import { splitRecordLine } from './record-line.js';

/** Lines of the `trace` file header: all start with `#`. */
export function isFtraceHeaderLine(line: string): boolean {
  return line.startsWith('#');
}

export function sniffFtrace(lines: readonly string[]): number {
  let score = 0;
  let records = 0;
  for (const l of lines) {
    if (/^# tracer: /.test(l) || /^#\s+TASK-PID/.test(l) || /^# entries-in-buffer/.test(l)) return 1;
    if (/^\s*CPU:\d+ \[LOST \d+ EVENTS\]/.test(l)) score += 2;
    const c = splitRecordLine(l, 'dash');
    if (c === null || c.tid < 0 || c.cpu < 0) continue;
    records++;
    // ftrace never pads event names; trace-cmd pads them to 20 columns.
    const after = l.indexOf(`${c.name}:`);
    const pad = after === -1 ? 0 : /^ */.exec(l.slice(after + c.name.length + 1))![0].length;
    if (!l.includes(':' + c.name) && pad <= 1) score++;
    else if (pad > 1) score--;
  }
  return records === 0 ? 0 : Math.max(0, Math.min(0.9, 0.5 + score / (2 * records)));
}

export const ftrace: TraceFormat = { name: 'ftrace', sniff: sniffFtrace };
