/**
 * `exitlens check --junit FILE`: JUnit XML, valid against the Jenkins xUnit plugin's `junit-10.xsd` (the schema
 * pytest, Jenkins, GitLab and most CI report viewers follow; a copy with its source is in test/check/).
 *
 * Mapping: one <testsuite> per expectation file, one <testcase> per assertion (name = assertion id, classname =
 * the expectation file); a failed assertion gets <failure message="observed …, expected …">, an unusable file one
 * <testcase name="load"> with <error>. `time` is in seconds with a dot (the schema's SUREFIRE_TIME pattern).
 */
import { hostname } from 'node:os';
import { failureLine, where } from './report.js';
import type { CheckRun } from './run.js';

/** Characters XML 1.0 does not allow at all (C0 controls except tab, LF, CR); replaced, never emitted. */
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function xmlEscape(s: string): string {
  return s
    .replace(INVALID_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function attrs(o: Record<string, string | number>): string {
  return Object.entries(o)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export function renderJunit(run: CheckRun, now: Date = new Date()): string {
  const L: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = (f: (x: CheckRun['files'][number]) => number) => run.files.reduce((s, x) => s + f(x), 0);
  const tests = total((f) => (f.status === 'error' ? 1 : f.assertions.length));
  const failures = total((f) => f.assertions.filter((a) => !a.pass).length);
  const errors = total((f) => (f.status === 'error' ? 1 : 0));
  const time = total((f) => f.timeMs);
  L.push(`<testsuites${attrs({ name: 'exitlens check', tests, failures, errors, time: seconds(time) })}>`);
  const stamp = now.toISOString().replace(/\.\d+Z$/, '');
  const host = hostname();
  run.files.forEach((f, i) => {
    const failed = f.assertions.filter((a) => !a.pass).length;
    L.push(
      `  <testsuite${attrs({
        name: f.name ?? f.file,
        tests: f.status === 'error' ? 1 : f.assertions.length,
        failures: failed,
        errors: f.status === 'error' ? 1 : 0,
        skipped: 0,
        time: seconds(f.timeMs),
        timestamp: stamp,
        hostname: host,
        id: i,
        file: f.file,
      })}>`,
    );
    if (f.traces.length > 0) {
      L.push('    <properties>');
      for (const t of f.traces) L.push(`      <property${attrs({ name: 'trace', value: t })}/>`);
      L.push('    </properties>');
    }
    if (f.status === 'error') {
      const text = f.problems.map((p) => `${where(f.file, p.line)}: ${p.message}`).join('\n');
      L.push(`    <testcase${attrs({ name: 'load', classname: f.file, time: seconds(f.timeMs) })}>`);
      L.push(`      <error${attrs({ message: f.problems[0]?.message ?? 'unusable', type: 'unusable-input' })}>${xmlEscape(text)}</error>`);
      L.push('    </testcase>');
    }
    for (const a of f.assertions) {
      const tc = attrs({ name: a.id, classname: f.file, time: '0' });
      if (a.pass) L.push(`    <testcase${tc}/>`);
      else {
        L.push(`    <testcase${tc}>`);
        const msg = `observed ${a.observed}, expected ${a.expected}`;
        L.push(`      <failure${attrs({ message: msg, type: 'assertion' })}>${xmlEscape(failureLine(f.file, a))}</failure>`);
        L.push('    </testcase>');
      }
    }
    L.push('  </testsuite>');
  });
  L.push('</testsuites>');
  return `${L.join('\n')}\n`;
}
