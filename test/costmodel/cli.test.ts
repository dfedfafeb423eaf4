/**
 * The cost model from the command line as a user runs it (built dist/, `npm test` builds first):
 * `model list/show/fit`, `analyze --model/--no-model/--transition-ns`, errors with file:line and exit code 2.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fixture } from '../helpers.js';
import { componentTrace } from './component-trace.js';

const tmp = mkdtempSync(join(tmpdir(), 'exitlens-model-'));
const p003 = fixture('public', '003-github-kvm-example-aout-trace-pipe.txt');
const narrow = (s: string) => s.split('\n').every((l) => l.length <= 100);
/** The report's cost-model section (up to the next blank line). */
const modelSection = (s: string) => s.slice(s.indexOf('Cost model')).split('\n\n')[0]!;

describe('exitlens model list / show', () => {
  it('list prints the built-in models with their sources and the default', () => {
    const r = cli(['model', 'list']);
    expect(r.code).toBe(0);
    for (const name of ['haskins-2009', 'oskolkov-2022', 'pci-testdev-2013']) expect(r.stdout).toMatch(new RegExp(`^${name}\\s+\\d`, 'm'));
    expect(r.stdout).toMatch(/G\. Haskins, "kvm: add iofd support" v7\.2, kvm list, 2009-05-12/);
    expect(r.stdout).toMatch(/QEMU commit 22773d6066/);
    expect(r.stdout).toMatch(/Default for analyze: haskins-2009/);
    expect(narrow(r.stdout)).toBe(true);
  });

  it('show prints values in both bases, what was extrapolated or assumed, and the transition with its source', () => {
    const h = cli(['model', 'show', 'haskins-2009']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^pio-vmm\s+6\.53 µs\s+guest-rtt\s+6\.53µs\s+5\.85µs\s+±25% \[\d\]/m);
    expect(h.stdout).toMatch(/extrapolated by the authors/);
    expect(h.stdout).toMatch(/683ns — default: SplitX \(WIOV\s+2011\)/);
    const t = cli(['model', 'show', 'pci-testdev-2013', '--transition-ns', '300']);
    expect(t.stdout).toMatch(/^pio-kernel\s+1762 cycles@3GHz\s+guest-rtt\s+587ns\s+287ns/m);
    expect(t.stdout).toMatch(/clock assumed/);
    expect(t.stdout).toMatch(/300ns — --transition-ns/);
    expect(narrow(h.stdout) && narrow(t.stdout)).toBe(true);
  });

  it('show reads model files too, and --json prints a loadable model file', () => {
    const r = cli(['model', 'show', fixture('models', 'lab-kvm-pvm-guest-cycles.csv')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pio-vmm\s+79698 cycles@2\.445424GHz\s+guest-rtt\s+32\.6µs\s+31\.9µs/m);
    const j = cli(['model', 'show', '--json', 'oskolkov-2022']);
    const file = join(tmp, 'osk.json');
    writeFileSync(file, j.stdout);
    expect(JSON.parse(j.stdout).schema).toBe('exitlens/model@1');
    expect(cli(['model', 'show', file]).stdout).toMatch(/^hypercall-vmm\s+2\.5 µs/m);
  });

  it('unknown names and broken files exit 2 with file:line', () => {
    const u = cli(['model', 'show', 'haskins']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/unknown model "haskins": not a built-in/);
    const bad = join(tmp, 'bad.csv');
    writeFileSync(bad, '# name: bad\nmechanism,value,unit,basis\npio-vmm,6.5,us,host\nmmio-vmm,9,seconds,host\n');
    const b = cli(['analyze', '--model', bad, p003]);
    expect(b.code).toBe(2);
    expect(b.stderr).toBe(`exitlens: ${bad}:4: unit must be ns, us or cycles; got "seconds"\n`);
    expect(b.stdout).toBe('');
  });
});

describe('exitlens analyze with a model', () => {
  it('compares with the default model in the terminal (≤100 columns) and in JSON; --no-model leaves it out', () => {
    const t = cli(['analyze', p003]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/Cost model haskins-2009/);
    expect(t.stdout).toMatch(/^pio-vmm\s+2\s+32\.0µs\s+\[28\.0µs, 36\.0µs\]\s+32\.0µs\s+5\.85µs\*\s+5\.47× too few \(<10\)/m);
    expect(t.stdout).toMatch(/pio-vmm → pio-kernel\s+2 × \(32\.0µs − 2\.04µs model\) = 59\.9µs/);
    expect(modelSection(t.stdout).split('\n').length).toBeGreaterThan(8);
    expect(narrow(modelSection(t.stdout))).toBe(true);
    const j = JSON.parse(cli(['analyze', '--json', p003]).stdout);
    expect(j.model.model.name).toBe('haskins-2009');
    expect(j.model.rows.find((r: { mechanism: string }) => r.mechanism === 'pio-vmm')).toMatchObject({ ratio: 5.472892, verdict: 'too-few-samples' });
    const again = JSON.parse(cli(['analyze', '--json', p003]).stdout);
    expect(again.model).toEqual(j.model);
    expect(JSON.parse(cli(['analyze', '--json', '--no-model', p003]).stdout).model).toBeUndefined();
    expect(cli(['analyze', '--no-model', p003]).stdout).not.toMatch(/Cost model/);
  });

  it('--transition-ns changes the conversion and is stated', () => {
    const j = JSON.parse(cli(['analyze', '--json', '--transition-ns', '1000', p003]).stdout);
    expect(j.model).toMatchObject({ transitionNs: 1000, transitionSource: '--transition-ns' });
    expect(j.model.rows.find((r: { mechanism: string }) => r.mechanism === 'pio-vmm').modelNs).toBe(5530);
    expect(cli(['analyze', '--transition-ns', '-5', p003]).code).toBe(2);
  });
});

describe('exitlens model fit', () => {
  it('fits a trace from stdin, writes a model file, and analyze --model uses it', () => {
    const trace = componentTrace({ kernel: 1500, decode: 700, userspace: 12000 }, ['pio-kernel', 'mmio-kernel', 'pio-vmm', 'mmio-vmm'], 60);
    const out = join(tmp, 'myhost.json');
    const r = cli(['model', 'fit', '-o', out], trace);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kernel handling\s+1\.50µs\s+\[/m);
    expect(r.stdout).toMatch(/^instruction decode \(MMIO\)\s+(69\d|70\d)ns\s+\[/m);
    expect(r.stdout).toMatch(/^userspace hop \(to the VMM\)\s+12\.0µs\s+\[/m);
    expect(r.stdout).toMatch(/Wrote .*myhost\.json: 7 mechanisms, host basis \(3 predicted from the components\)/);
    expect(narrow(r.stdout.split('\nWrote')[0]!)).toBe(true);
    const model = JSON.parse(readFileSync(out, 'utf8'));
    expect(model).toMatchObject({ schema: 'exitlens/model@1', name: 'myhost' });
    const tracePath = join(tmp, 'calib.txt');
    writeFileSync(tracePath, trace);
    const a = JSON.parse(cli(['analyze', '--json', '--model', out, tracePath]).stdout);
    expect(a.model.model).toMatchObject({ name: 'myhost', file: out });
    expect(a.model.rows.filter((x: { samples: number }) => x.samples > 0).map((x: { verdict: string }) => x.verdict)).toEqual([
      'within',
      'within',
      'within',
      'within',
    ]);
    const csvOut = join(tmp, 'myhost.csv');
    expect(cli(['model', 'fit', '-o', csvOut, tracePath]).code).toBe(0);
    expect(readFileSync(csvOut, 'utf8')).toMatch(/^mechanism,value,unit,basis,tolerance,source,extrapolated,ghz,note$/m);
    expect(cli(['analyze', '--model', csvOut, tracePath]).code).toBe(0);
  });

  it('a trace with nothing to fit exits 2 and says what to record', () => {
    const r = cli(['model', 'fit', fixture('lab', 'tracefs-user-kvm-pvm.txt.gz')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nothing to fit: .*record kvm:kvm_exit, kvm:kvm_entry/);
  });
});
