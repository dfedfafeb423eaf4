/**
 * `exitlens diff` on real traces: two windows of the lab capture (in the repository), two captures of the large
 * Intel collection (02 vs 04, ../shared, skipped when absent), saved JSON analyses as inputs, the CI gate, and
 * that noise is not called a regression: one real trace's round trips dealt alternately into two halves.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../src/analyze.js';
import { diffAnalyses, type DiffResult } from '../../src/diff/compare.js';
import type { Analysis, MechanismRow } from '../../src/model/analysis.js';
import type { ClassName } from '../../src/model/classes.js';
import { StatAccumulator } from '../../src/stats/accumulator.js';
import { cli, fixture, HAS_SHARED_LARGE, sharedLarge } from '../helpers.js';

const LAB = fixture('lab', 'tracefs-user-kvm-pvm.txt.gz');
/** Midpoint of the lab workload's accesses (2858.169378 … 2858.296495 s); µs timestamps never fall on it. */
const LAB_MID = '2858.2329';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'exitlens-diff-'));
}

function saveAnalysis(dir: string, name: string, args: string[]): string {
  const r = cli(['analyze', '--json', ...args]);
  expect(r.code).toBe(0);
  const p = join(dir, name);
  writeFileSync(p, r.stdout);
  return p;
}

function byKey(rows: DiffResult['mechanisms']) {
  return Object.fromEntries(rows.map((r) => [r.key, r]));
}

describe('diff of two windows of the lab capture (saved analyses)', () => {
  it('counts per mechanism add up to the ground truth; access-mode rows have no latency to test', () => {
    const dir = tmp();
    const first = saveAnalysis(dir, 'first.json', ['--until', LAB_MID, LAB]);
    const second = saveAnalysis(dir, 'second.json', ['--since', LAB_MID, LAB]);
    const r = cli(['diff', '--json', '--fail-on-regression', '0', first, second]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as DiffResult;
    expect(d.schema).toBe('exitlens/diff@1');
    expect(d.before.source).toBe('saved');
    const m = byKey(d.mechanisms);
    const total = (k: string) => (m[k]?.before?.count ?? 0) + (m[k]?.after?.count ?? 0);
    expect({ pv: total('pio-vmm'), pk: total('pio-kernel'), mv: total('mmio-vmm'), mk: total('mmio-kernel'), c: total('cpuid') }).toEqual({
      pv: 2025,
      pk: 1000,
      mv: 1000,
      mk: 2000,
      c: 1000,
    });
    // The workload's phases are sequential: in-kernel port I/O only in the first window, in-kernel MMIO and CPUID
    // only in the second.
    expect(m['pio-kernel']?.verdict).toBe('only-before');
    expect(m['mmio-kernel']?.verdict).toBe('only-after');
    expect(m['pio-vmm']?.verdict).toBe('no-latency');
    expect(d.regressions).toEqual([]);
    // Rates are per second of each analyzed window.
    expect(d.before.windowSec).toBeCloseTo(2858.2329 - 2858.168057, 6);
    expect(m['pio-vmm']?.before?.ratePerSec).toBeCloseTo((m['pio-vmm']?.before?.count ?? 0) / d.before.windowSec!, 6);
  });

  it('terminal output names both inputs and says there is no latency to compare', () => {
    const r = cli(['diff', '--until', LAB_MID, LAB, LAB]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^before: .*tracefs-user-kvm-pvm\.txt\.gz \(trace · 2748 accesses \(no kvm_exit\/kvm_entry: no latency\)/m);
    expect(r.stdout).toMatch(/^pio-vmm +1007→1007 +±0\.0% +- +- +- +- +no-latency$/m);
    expect(r.stdout).toMatch(/^No significant latency change\.$/m);
  });
});

describe('diff errors', () => {
  it('exit 2 for a missing input and for filters on a saved analysis', () => {
    const dir = tmp();
    const saved = saveAnalysis(dir, 'a.json', [fixture('public', '003-github-kvm-example-aout-trace-pipe.txt')]);
    const missing = cli(['diff', saved, join(dir, 'nope.txt')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.txt: cannot open: ENOENT/);
    const filtered = cli(['diff', '--vcpu', '0', saved, saved]);
    expect(filtered.code).toBe(2);
    expect(filtered.stderr).toMatch(/is a saved analysis; analysis options .* apply to traces only/);
    writeFileSync(join(dir, 'other.json'), '{"schema": "something-else"}');
    const other = cli(['diff', saved, join(dir, 'other.json')]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/JSON but not an exitlens analysis/);
  });
});

describe.skipIf(!HAS_SHARED_LARGE)('diff of two real Intel captures (../shared large 02 vs 04)', () => {
  const before = sharedLarge('02-hip24-thesis-host-2vms-23k.report-derived.txt');
  const after = sharedLarge('04-hip24-thesis-host-2vms-6k.report-derived.txt');

  it('reports count, rate, median and p99 changes with a test, and gates on significant slowdowns', async () => {
    const r = cli(['diff', '--json', before, after]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as DiffResult;
    const [a, b] = await Promise.all([analyzeFiles([before]), analyzeFiles([after])]);
    const m = byKey(d.mechanisms);
    // Counts and medians are the analyses' own.
    for (const row of a.analysis.mechanisms) {
      expect(m[row.mechanism]?.before?.count).toBe(row.count);
      expect(m[row.mechanism]?.before?.p50Ns).toBe(row.p50Ns);
    }
    for (const row of b.analysis.mechanisms) expect(m[row.mechanism]?.after?.count).toBe(row.count);
    // hlt: median 459 µs → 944 µs, thousands of samples a side: significant and slower.
    const hlt = m.hlt!;
    expect(hlt.before?.p50Ns).toBe(459000);
    expect(hlt.after?.p50Ns).toBe(944000);
    expect(hlt.p50ChangePct).toBeCloseTo(((944000 - 459000) / 459000) * 100, 6);
    expect(hlt.test?.pAdjusted).toBeLessThan(0.05);
    expect(hlt.verdict).toBe('slower');
    expect(hlt.medianDiffCi95Ns![0]).toBeGreaterThan(0);
    // Rows with too few samples are reported, not judged.
    expect(m.pause?.verdict).toBe('too-few-samples');
    expect(m['pio-unknown']?.verdict).toBe('only-before');

    const gate = cli(['diff', '--fail-on-regression', '10', before, after]);
    expect(gate.code).toBe(1);
    expect(gate.stdout).toMatch(/^hlt +7574→1663 .* REGRESSION$/m);
    expect(gate.stdout).toMatch(/^\d+ regressions? beyond 10%: mechanism hlt, exit reason vmx HLT$/m);
    // hlt's median grew by 106 %: a 200 % threshold lets it pass.
    expect(cli(['diff', '--fail-on-regression', '200', before, after]).code).toBe(0);
  });

  it('a saved analysis compares exactly as the trace it came from', () => {
    const dir = tmp();
    const saved = saveAnalysis(dir, 'before.json', [before]);
    const fromSaved = JSON.parse(cli(['diff', '--json', saved, after]).stdout) as DiffResult;
    const fromTrace = JSON.parse(cli(['diff', '--json', before, after]).stdout) as DiffResult;
    expect(fromSaved.mechanisms).toEqual(fromTrace.mechanisms);
    expect(fromSaved.exitReasons).toEqual(fromTrace.exitReasons);
  });

  it('noise is not a regression: one trace dealt alternately into two halves shows no significant change', async () => {
    const full = await analyzeFiles([before]);
    const halves = [new Map<ClassName, StatAccumulator>(), new Map<ClassName, StatAccumulator>()];
    const counts = [new Map<ClassName, number>(), new Map<ClassName, number>()];
    let i = 0;
    const q = full.analysis.input.timestampResolutionNs ?? 1;
    await analyzeFiles([before], {
      onUnit: (u) => {
        const side = i++ % 2;
        counts[side]!.set(u.cls, (counts[side]!.get(u.cls) ?? 0) + 1);
        if (u.durNs === null) return;
        let acc = halves[side]!.get(u.cls);
        if (acc === undefined) halves[side]!.set(u.cls, (acc = new StatAccumulator(q, true)));
        acc.add(u.durNs);
      },
    });
    const half = (side: number): Analysis => ({
      ...full.analysis,
      exitReasons: [],
      mechanisms: [...counts[side]!.entries()].map(([cls, count]): MechanismRow => {
        const acc = halves[side]!.get(cls);
        const s = acc?.stats() ?? null;
        const template = full.analysis.mechanisms.find((m) => m.mechanism === cls);
        return {
          ...template!,
          count,
          meanNs: s?.meanNs ?? null,
          p50Ns: s?.p50Ns ?? null,
          p99Ns: s?.p99Ns ?? null,
          histogram: acc?.histogram() ?? [],
        };
      }),
    });
    const d = diffAnalyses({ analysis: half(0), source: 'trace', files: ['even'] }, { analysis: half(1), source: 'trace', files: ['odd'] }, { thresholdPct: 0 });
    const tested = d.mechanisms.filter((r) => r.test !== null);
    expect(tested.length).toBeGreaterThanOrEqual(5);
    for (const r of tested) expect([r.key, r.verdict]).toEqual([r.key, 'no-change']);
    expect(d.regressions).toEqual([]);
  });
});
