/**
 * Terminal output of `exitlens check`: per file one status line, then one line per failed assertion —
 * `file:line: assertion: observed X, expected Y` (the `file:line:` prefix is what editors and CI log viewers
 * turn into links, as in compiler output) — and a closing summary.
 */
import type { Style } from '../report/text.js';
import { PLAIN } from '../report/text.js';
import type { AssertionResult } from './evaluate.js';
import type { CheckFileResult, CheckRun } from './run.js';

export function where(file: string, line: number | null): string {
  return line !== null ? `${file}:${line}` : file;
}

export function failureLine(file: string, a: AssertionResult): string {
  return `${where(file, a.line)}: ${a.id}: observed ${a.observed}, expected ${a.expected}`;
}

export function renderFileResult(r: CheckFileResult, st: Style = PLAIN): string {
  const L: string[] = [];
  const failed = r.assertions.filter((a) => !a.pass);
  const traces = r.traces.length > 0 ? ` — ${r.traces.join(', ')}` : '';
  if (r.status === 'error') {
    L.push(`${st.red('ERROR')} ${r.file}${traces}`);
    for (const p of r.problems) L.push(`  ${where(r.file, p.line)}: ${p.message}`);
  } else if (r.status === 'fail') {
    L.push(`${st.red('FAIL')}  ${r.file}${traces} (${failed.length} of ${r.assertions.length} assertions failed)`);
    for (const a of failed) L.push(`  ${failureLine(r.file, a)}`);
  } else {
    const what = r.updated ? 'updated, ' : '';
    L.push(`${st.green('ok')}    ${r.file}${traces} (${what}${r.assertions.length} assertions)`);
  }
  return `${L.join('\n')}\n`;
}

export function summaryLine(run: CheckRun): string {
  const n = run.files.length;
  const count = (s: CheckFileResult['status']) => run.files.filter((f) => f.status === s).length;
  const assertions = run.files.reduce((s, f) => s + f.assertions.length, 0);
  const failedAssertions = run.files.reduce((s, f) => s + f.assertions.filter((a) => !a.pass).length, 0);
  const parts = [`${count('pass')} passed`, `${count('fail')} failed`];
  if (count('error') > 0) parts.push(`${count('error')} unusable`);
  if (run.unmatched.length > 0) parts.push(`${run.unmatched.length} pattern${run.unmatched.length === 1 ? '' : 's'} matching nothing`);
  return `exitlens check: ${n} expectation file${n === 1 ? '' : 's'} (${parts.join(', ')}); ${assertions} assertions, ${failedAssertions} failed`;
}
