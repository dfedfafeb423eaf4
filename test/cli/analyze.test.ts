/** The CLI as a user runs it: exit codes, stdin, gzip, JSON schema, help. Runs the built dist/ (npm test builds). */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cli, fixture } from '../helpers.js';

const lab = fixture('lab', 'tracefs-user-kvm-pvm.txt.gz');

describe('exitlens analyze', () => {
  it('prints the report for a real trace and exits 0', () => {
    const r = cli(['analyze', lab]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pio-vmm\s+2025/);
    expect(r.stdout).toMatch(/Diagnostics: 0 error/);
    expect(r.stdout.split('\n').every((l) => l.length <= 100)).toBe(true);
  });

  it('--json follows the versioned schema', () => {
    const r = cli(['analyze', '--json', fixture('public', '020-kvm-list-2019-jailhouse-nested-loop-trace-cmd.txt')]);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(a.schema).toBe('exitlens/analysis@1');
    expect(a.input).toMatchObject({ format: 'trace-cmd', timestampResolutionNs: 1000 });
    for (const k of ['lines', 'events', 'eventCounts', 'diagnostics']) expect(a.input).toHaveProperty(k);
    for (const k of ['complete', 'orphanExits', 'orphanEntries', 'negative', 'discardedLost']) expect(a.roundTrips).toHaveProperty(k);
    const row = a.mechanisms[0];
    expect(row).toMatchObject({ mechanism: 'pio-vmm', count: 1, share: 1, minNs: 55000, p50Ns: 55000, maxNs: 55000 });
    for (const k of ['totalNs', 'meanNs', 'stddevNs', 'p90Ns', 'p99Ns', 'p999Ns']) expect(row).toHaveProperty(k);
    expect(a.exitReasons[0]).toMatchObject({ isa: 'vmx', reason: 'IO_INSTRUCTION' });
    expect(a.devices[0]).toMatchObject({ space: 'pio', addressHex: '0x5658', name: expect.stringMatching(/VMware/i) });
  });

  it('reads stdin (no file or -) and gzip from stdin', () => {
    const text = readFileSync(fixture('public', '003-github-kvm-example-aout-trace-pipe.txt'));
    const a = JSON.parse(cli(['analyze', '--json'], text).stdout);
    const b = JSON.parse(cli(['analyze', '-', '--json'], gzipSync(text)).stdout);
    expect(a.mechanisms).toEqual(b.mechanisms);
    expect(a.input.files).toEqual(['<stdin>']);
  });

  it('--csv prints one table', () => {
    const r = cli(['analyze', '--csv', 'mechanisms', lab]);
    expect(r.stdout.split('\n')[0]).toBe('mechanism,communication,count,share,timeShare,totalNs,meanNs,stddevNs,minNs,p50Ns,p90Ns,p99Ns,p999Ns,maxNs');
    expect(r.stdout).toMatch(/^pio-vmm,true,2025,/m);
  });

  it('exit 2 with a clear message for missing files, binary and non-trace input', () => {
    const missing = cli(['analyze', '/nonexistent/trace.txt']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nonexistent\/trace\.txt: cannot open: ENOENT/);
    const bin = cli(['analyze', '-'], Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3]));
    expect(bin.code).toBe(2);
    expect(bin.stderr).toMatch(/binary data/);
    const json = cli(['analyze', '-'], '{"traceEvents": []}\n');
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/not a KVM trace exitlens can read.*Expected text from trace-cmd report/);
    const empty = cli(['analyze', '-'], '');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/empty/);
  });

  it('--strict exits 1 when an error-level diagnostic was recorded, 0 otherwise', () => {
    const bad = ' qemu-1 [000] 1.000000: kvm_exit: reason\n qemu-1 [000] 1.000002: kvm_entry: vcpu 0\n';
    expect(cli(['analyze', '--strict', '-'], `cpus=1\n${bad}`).code).toBe(1);
    expect(cli(['analyze', '-'], `cpus=1\n${bad}`).code).toBe(0);
    expect(cli(['analyze', '--strict', lab]).code).toBe(0);
  });

  it('usage errors exit 2', () => {
    expect(cli(['analyze', '--format', 'nope', lab]).code).toBe(2);
    expect(cli(['frobnicate']).code).toBe(2);
    expect(cli(['analyze', '--since', 'yesterday', lab]).code).toBe(2);
    // An option without its value is yargs' own parse error (a YError), not an internal error with a stack trace.
    const noValue = cli(['analyze', lab, '--html']);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toBe('exitlens: Not enough arguments following: html\nRun "exitlens --help" for usage.\n');
  });

  it('--help documents every command', () => {
    const h = cli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/analyze/);
    expect(cli(['analyze', '--help']).stdout).toMatch(/--strict/);
    expect(cli(['export', '--help']).stdout).toMatch(/--jsonl/);
  });

  it('filters: --pid, --vcpu, --since/--until', () => {
    const f = fixture('public', '019-kvm-list-2023-ept-violation-deadlock-flowed.txt');
    const all = JSON.parse(cli(['analyze', '--json', f]).stdout);
    const one = JSON.parse(cli(['analyze', '--json', '--pid', '353246', f]).stdout);
    expect(one.roundTrips.classified).toBeLessThan(all.roundTrips.classified);
    expect(one.vcpus.map((v: { tid: number }) => v.tid)).toEqual([353246]);
    const win = JSON.parse(cli(['analyze', '--json', '--until', '5473778.770321', f]).stdout);
    expect(win.roundTrips.filtered).toBeGreaterThan(0);
  });
});

describe('exitlens export', () => {
  it('writes one CSV row per classified round trip', () => {
    const r = cli(['export', fixture('public', '003-github-kvm-example-aout-trace-pipe.txt')]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^thread,tid,vcpu,file,line,ts_ns,class/);
    expect(rows.slice(1).map((l) => l.split(',')[6])).toEqual(['page-fault', 'page-fault', 'pio-vmm', 'pio-vmm']);
    const j = cli(['export', '--jsonl', fixture('public', '003-github-kvm-example-aout-trace-pipe.txt')]);
    expect(j.stdout.trim().split('\n').map((l) => JSON.parse(l).dur_ns)).toEqual([12000, 10000, 35000, 29000]);
  });
});

describe('--threads', () => {
  it('takes a whole number ≥ 1; 1 is the single pass and prints what the default prints', () => {
    const bad = cli(['analyze', '--threads', '0', lab]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--threads takes a whole number/);
    const one = cli(['analyze', '--json', '--threads', '1', lab]);
    const dflt = cli(['analyze', '--json', lab]);
    expect(one.code).toBe(0);
    expect(one.stdout).toBe(dflt.stdout);
  });
});

describe('terminal width', () => {
  it('every report line fits in 100 columns on traces with diagnostics and a model section', () => {
    for (const f of ['003-github-kvm-example-aout-trace-pipe.txt', '019-kvm-list-2023-ept-violation-deadlock-flowed.txt', '027-kvm-list-2023-arm64-nv-kvm-exit-hsr-ec-wrapped.txt']) {
      const r = cli(['analyze', fixture('public', f)]);
      expect(r.code).toBe(0);
      const long = r.stdout.split('\n').filter((l) => [...l].length > 100);
      expect(long, f).toEqual([]);
    }
  });

  it('a long input path is cut from the left, keeping the file name', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'exitlens-')), 'a-directory-name-long-enough-to-push-the-title-line-of-the-report-past-one-hundred-columns');
    mkdirSync(dir);
    const f = join(dir, '003.txt');
    copyFileSync(fixture('public', '003-github-kvm-example-aout-trace-pipe.txt'), f);
    const r = cli(['analyze', f]);
    expect(r.code).toBe(0);
    const title = r.stdout.split('\n')[0] ?? '';
    expect([...title].length).toBeLessThanOrEqual(100);
    expect(title).toMatch(/^exitlens \S+ — ….*past-one-hundred-columns\/003\.txt$/);
  });
});
