/**
 * Property-based tests (fast-check) over mutations of the real fixtures (test/property/mutations.mjs, shared with
 * the long campaign `npm run fuzz`, FUZZING.md). A few hundred cases per property keep `npm test` short; the seed
 * is fixed so a failure reproduces, and fast-check prints the shrunk counterexample.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeFiles, analyzeText } from '../../src/analyze.js';
import { ExitlensError } from '../../src/model/errors.js';
import {
  applyDamage,
  buildCorruptCase,
  checkAccounting,
  corruptCaseArb,
  cutColumns,
  damageArb,
  loadSources,
  physicalLines,
  recordsView,
} from './mutations.mjs';

const sources = loadSources();
const damageSources = sources.filter((s) => s.clean || /^(009|019|025|027)/.test(s.name));
const views = damageSources.map((s) => recordsView(analyzeText(s.text).analysis));
const RUNS = Number(process.env.EXITLENS_PROPERTY_RUNS ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'exitlens-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('properties over mutated real fixtures', () => {
  it('repairing a damaged copy (quote, wrap, flowed, QP, prose, mail) finds the records of the original', () => {
    fc.assert(
      fc.property(fc.nat(damageSources.length - 1), damageArb, (k, d) => {
        const text = applyDamage(damageSources[k]!.text, d);
        const a = analyzeText(text).analysis;
        checkAccounting(a, physicalLines(Buffer.from(text, 'utf8')));
        expect(recordsView(a)).toEqual(views[k]);
      }),
      { numRuns: RUNS, seed: 20261121 },
    );
  });

  it('records with cut columns are all still counted, by name', () => {
    const clean = sources.filter((s) => s.clean);
    fc.assert(
      fc.property(fc.nat(clean.length - 1), fc.integer({ min: 0, max: 2 }), (k, level) => {
        const s = clean[k]!;
        const text = cutColumns(s.text, level);
        const a = analyzeText(text).analysis;
        checkAccounting(a, physicalLines(Buffer.from(text, 'utf8')));
        expect(a.input.eventCounts).toEqual(analyzeText(s.text).analysis.input.eventCounts);
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('corrupted bytes (truncation, flips, NUL/CR, dup/delete, reorder, gzip cut): no crash, every line accounted', async () => {
    let rejected = 0;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(corruptCaseArb(sources.length), async (k) => {
        const c = buildCorruptCase(sources, k);
        const path = join(dir, `case-${n++}${c.gzip !== null ? '.gz' : '.txt'}`);
        writeFileSync(path, c.bytes);
        try {
          const { analysis } = await analyzeFiles([path], { chunkSize: 1 + (c.bytes.length % 997) });
          checkAccounting(analysis, c.gzip === null || c.gzip === 'whole' ? physicalLines(c.plain) : null);
        } catch (e) {
          // The only allowed failure: a documented ExitlensError (CLI exit 2) naming the file.
          if (!(e instanceof ExitlensError)) throw e;
          expect(e.message).toContain(path);
          rejected++;
        }
      }),
      { numRuns: RUNS, seed: 424242 },
    );
    // Most corrupted cases are still read (a campaign that only tests rejection would test little).
    expect(rejected).toBeLessThan(RUNS / 2);
  });

  it('results do not depend on chunk boundaries, for damaged text too', () => {
    fc.assert(
      fc.property(fc.nat(damageSources.length - 1), damageArb, fc.integer({ min: 1, max: 64 }), (k, d, chunkSize) => {
        const text = applyDamage(damageSources[k]!.text, d);
        expect(analyzeText(text, { chunkSize }).analysis).toEqual(analyzeText(text).analysis);
      }),
      { numRuns: 100, seed: 99 },
    );
  });
});
