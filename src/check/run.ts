/**
 * `exitlens check` as a library call: expand the arguments, and for every expectation file read it, analyze the
 * trace it names (paths relative to the file, options passed to `analyze`), then evaluate its assertions — or,
 * with `update`, write the observed values into it and evaluate the result. Unusable files (unreadable, invalid
 * against the schema, trace missing or unreadable) are results with `status: 'error'`, never exceptions, so one
 * bad file does not hide the others.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { AnalyzeOptions } from '../analyze.js';
import { loadAnalysis } from '../diff/load.js';
import type { Analysis } from '../model/analysis.js';
import { ExitlensError } from '../model/errors.js';
import type { Isa } from '../model/events.js';
import { evaluate, type AssertionResult } from './evaluate.js';
import { expandExpectationArgs } from './glob.js';
import { ExpectationFileError, loadExpectation, parseExpectation, type LoadedExpectation } from './load.js';
import type { FileOptions } from './schema.js';
import { updatedText } from './update.js';

export type FileStatus = 'pass' | 'fail' | 'error';

export interface CheckFileResult {
  /** The expectation file as given/expanded. */
  file: string;
  name: string | null;
  /** Trace paths as resolved (relative to the working directory when inside it). */
  traces: string[];
  status: FileStatus;
  assertions: AssertionResult[];
  /** Why the file is unusable (status `error`): one entry per problem, each with its line in the file. */
  problems: { line: number | null; message: string }[];
  /** True when `--update` rewrote the file. */
  updated: boolean;
  timeMs: number;
}

export interface CheckRun {
  files: CheckFileResult[];
  /** Arguments that matched no file. */
  unmatched: string[];
}

export interface CheckOptions {
  update?: boolean;
  /** Tolerance for generated latency bounds (overrides the file's `tolerance`). */
  tolerance?: number;
  /** Called with each file's result as soon as it is known (progressive output). */
  onFile?: (r: CheckFileResult) => void;
}

function display(p: string): string {
  const r = relative(process.cwd(), p);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}

/** Analysis options from the file's `options` (paths relative to the expectation file). */
export function analyzeOptionsFrom(file: string, o: FileOptions | undefined): { opts: AnalyzeOptions & { model?: string }; given: boolean } {
  const opts: AnalyzeOptions & { model?: string } = {};
  if (o === undefined) return { opts, given: false };
  if (o.format !== undefined) opts.format = o.format;
  if (o.vcpu !== undefined) opts.vcpu = o.vcpu;
  if (o.pid !== undefined) opts.pid = o.pid;
  if (o.since !== undefined) opts.since = String(o.since);
  if (o.until !== undefined) opts.until = String(o.until);
  if (o.isa !== undefined) opts.isa = o.isa as Isa;
  if (o.tscGhz !== undefined) opts.tscGhz = o.tscGhz;
  if (o.model !== undefined) {
    // A file next to the expectation file wins over a built-in model of the same name.
    const p = resolve(dirname(file), o.model);
    opts.model = existsSync(p) ? p : o.model;
  }
  return { opts, given: Object.keys(opts).length > 0 };
}

function errorResult(file: string, e: unknown, started: number, traces: string[] = [], name: string | null = null): CheckFileResult {
  let problems: CheckFileResult['problems'];
  if (e instanceof ExpectationFileError) {
    problems = e.problems.map((p) => ({ line: p.line, message: p.path ? `${p.path}: ${p.message}` : p.message }));
  } else if (e instanceof ExitlensError) problems = [{ line: null, message: e.message }];
  else {
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && ['ENOENT', 'EACCES', 'EISDIR'].includes(err.code)) problems = [{ line: null, message: err.message }];
    else throw e;
  }
  return { file, name, traces, status: 'error', assertions: [], problems, updated: false, timeMs: Date.now() - started };
}

async function checkOne(file: string, opts: CheckOptions): Promise<CheckFileResult> {
  const started = Date.now();
  let loaded: LoadedExpectation;
  try {
    loaded = await loadExpectation(file);
  } catch (e) {
    return errorResult(file, e, started);
  }
  const exp = loaded.expectation;
  const name = exp.name ?? null;
  const traces = (typeof exp.trace === 'string' ? [exp.trace] : exp.trace).map((t) => resolve(dirname(file), t));
  const shown = traces.map(display);
  let analysis: Analysis;
  try {
    const { opts: aopts, given } = analyzeOptionsFrom(file, exp.options);
    aopts.displayNames = shown;
    analysis = (await loadAnalysis(traces, aopts, given)).analysis;
  } catch (e) {
    const r = errorResult(file, e, started, shown, name);
    r.problems = r.problems.map((p) => ({ line: loaded.lineOf(['trace']), message: `cannot analyze the trace: ${p.message}` }));
    return r;
  }
  let updated = false;
  if (opts.update === true) {
    const text = updatedText(loaded, analysis, opts.tolerance);
    await writeFile(file, text, 'utf8');
    updated = true;
    loaded = parseExpectation(file, text);
  }
  const assertions = evaluate(loaded.expectation, analysis, loaded.lineOf);
  return {
    file,
    name,
    traces: shown,
    status: assertions.every((a) => a.pass) ? 'pass' : 'fail',
    assertions,
    problems: [],
    updated,
    timeMs: Date.now() - started,
  };
}

export async function runCheck(args: readonly string[], opts: CheckOptions = {}): Promise<CheckRun> {
  const { files, unmatched } = await expandExpectationArgs(args);
  const out: CheckFileResult[] = [];
  for (const f of files) {
    const r = await checkOne(f, opts);
    opts.onFile?.(r);
    out.push(r);
  }
  return { files: out, unmatched };
}

/** The exit code of a run: 2 if anything was unusable, else 1 if any assertion failed, else 0. */
export function exitCodeOf(run: CheckRun): 0 | 1 | 2 {
  if (run.unmatched.length > 0 || run.files.length === 0 || run.files.some((f) => f.status === 'error')) return 2;
  return run.files.some((f) => f.status === 'fail') ? 1 : 0;
}
