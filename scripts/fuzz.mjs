#!/usr/bin/env node
/**
 * The fuzz campaign: the properties of test/property/*.test.ts over many more cases (FUZZING.md records runs).
 *
 *   npm run fuzz -- --cases 1000000 [--seed 42] [--json out.json]
 *
 * Runs the built library (dist/, `npm run fuzz` builds first) with fast-check over the real fixtures
 * (test/property/mutations.mjs):
 *   damage      mail/paste damage of a real excerpt (quote, wrap, format=flowed, quoted-printable, prose, and
 *               their compositions); analyzeText on the damaged copy must find the records of the clean original
 *               (event counts, round trips, classes, latencies, threads) and account for every line; every
 *               4th case is also re-read in small chunks and must give the identical analysis.
 *   corruption  bytes → bytes (truncation, flips, inserted NUL/CR/0xFF/newlines, duplicated/deleted lines, two
 *               records of one CPU swapped, CRLF, partly damaged windows, gzip whole/cut/flipped), read from a
 *               file through analyzeFiles (the CLI path: gzip and binary detection, line splitter, fast lane):
 *               it either succeeds with every line and exit accounted for or throws an ExitlensError (the CLI's
 *               exit 2 with a message); anything else is a failure.
 * Cases are split evenly between the two. Progress goes to stderr every 10 000 cases; the last line printed is a
 * JSON summary (also written to --json). On a failure fast-check shrinks it and the counterexample is printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { analyzeFiles, analyzeText } from '../dist/analyze.js';
import { ExitlensError } from '../dist/model/errors.js';
import {
  applyDamage,
  buildCorruptCase,
  checkAccounting,
  corruptCaseArb,
  damageArb,
  loadSources,
  physicalLines,
  recordsView,
} from '../test/property/mutations.mjs';

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : process.argv[i + 1];
}
const CASES = Number(arg('cases', '10000'));
const SEED = Number(arg('seed', String(Date.now() % 2 ** 31)));
const JSON_OUT = arg('json', null);
if (!Number.isInteger(CASES) || CASES < 2) {
  process.stderr.write('usage: npm run fuzz -- --cases N [--seed S] [--json FILE]\n');
  process.exit(2);
}

const sources = loadSources();
// Damage originals: the excerpts whose records parse (the clean ones, and the damaged ones the repair reads).
const damageSources = sources.filter((s) => s.clean || /^(009|019|025|027)/.test(s.name));
const baseViews = damageSources.map((s) => recordsView(analyzeText(s.text).analysis));

const dir = mkdtempSync(join(process.env.FUZZ_TMP ?? tmpdir(), 'exitlens-fuzz-'));
const started = Date.now();
const counts = { damage: 0, corruption: 0, rejected: 0, chunked: 0, gzip: 0 };
const rejectedBy = {};
let last = 0;

function progress() {
  const n = counts.damage + counts.corruption;
  if (n - last >= 10_000) {
    last = n;
    const s = (Date.now() - started) / 1000;
    process.stderr.write(`fuzz: ${n}/${CASES} cases, ${s.toFixed(0)} s, ${(n / s).toFixed(0)}/s, ${JSON.stringify(counts)}\n`);
  }
}

const damageProp = fc.property(
  fc.nat(damageSources.length - 1),
  damageArb,
  // A quarter of the cases are re-read in chunks of 1-257 bytes (values above 256: not chunked).
  fc.integer({ min: 0, max: 1027 }),
  (k, d, c) => {
    const chunk = c <= 256 ? c + 1 : null;
    counts.damage++;
    progress();
    const text = applyDamage(damageSources[k].text, d);
    const a = analyzeText(text).analysis;
    checkAccounting(a, physicalLines(Buffer.from(text, 'utf8')));
    const v = recordsView(a);
    if (!isDeepStrictEqual(v, baseViews[k])) {
      throw new Error(`records differ from the clean original: ${JSON.stringify(v)} vs ${JSON.stringify(baseViews[k])}`);
    }
    if (chunk !== null) {
      counts.chunked++;
      const small = analyzeText(text, { chunkSize: chunk }).analysis;
      if (!isDeepStrictEqual(small, a)) throw new Error(`chunk size ${chunk} changes the analysis`);
    }
  },
);

let fileNo = 0;
const corruptionProp = fc.asyncProperty(corruptCaseArb(sources.length), async (k) => {
  counts.corruption++;
  progress();
  const c = buildCorruptCase(sources, k);
  if (c.gzip !== null) counts.gzip++;
  const path = join(dir, `case-${fileNo++ % 4}${c.gzip !== null ? '.gz' : '.txt'}`);
  writeFileSync(path, c.bytes);
  let a;
  try {
    a = (await analyzeFiles([path], { chunkSize: 1 + (c.bytes.length % 4096) })).analysis;
  } catch (e) {
    if (e instanceof ExitlensError) {
      counts.rejected++;
      const why = `${e.name}: ${/\(([^)]*)\)/.exec(e.message)?.[1] ?? e.message.slice(0, 60)}`.replace(/\d+/g, 'N');
      rejectedBy[why] = (rejectedBy[why] ?? 0) + 1;
      if (!(e.message.length > 0 && e.message.includes(path))) throw new Error(`unhelpful error message: ${e.message}`);
      return;
    }
    throw e;
  }
  // A cut or corrupted gzip stream yields an unknown number of lines; plain input must match exactly.
  checkAccounting(a, c.gzip === null || c.gzip === 'whole' ? physicalLines(c.plain) : null);
});

let failure = null;
const half = Math.floor(CASES / 2);
try {
  fc.assert(damageProp, { numRuns: half, seed: SEED, endOnFailure: false });
  await fc.assert(corruptionProp, { numRuns: CASES - half, seed: SEED + 1, endOnFailure: false });
} catch (e) {
  failure = String(e?.message ?? e).slice(0, 20_000);
}
try {
  rmSync(dir, { recursive: true, force: true });
} catch (e) {
  // Still write the summary (an fd leak made this fail once: EMFILE, see FUZZING.md).
  process.stderr.write(`fuzz: could not remove ${dir}: ${e?.message ?? e}\n`);
}

const summary = {
  cases: counts.damage + counts.corruption,
  requested: CASES,
  seed: SEED,
  seconds: Math.round((Date.now() - started) / 1000),
  node: process.version,
  ...counts,
  rejectedBy,
  outcome: failure === null ? 'pass' : 'FAIL',
  failure,
};
const line = JSON.stringify(summary);
if (JSON_OUT !== null) writeFileSync(JSON_OUT, `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`${line}\n`);
process.exit(failure === null ? 0 : 1);
