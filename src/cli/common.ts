/**
 * Shared CLI plumbing: input options every trace-reading command takes, exit codes, error reporting.
 * Exit codes: 0 success, 1 a check failed (check, diff --fail-on-regression, analyze --strict), 2 usage or
 * unreadable input.
 */
import type { Argv } from 'yargs';
import type { AnalyzeOptions } from '../analyze.js';
import { ExitlensError, UsageError } from '../model/errors.js';
import type { Isa } from '../model/events.js';
import type { FormatName } from '../parse/types.js';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;

export interface InputArgs {
  format: string;
  vcpu?: string | number | (string | number)[];
  pid?: string | number | (string | number)[];
  since?: string | number;
  until?: string | number;
  isa?: string;
  'tsc-ghz'?: number;
  'chunk-size'?: number;
  repair?: boolean;
  threads?: number;
}

export function withInputOptions<T>(y: Argv<T>): Argv<T & InputArgs> {
  return y
    .option('format', {
      choices: ['auto', 'ftrace', 'trace-cmd', 'perf-script'],
      default: 'auto',
      describe: 'input format; auto sniffs the first lines',
      type: 'string',
    })
    // Not `type: 'array'` (it would swallow the file names after it): repeat the flag or use commas.
    .option('vcpu', { type: 'string', describe: 'only these vCPU ids (repeat or comma-separate: --vcpu 0,1)' })
    .option('pid', { type: 'string', describe: 'only these vCPU thread ids (repeat or comma-separate)' })
    .option('since', { type: 'string', describe: 'start of the window, seconds in trace time (e.g. 2858.2)' })
    .option('until', { type: 'string', describe: 'end of the window, seconds in trace time' })
    .option('isa', { choices: ['vmx', 'svm'], describe: 'ISA for exit-reason names that do not say (old lowercase names)' })
    .option('tsc-ghz', { type: 'number', describe: 'clock rate for integer (x86-tsc/counter) timestamps' })
    .option('repair', {
      type: 'boolean',
      default: true,
      describe: 'undo pasted-text damage (mail quotes, quoted-printable, wraps, cut columns); --no-repair turns it off',
    })
    .option('threads', {
      type: 'number',
      describe: 'threads for one large text file (byte ranges parsed by worker threads; same result); default: all cores, 1 = single pass',
    })
    .option('chunk-size', { type: 'number', hidden: true, describe: 'read size in bytes (tests)' }) as Argv<T & InputArgs>;
}

function nums(v: string | number | (string | number)[] | undefined, name: string): number[] | undefined {
  if (v === undefined) return undefined;
  const out: number[] = [];
  for (const x of (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(','))) {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 0) throw new ExitlensError(`--${name} takes non-negative integers; got "${x}"`);
    out.push(n);
  }
  return out;
}

export function analyzeOptionsOf(a: InputArgs): AnalyzeOptions {
  const o: AnalyzeOptions = { format: a.format as FormatName | 'auto' };
  const vcpu = nums(a.vcpu, 'vcpu');
  const pid = nums(a.pid, 'pid');
  if (vcpu !== undefined) o.vcpu = vcpu;
  if (pid !== undefined) o.pid = pid;
  if (a.since !== undefined) o.since = String(a.since);
  if (a.until !== undefined) o.until = String(a.until);
  if (a.isa !== undefined) o.isa = a.isa as Isa;
  if (a['tsc-ghz'] !== undefined) o.tscGhz = a['tsc-ghz'];
  if (a['chunk-size'] !== undefined) o.chunkSize = a['chunk-size'];
  if (a.repair === false) o.repair = false;
  if (a.threads !== undefined) {
    if (!Number.isInteger(a.threads) || a.threads < 1) throw new UsageError('--threads takes a whole number ≥ 1');
    o.threads = a.threads;
  }
  return o;
}

/** Print an error the way every command does and return the exit code. */
export function reportError(e: unknown): number {
  if (e instanceof ExitlensError) {
    process.stderr.write(`exitlens: ${e.message}\n`);
    return EXIT_USAGE;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && ['ENOENT', 'EACCES', 'EISDIR', 'EPIPE'].includes(err.code)) {
    process.stderr.write(`exitlens: ${err.message}\n`);
    return EXIT_USAGE;
  }
  process.stderr.write(`exitlens: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  return 70;
}

/** Write to stdout and wait for it to drain (large JSON to a pipe must not be cut by process.exit). */
export async function out(text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
