/**
 * `exitlens export <files..>`: one row per classified round trip (or access), streamed as CSV or JSON Lines —
 * for plotting and ad-hoc analysis elsewhere. Rows are written as round trips complete; nothing is kept.
 * The pipeline loads inside the handler (CLI start-up, issue #5).
 */
import { createWriteStream } from 'node:fs';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { AccessGroup } from '../../pair/accesses.js';
import type { RoundTrip } from '../../pair/round-trips.js';
import type { ClassifiedUnit } from '../../stats/summarize.js';
import { analyzeOptionsOf, EXIT_OK, reportError, withInputOptions, type InputArgs } from '../common.js';

interface Args extends InputArgs {
  files: string[];
  jsonl: boolean;
  output?: string;
}

export const EXPORT_COLUMNS = [
  'thread',
  'tid',
  'vcpu',
  'file',
  'line',
  'ts_ns',
  'class',
  'isa',
  'reason',
  'evidence',
  'dur_ns',
  'kernel_ns',
  'vmm_ns',
  'space',
  'address',
  'write',
  'size',
] as const;

export function exportRow(u: ClassifiedUnit, src: RoundTrip | AccessGroup): Record<(typeof EXPORT_COLUMNS)[number], unknown> {
  const first = 'exit' in src ? src.exit : src.children[0];
  return {
    thread: u.thread.key,
    tid: u.thread.tid,
    vcpu: u.thread.vcpu,
    file: first?.source.file ?? null,
    line: first?.source.line ?? null,
    ts_ns: first !== undefined && Number.isFinite(first.ts) ? first.ts : null,
    class: u.cls,
    isa: u.rawReason?.isa ?? null,
    reason: u.rawReason?.raw ?? null,
    evidence: u.evidence,
    dur_ns: u.durNs,
    kernel_ns: u.kernelNs,
    vmm_ns: u.vmmNs,
    space: u.device?.space ?? null,
    address: u.device ? `0x${u.device.address.toString(16)}` : null,
    write: u.device?.write ?? null,
    size: u.device?.size ?? null,
  };
}

export const exportCommand: CommandModule<object, Args> = {
  command: 'export [files..]',
  describe: 'write one row per classified round trip (CSV, or JSON Lines with --jsonl)',
  builder: (y: Argv) =>
    withInputOptions(y)
      .positional('files', { type: 'string', array: true, default: ['-'] })
      .option('jsonl', { type: 'boolean', default: false, describe: 'JSON Lines instead of CSV' })
      .option('output', { alias: 'o', type: 'string', describe: 'write to a file instead of stdout' })
      .example('$0 export trace.txt -o trips.csv', '') as unknown as Argv<Args>,
  handler: async (a: ArgumentsCamelCase<Args>) => {
    const stream = a.output !== undefined ? createWriteStream(a.output) : process.stdout;
    try {
      const [{ analyzeFiles }, { csvCell }] = await Promise.all([import('../../analyze.js'), import('../../report/csv.js')]);
      if (!a.jsonl) stream.write(`${EXPORT_COLUMNS.join(',')}\n`);
      let buf: string[] = [];
      const flush = () => {
        if (buf.length > 0) stream.write(buf.join(''));
        buf = [];
      };
      await analyzeFiles(a.files.length > 0 ? a.files : ['-'], {
        ...analyzeOptionsOf(a),
        onUnit: (u, src) => {
          const row = exportRow(u, src);
          buf.push(a.jsonl ? `${JSON.stringify(row)}\n` : `${EXPORT_COLUMNS.map((c) => csvCell(row[c])).join(',')}\n`);
          if (buf.length >= 4096) flush();
        },
      });
      flush();
      if (stream !== process.stdout) await new Promise<void>((r) => stream.end(r));
      process.exitCode = EXIT_OK;
    } catch (e) {
      process.exitCode = reportError(e);
    }
  },
};
