#!/usr/bin/env node
// Benchmark: exitlens reading a large trace.dat vs `trace-cmd report` of the same file.
//
// usage: node bench/tracedat-bench.mjs [--events N] [--runs N] [--check] [--keep]
//   --events N  records in the generated file (default 2,000,000)
//   --runs N    timed runs of each side; the median is reported (default 5 for exitlens, 3 for trace-cmd)
//   --check     exit 1 when exitlens is not at least 2x faster than trace-cmd report
//   --keep      keep the generated file (its path is printed)
// env: EXITLENS_DIST = directory of the compiled sources (default: ../dist, made by `npm run build`)
//
// The input is built from the repository's own fixture only (fixtures/tracedat/kvm-user-v6.dat: real KVM
// events of two VMMs on two CPUs): a version-6 uncompressed file whose per-CPU data are the fixture's pages
// repeated, each copy's page time stamps shifted past the previous copy (page headers hold absolute times, the
// records inside hold deltas). Prints one JSON line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pagesOf, parseV6Layout, shiftedPage, writeV6 } from './tracedat-build.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const target = opt('--events', 2_000_000);
const runs = opt('--runs', 5);
const check = args.includes('--check');
const keep = args.includes('--keep');

const dist = resolve(process.env.EXITLENS_DIST ?? join(here, '..', 'dist'));
const { readTraceDat } = await import(pathToFileURL(join(dist, 'parse', 'tracedat', 'index.js')).href);
const { Diagnostics } = await import(pathToFileURL(join(dist, 'model', 'diagnostics.js')).href);

const templatePath = join(here, '..', 'fixtures', 'tracedat', 'kvm-user-v6.dat');
const template = readFileSync(templatePath);
const layout = parseV6Layout(template);
const pages = pagesOf(template, layout);

// One pass over the template: records per copy and the time they span.
let perCopy = 0;
const info0 = await readTraceDat(templatePath, () => perCopy++, { diag: new Diagnostics(), fileIndex: 0 });
const toNs = (s) => {
  const [a, b = '0'] = s.split('.');
  return BigInt(a) * 1_000_000_000n + BigInt(b.padEnd(9, '0'));
};
const span = toNs(info0.lastTimestamp) - toNs(info0.baseTimestamp) + 1_000_000n; // + 1 ms between copies
const copies = Math.ceil(target / perCopy);

const dir = mkdtempSync(join(tmpdir(), 'exitlens-bench-'));
const file = join(dir, 'bench-v6.dat');
const counts = pages.map((p) => p.length * copies);
function* pagesFor(cpu) {
  for (let k = 0; k < copies; k++) for (const { page } of pages[cpu]) yield shiftedPage(page, span * BigInt(k));
}
const bytes = writeV6(file, template, layout, counts, pagesFor);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// exitlens: decode every record into a TraceEvent and count them.
const ourTimes = [];
let events = 0;
for (let r = 0; r < runs; r++) {
  let n = 0;
  const t0 = process.hrtime.bigint();
  await readTraceDat(file, () => n++, { diag: new Diagnostics(), fileIndex: 0 });
  ourTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
  events = n;
}
const ourMs = median(ourTimes);

// trace-cmd report (output to /dev/null), when installed.
let tc = null;
const probe = spawnSync('trace-cmd', ['report', '-i', file], { stdio: ['ignore', 'ignore', 'ignore'] });
if (!probe.error) {
  const times = [];
  const tcRuns = Math.max(1, Math.min(runs, 3));
  for (let r = 0; r < tcRuns; r++) {
    const out = openSync('/dev/null', 'w');
    const t0 = process.hrtime.bigint();
    const res = spawnSync('trace-cmd', ['report', '-i', file], { stdio: ['ignore', out, 'ignore'] });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    closeSync(out);
    if (res.status !== 0) throw new Error(`trace-cmd report exited with ${res.status}`);
  }
  const ms = median(times);
  tc = { medianMs: Math.round(ms), eventsPerSec: Math.round((events / ms) * 1000), runs: times.map(Math.round) };
}

// End to end: `exitlens analyze trace.dat` (the whole pipeline, read from the binary) versus the text route a user
// without binary support takes, `trace-cmd report | exitlens analyze -`.
const cli = join(dist, 'cli', 'index.js');
function wall(cmd, argv, n) {
  const times = [];
  for (let r = 0; r < n; r++) {
    const t0 = process.hrtime.bigint();
    const res = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${res.status}: ${res.stderr}`);
  }
  return { medianMs: Math.round(median(times)), runs: times.map(Math.round) };
}
const e2eRuns = Math.max(1, Math.min(runs, 3));
const analyzeDat = wall(process.execPath, [cli, 'analyze', '--json', '--no-model', file], e2eRuns);
const pipe =
  tc === null
    ? null
    : wall('bash', ['-o', 'pipefail', '-c', `trace-cmd report -i '${file}' | '${process.execPath}' '${cli}' analyze --json --no-model -`], e2eRuns);

const result = {
  bench: 'tracedat',
  file: keep ? file : undefined,
  fileBytes: bytes,
  events,
  exitlens: { medianMs: Math.round(ourMs), eventsPerSec: Math.round((events / ourMs) * 1000), runs: ourTimes.map(Math.round) },
  traceCmdReport: tc,
  speedup: tc === null ? null : Math.round((tc.medianMs / ourMs) * 100) / 100,
  analyzeTraceDat: analyzeDat,
  traceCmdReportPipeAnalyze: pipe,
  endToEndSpeedup: pipe === null ? null : Math.round((pipe.medianMs / analyzeDat.medianMs) * 100) / 100,
  target: '>= 2x faster than trace-cmd report',
};
console.log(JSON.stringify(result));
if (!keep) rmSync(dir, { recursive: true, force: true });
if (statSync(templatePath).size === 0) process.exit(2);
if (check && result.speedup !== null && result.speedup < 2) process.exit(1);
