/**
 * `exitlens check` as CI runs it, on the real fixtures: the committed expectation files pass, a regressed baseline
 * fails with the exact lines a user reads, bad files are rejected with line and path, `--update` round-trips,
 * JUnit output validates against the Jenkins xUnit junit-10.xsd, and GitHub Actions gets annotations and a summary.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { validateXML } from 'xmllint-wasm';
import { describe, expect, it } from 'vitest';
import { cli, fixture, ROOT } from '../helpers.js';

const EXPECT_DIR = 'fixtures/expect/';
const REGRESSED = 'test/check/expect/lab-regressed.json';
const XSD = readFileSync(join(ROOT, 'test', 'check', 'junit-10.xsd'), 'utf8');

/** Run the CLI from the repository root (paths in the output are relative to it). */
function check(args: string[], env: Record<string, string> = {}) {
  const prev = process.cwd();
  process.chdir(ROOT);
  try {
    const saved = { ...process.env };
    Object.assign(process.env, { GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' }, env);
    try {
      return cli(['check', ...args]);
    } finally {
      process.env = saved;
    }
  } finally {
    process.chdir(prev);
  }
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'exitlens-check-'));
}

async function validJunit(xml: string) {
  return validateXML({ xml: [{ fileName: 'results.xml', contents: xml }], schema: [XSD] });
}

describe('exitlens check on the committed expectation files', () => {
  it('passes every file in fixtures/expect/ and exits 0', () => {
    const r = check([EXPECT_DIR]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok +fixtures\/expect\/lab-tracefs-user\.json — fixtures\/lab\/tracefs-user-kvm-pvm\.txt\.gz \(\d+ assertions\)$/m);
    expect(r.stdout).toMatch(/^ok +fixtures\/expect\/public-003-aout-trace-pipe\.json/m);
    expect(r.stdout).toMatch(/^ok +fixtures\/expect\/public-020-jailhouse-trace-cmd\.yaml/m);
    expect(r.stdout).toMatch(/^exitlens check: 3 expectation files \(3 passed, 0 failed\); \d+ assertions, 0 failed$/m);
  });

  it('the lab expectation holds the ground-truth mechanism counts and asserts no error diagnostics', () => {
    const e = JSON.parse(readFileSync(fixture('expect', 'lab-tracefs-user.json'), 'utf8'));
    const truth = Object.fromEntries(e.mechanisms.map((m: { mechanism: string; count: number }) => [m.mechanism, m.count]));
    expect(truth).toEqual({ 'pio-vmm': 2025, 'pio-kernel': 1000, 'mmio-vmm': 1000, 'mmio-kernel': 2000, cpuid: 1000 });
    expect(e.input.diagnostics.bySeverity).toMatchObject({ error: 0, dataLoss: 0 });
  });

  it('public excerpts with round trips are covered', () => {
    const j = JSON.parse(readFileSync(fixture('expect', 'public-003-aout-trace-pipe.json'), 'utf8'));
    expect(j.roundTrips.complete).toBe(4);
    expect(readFileSync(fixture('expect', 'public-020-jailhouse-trace-cmd.yaml'), 'utf8')).toMatch(/complete: 1\n/);
  });

  it('expands a quoted glob itself', () => {
    const r = check(['fixtures/expect/*.{json,yaml}']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/3 expectation files \(3 passed/);
    const none = check(['fixtures/expect/*.toml']);
    expect(none.code).toBe(2);
    expect(none.stdout).toMatch(/^ERROR fixtures\/expect\/\*\.toml: no expectation files match$/m);
  });
});

describe('a failing check', () => {
  it('prints one line per failed assertion with observed vs expected and exits 1', () => {
    const r = check([REGRESSED]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'FAIL  test/check/expect/lab-regressed.json — fixtures/lab/tracefs-user-kvm-pvm.txt.gz (5 of 12 assertions failed)',
        '  test/check/expect/lab-regressed.json:5: mode: observed "accesses", expected "round-trips"',
        '  test/check/expect/lab-regressed.json:8: mechanisms[pio-vmm].count: observed 2025, expected 2024',
        '  test/check/expect/lab-regressed.json:9: mechanisms[mmio-vmm].phases.vmm.p99Ns: observed 19000 ns (19.0µs), expected ≤ 15000 ns (15.0µs)',
        '  test/check/expect/lab-regressed.json:10: mechanisms[mmio-kernel].p50Ns: observed none (the trace gives no latency for this row), expected ≤ 5000 ns (5.00µs)',
        '  test/check/expect/lab-regressed.json:14: devices[pio 0x3f8 write].count: observed 0, expected ≥ 1',
        'exitlens check: 1 expectation file (0 passed, 1 failed); 12 assertions, 5 failed',
        '',
      ].join('\n'),
    );
  });

  it('a passing and a failing file together exit 1, and every file is still run', () => {
    const r = check([REGRESSED, 'fixtures/expect/lab-tracefs-user.json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL /m);
    expect(r.stdout).toMatch(/^ok +fixtures\/expect\/lab-tracefs-user\.json/m);
  });

  it('model assertions fail clearly when the analysis has no model comparison', () => {
    const dir = tmp();
    const f = join(dir, 'm.json');
    const trace = relative(dir, fixture('public', '020-kvm-list-2019-jailhouse-nested-loop-trace-cmd.txt'));
    writeFileSync(f, JSON.stringify({ trace, model: { agreement: { spearmanRho: { min: 0.8 } } } }));
    const r = check([f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${f}:1: model: observed no model comparison in the analysis, expected a model comparison (set "options": {"model": …})`);
  });
});

describe('model assertions (analyze --model, passed through "options")', () => {
  const trace003 = (dir: string) => relative(dir, fixture('public', '003-github-kvm-example-aout-trace-pipe.txt'));

  it('fail on the verdict, ratio and agreement the comparison actually produced', () => {
    const dir = tmp();
    const f = join(dir, 'model.json');
    writeFileSync(
      f,
      [
        '{',
        `  "trace": ${JSON.stringify(trace003(dir))},`,
        '  "options": {"model": "haskins-2009"},',
        '  "model": {',
        '    "rows": [{"mechanism": "pio-vmm", "verdict": ["within", "faster"], "ratio": {"max": 2}}],',
        '    "agreement": {"spearmanRho": {"min": 0.5}}',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const r = check([f]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith(`  ${f}`));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^  ${f}:5: model\\.rows\\[pio-vmm\\]\\.ratio: observed [\\d.]+, expected ≤ 2$`));
    expect(lines[1]).toBe(`  ${f}:5: model.rows[pio-vmm].verdict: observed "too-few-samples", expected "within" or "faster"`);
    expect(lines[2]).toBe(`  ${f}:6: model.agreement.spearmanRho: observed none (too few judged mechanisms), expected ≥ 0.5`);
  });

  it('--update writes each row verdict and ratio bounds, and the result passes', () => {
    const dir = tmp();
    const f = join(dir, 'model.json');
    writeFileSync(f, JSON.stringify({ trace: trace003(dir), options: { model: 'haskins-2009' } }));
    expect(check(['--update', f]).code).toBe(0);
    const e = JSON.parse(readFileSync(f, 'utf8'));
    const pio = e.model.rows.find((x: { mechanism: string }) => x.mechanism === 'pio-vmm');
    expect(pio.verdict).toBe('too-few-samples');
    expect(pio.ratio.min).toBeLessThan(pio.ratio.max);
    expect(e.model.agreement).toEqual({ compared: 0 });
    expect(check([f]).code).toBe(0);
  });
});

describe('unusable input exits 2 with file, line and path', () => {
  it('reports every schema error of a YAML file at its line', () => {
    const dir = tmp();
    const f = join(dir, 'bad.yaml');
    writeFileSync(
      f,
      [
        'trace: t.txt',
        'mechanisms:',
        '  - mechanism: pio-vmm',
        '    cuont: 3',
        '  - mechanism: pio-fast',
        '    count: {minimum: 2}',
        'vcpus:',
        '  - count: 1',
        '',
      ].join('\n'),
    );
    const r = check([f]);
    expect(r.code).toBe(2);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`ERROR ${f}`);
    expect(lines[1]).toMatch(new RegExp(`^  ${f}:4: /mechanisms/0: unknown key "cuont" \\(allowed here: mechanism, evidence, count,`));
    expect(lines[2]).toMatch(new RegExp(`^  ${f}:5: /mechanisms/1/mechanism: must be one of "hypercall-kernel", .*; got "pio-fast"$`));
    expect(lines[3]).toBe(`  ${f}:6: /mechanisms/1/count: must be a number (exact) or {"min": N, "max": N} (inclusive; either may be left out); got {"minimum":2}`);
    expect(lines[4]).toBe(`  ${f}:8: /vcpus/0: must be a vCPU row picked by "thread", "tid" or "vcpu" (give at least one); got {"count":1}`);
  });

  it('reports JSON syntax errors, a missing trace and a missing file', () => {
    const dir = tmp();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"trace": "x",\n "mechanisms": [,]}\n');
    const missingTrace = join(dir, 'missing-trace.json');
    writeFileSync(missingTrace, '{\n  "trace": "no-such-trace.txt"\n}\n');
    const r = check([bad, missingTrace, join(dir, 'absent.json')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(new RegExp(`^  ${bad}:2: not valid JSON: `, 'm'));
    expect(r.stdout).toContain(`  ${missingTrace}:2: cannot analyze the trace: ${join(dir, 'no-such-trace.txt')}: cannot open: ENOENT`);
    expect(r.stdout).toContain(`  ${join(dir, 'absent.json')}: cannot read the expectation file: ENOENT`);
    expect(r.stdout).toMatch(/3 expectation files \(0 passed, 0 failed, 3 unusable\)/);
  });
});

describe('check --update', () => {
  it('fills {"trace": …} with the observed values, counts exact, and the result passes; a changed count then fails', () => {
    const dir = tmp();
    const f = join(dir, 'lab.json');
    writeFileSync(f, JSON.stringify({ trace: relative(dir, fixture('lab', 'tracefs-user-kvm-pvm.txt.gz')) }));
    const u = check(['--update', f]);
    expect(u.code).toBe(0);
    expect(u.stdout).toMatch(/\(updated, \d+ assertions\)/);
    const text = readFileSync(f, 'utf8');
    expect(text).toMatch(/"mechanism": "pio-vmm",\s+"count": 2025,/);
    const e = JSON.parse(text);
    expect(e.mechanisms.map((m: { mechanism: string; count: number }) => `${m.mechanism} ${m.count}`)).toEqual([
      'pio-vmm 2025',
      'mmio-kernel 2000',
      'cpuid 1000',
      'mmio-vmm 1000',
      'pio-kernel 1000',
    ]);
    // Latency bounds carry the tolerance (±25 % and one 1 µs quantum) around the observed VMM-phase median (11 µs).
    const pio = e.mechanisms[0];
    expect(pio.phases.vmm.p50Ns).toEqual({ min: 7250, max: 14750 });
    expect(check([f]).code).toBe(0);
    // A reviewer's baseline that no longer holds fails on exactly that value.
    writeFileSync(f, text.replace('"count": 2025', '"count": 2026'));
    const r = check([f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/mechanisms\[pio-vmm\]\.count: observed 2025, expected 2026/);
    expect(r.stdout).toMatch(/1 failed$/m);
  });

  it('--tolerance sets the generated bounds; YAML stays YAML with its comments', () => {
    const dir = tmp();
    const f = join(dir, 'jh.yaml');
    writeFileSync(f, `# keep me\ntrace: ${relative(dir, fixture('public', '020-kvm-list-2019-jailhouse-nested-loop-trace-cmd.txt'))}\n`);
    expect(check(['--update', '--tolerance', '0.1', f]).code).toBe(0);
    const y = readFileSync(f, 'utf8');
    expect(y.startsWith('# keep me\n')).toBe(true);
    expect(y).toMatch(/^tolerance: 0\.1$/m);
    // pio-vmm round trip of 55 µs: 55000 × (1 ± 0.1) ± 1000.
    expect(y).toMatch(/- mechanism: pio-vmm\n {4}count: 1\n {4}p50Ns: \{min: 48500, max: 61500\}/);
    expect(check([f]).code).toBe(0);
    expect(check(['--tolerance', '0.1', f]).code).toBe(2);
  });
});

describe('JUnit XML', () => {
  it('validates against junit-10.xsd for passing, failing and unusable files', async () => {
    const dir = tmp();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"trace": 5}');
    const out = join(dir, 'results.xml');
    const r = check(['--junit', out, EXPECT_DIR, REGRESSED, bad]);
    expect(r.code).toBe(2);
    const xml = readFileSync(out, 'utf8');
    const v = await validJunit(xml);
    expect(v.errors).toEqual([]);
    expect(v.valid).toBe(true);
    expect(xml).toMatch(/<testsuites name="exitlens check" tests="\d+" failures="5" errors="1" time="[\d.]+">/);
    expect(xml).toContain(
      '<failure message="observed 2025, expected 2024" type="assertion">test/check/expect/lab-regressed.json:8: mechanisms[pio-vmm].count: observed 2025, expected 2024</failure>',
    );
    expect(xml).toMatch(/<testcase name="load" classname="[^"]*bad\.json" time="[\d.]+">\n\s+<error message="\/trace: must be a trace file path/);
  });

  it('the validator rejects a document that breaks the schema (the test can fail)', async () => {
    const v = await validJunit('<?xml version="1.0"?>\n<testsuites><testsuite name="x"><testcase/></testsuite></testsuites>\n');
    expect(v.valid).toBe(false);
    expect(v.errors.map((e) => e.message).join('\n')).toMatch(/attribute 'tests' is required|attribute 'name' is required/);
  });
});

describe('GitHub Actions', () => {
  it('prints failures as annotations on the expectation file and line, and writes a step summary', () => {
    const dir = tmp();
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '');
    const r = check([REGRESSED, 'fixtures/expect/lab-tracefs-user.json'], { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: ROOT });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '::error file=test/check/expect/lab-regressed.json,line=8,title=exitlens check%3A mechanisms[pio-vmm].count::observed 2025, expected 2024',
    );
    expect(r.stdout.match(/^::error /gm)).toHaveLength(5);
    const md = readFileSync(summary, 'utf8');
    expect(md).toMatch(/^### exitlens check: 1 of 2 expectation files passed$/m);
    expect(md).toMatch(/^\| ❌ \| `test\/check\/expect\/lab-regressed\.json` \| fixtures\/lab\/tracefs-user-kvm-pvm\.txt\.gz \| 12 \| 5 \|$/m);
    expect(md).toMatch(/^\| `test\/check\/expect\/lab-regressed\.json:8` \| `mechanisms\[pio-vmm\]\.count` \| 2025 \| 2024 \|$/m);
  });

  it('prints nothing GitHub-specific outside Actions', () => {
    expect(check([REGRESSED]).stdout).not.toMatch(/::error/);
  });
});
