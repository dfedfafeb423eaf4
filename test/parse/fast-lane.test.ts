/**
 * The byte-level fast lane must give exactly the analysis the text path gives: on every fixture, on a generated
 * trace in each layout, and on the large real captures when ../shared is present.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeFiles, analyzeText } from '../../src/analyze.js';
import { fixture, HAS_SHARED_LARGE, ROOT, sharedLarge } from '../helpers.js';

const textOf = (f: string) => (f.endsWith('.gz') ? gunzipSync(readFileSync(f)).toString('utf8') : readFileSync(f, 'utf8'));

describe('fast lane ≡ text path', () => {
  const files = [...readdirSync(fixture('public')).map((f) => fixture('public', f)), fixture('lab', 'tracefs-user-kvm-pvm.txt.gz')];
  it.each(files)('%s', (f) => {
    const t = textOf(f);
    expect(analyzeText(t, { fastLane: true }).analysis).toEqual(analyzeText(t, { fastLane: false }).analysis);
  });

  const dir = mkdtempSync(join(tmpdir(), 'exitlens-fast-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it.each(['trace-cmd', 'ftrace', 'perf-script'])('generated %s trace', async (format) => {
    const out = join(dir, `${format}.txt`);
    execFileSync(process.execPath, [join(ROOT, 'bench', 'generate.mjs'), '--lines', '30000', '--format', format, '--out', out]);
    const fast = (await analyzeFiles([out], { chunkSize: 4099 })).analysis;
    const slow = (await analyzeFiles([out], { fastLane: false })).analysis;
    expect(fast).toEqual(slow);
    expect(fast.input.format).toBe(format);
    expect(fast.roundTrips.complete).toBeGreaterThan(9000);
  });

  it.skipIf(!HAS_SHARED_LARGE)('large real captures', async () => {
    for (const n of ['02-hip24-thesis-host-2vms-23k.report-derived.txt', '05-hip24-thesis-host-report-all-events.txt']) {
      const f = sharedLarge(n);
      expect((await analyzeFiles([f])).analysis, n).toEqual((await analyzeFiles([f], { fastLane: false })).analysis);
    }
  });
});
