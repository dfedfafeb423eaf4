/**
 * GitHub Actions integration of `exitlens check`, used when `GITHUB_ACTIONS=true` (set on every Actions runner):
 * - each failed assertion and each unusable-file problem becomes an `::error file=…,line=…,title=…::…` workflow
 *   command, which GitHub shows as an annotation on the file and line of the expectation;
 * - a Markdown summary is appended to the file named by `GITHUB_STEP_SUMMARY` (the job summary page).
 * Escaping follows the runner's own rules (actions/toolkit `command.ts`: `escapeData` for the message,
 * `escapeProperty` for file/line/title). https://docs.github.com/actions/reference/workflow-commands-for-github-actions
 */
import { appendFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { where } from './report.js';
import type { CheckRun } from './run.js';

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** Annotation paths are relative to the repository checkout (GITHUB_WORKSPACE). */
function repoPath(file: string, workspace: string): string {
  const r = relative(workspace, resolve(file));
  return r.startsWith('..') ? file : r;
}

export function annotations(run: CheckRun, workspace: string = process.env.GITHUB_WORKSPACE ?? process.cwd()): string[] {
  const out: string[] = [];
  const cmd = (file: string, line: number | null, title: string, msg: string) => {
    const props = [`file=${escapeProperty(repoPath(file, workspace))}`];
    if (line !== null) props.push(`line=${line}`);
    props.push(`title=${escapeProperty(title)}`);
    out.push(`::error ${props.join(',')}::${escapeData(msg)}`);
  };
  for (const f of run.files) {
    for (const p of f.problems) cmd(f.file, p.line, 'exitlens check: unusable expectation file', p.message);
    for (const a of f.assertions) {
      if (!a.pass) cmd(f.file, a.line, `exitlens check: ${a.id}`, `observed ${a.observed}, expected ${a.expected}`);
    }
  }
  for (const u of run.unmatched) out.push(`::error title=exitlens check::${escapeData(`no expectation files match ${u}`)}`);
  return out;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function stepSummary(run: CheckRun): string {
  const L: string[] = [];
  const ok = run.files.filter((f) => f.status === 'pass').length;
  L.push(`### exitlens check: ${ok} of ${run.files.length} expectation files passed`, '');
  L.push('| | expectation file | trace | assertions | failed |', '|---|---|---|---:|---:|');
  for (const f of run.files) {
    const icon = f.status === 'pass' ? '✅' : f.status === 'fail' ? '❌' : '⚠️';
    const failed = f.assertions.filter((a) => !a.pass).length;
    L.push(`| ${icon} | \`${cell(f.file)}\` | ${cell(f.traces.join(', '))} | ${f.assertions.length} | ${f.status === 'error' ? 'unusable' : failed} |`);
  }
  const failures = run.files.flatMap((f) => f.assertions.filter((a) => !a.pass).map((a) => ({ f, a })));
  if (failures.length > 0) {
    L.push('', '#### Failed assertions', '', '| where | assertion | observed | expected |', '|---|---|---|---|');
    for (const { f, a } of failures) L.push(`| \`${cell(where(f.file, a.line))}\` | \`${cell(a.id)}\` | ${cell(a.observed)} | ${cell(a.expected)} |`);
  }
  const problems = run.files.flatMap((f) => f.problems.map((p) => ({ f, p })));
  if (problems.length > 0 || run.unmatched.length > 0) {
    L.push('', '#### Unusable input', '');
    for (const { f, p } of problems) L.push(`- \`${cell(where(f.file, p.line))}\`: ${cell(p.message)}`);
    for (const u of run.unmatched) L.push(`- no expectation files match \`${cell(u)}\``);
  }
  return `${L.join('\n')}\n`;
}

/** When running in GitHub Actions: the annotation lines to print, and the summary appended to the step summary. */
export async function writeGithub(run: CheckRun, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  if (env.GITHUB_ACTIONS !== 'true') return [];
  const summaryFile = env.GITHUB_STEP_SUMMARY;
  if (summaryFile !== undefined && summaryFile !== '') await appendFile(summaryFile, stepSummary(run), 'utf8');
  return annotations(run, env.GITHUB_WORKSPACE ?? process.cwd());
}
