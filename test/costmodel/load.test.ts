/**
 * Model files and built-in models: CSV and JSON read the same way, every error says file:line, units convert
 * (cycles with a clock rate), and the lab's guest-measured model file is exactly what its truth file says.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS, DEFAULT_MODEL, DEFAULT_TRANSITION, builtinModel } from '../../src/costmodel/builtin.js';
import { convertBasis, rowNs, unitToNs } from '../../src/costmodel/convert.js';
import { loadModel, parseModelCsv, parseModelJson, parseModelText, serializeModelJson } from '../../src/costmodel/load.js';
import { FileFormatError, UsageError } from '../../src/model/errors.js';
import { fixture } from '../helpers.js';

const CSV_HEAD = 'mechanism,value,unit,basis,tolerance,source';

function csvError(text: string): string {
  try {
    parseModelCsv(text, 'my-host.csv');
  } catch (e) {
    expect(e).toBeInstanceOf(FileFormatError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

function jsonError(text: string): string {
  try {
    parseModelJson(text, 'my-host.json');
  } catch (e) {
    expect(e).toBeInstanceOf(FileFormatError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('model file errors name the file and line', () => {
  it('CSV: unknown mechanism, unit, basis, tolerance, on the line of the row', () => {
    const rows = ['# name: my-host', CSV_HEAD, 'pio-kernel,2.7,us,guest-rtt,0.2,', ''];
    expect(csvError([...rows.slice(0, 3), 'pio-vm,6.5,us,guest-rtt,0.2,'].join('\n'))).toMatch(
      /^my-host\.csv:4: unknown mechanism "pio-vm" \(one of: hypercall-kernel, /,
    );
    expect(csvError([...rows.slice(0, 3), '', 'pio-vmm,6.5,ms,guest-rtt,0.2,'].join('\n'))).toBe(
      'my-host.csv:5: unit must be ns, us or cycles; got "ms"',
    );
    expect(csvError([...rows.slice(0, 3), 'pio-vmm,6.5,us,guest,0.2,'].join('\n'))).toMatch(/^my-host\.csv:4: basis must be guest-rtt or host/);
    expect(csvError([...rows.slice(0, 3), 'pio-vmm,6.5,us,host,lots,'].join('\n'))).toMatch(/^my-host\.csv:4: tolerance must be/);
    expect(csvError([...rows.slice(0, 3), 'pio-vmm,-1,us,host,0.2,'].join('\n'))).toMatch(/^my-host\.csv:4: value must be a positive number/);
  });

  it('CSV: a duplicate row cites both lines; header problems cite the header line', () => {
    expect(csvError([CSV_HEAD, 'pio-vmm,6,us,host,,', '# comment', 'pio-vmm,7,us,host,,'].join('\n'))).toBe(
      'my-host.csv:4: mechanism "pio-vmm" already has a row (line 2)',
    );
    expect(csvError(['# c', 'mechanism,value,units,basis', 'pio-vmm,6,us,host'].join('\n'))).toMatch(/^my-host\.csv:2: unknown column "units"/);
    expect(csvError(['mechanism,value,basis', 'pio-vmm,6,host'].join('\n'))).toBe('my-host.csv:1: missing column "unit"');
  });

  it('CSV: cycles without a clock rate; broken quoting and ragged rows from csv-parse', () => {
    expect(csvError([CSV_HEAD, 'pio-kernel,1762,cycles,guest-rtt,0.2,'].join('\n'))).toMatch(
      /^my-host\.csv:2: unit cycles needs a clock rate/,
    );
    expect(csvError([CSV_HEAD, 'pio-kernel,2,us,host,0.2,"unclosed', 'pio-vmm,6,us,host,0.2,x'].join('\n'))).toMatch(
      /^my-host\.csv:\d: CSV: Quote Not Closed/,
    );
    expect(csvError([CSV_HEAD, 'pio-kernel,2,us,host,0.2,src,extra'].join('\n'))).toMatch(/^my-host\.csv:2: CSV: Invalid Record Length/);
    expect(csvError('# only a comment\n')).toMatch(/my-host\.csv(:\d+)?: (no header line|the model has no rows)/);
  });

  it('JSON: syntax errors and bad fields point at their line', () => {
    const good = (unit: string) =>
      ['{', '  "name": "x",', '  "rows": [', '    {"mechanism": "pio-vmm", "value": 6.5,', `     "unit": "${unit}", "basis": "host"}`, '  ]', '}'].join('\n');
    expect(parseModelJson(good('us'), 'my-host.json').rows[0]).toMatchObject({ mechanism: 'pio-vmm', unit: 'us', line: 4 });
    expect(jsonError(good('ms'))).toBe('my-host.json:5: unit must be ns, us or cycles; got "ms"');
    expect(jsonError(good('us').replace('"value": 6.5,', '"value": 6.5'))).toMatch(/^my-host\.json:5: JSON: expected "," or "}"/);
    expect(jsonError(good('us').replace('"basis": "host"', '"basis": "host", "tolerence": 0.1'))).toMatch(
      /^my-host\.json:5: unknown row field "tolerence"/,
    );
    expect(jsonError('{"rows": [], "nmae": "x"}')).toMatch(/^my-host\.json:1: unknown key "nmae"/);
    expect(jsonError('{"rows": []}')).toBe('my-host.json: the model has no rows');
    expect(jsonError('[1, 2]')).toMatch(/^my-host\.json:1: a model file is a JSON object/);
  });

  it('--model with an unknown name lists the built-ins', () => {
    expect(() => loadModel('haskins')).toThrow(UsageError);
    expect(() => loadModel('haskins')).toThrow(/not a built-in \(haskins-2009, oskolkov-2022, pci-testdev-2013\) and no such file/);
  });
});

describe('units and bases', () => {
  it('converts ns, µs and cycles at a clock rate', () => {
    expect(unitToNs(250, 'ns', null)).toBe(250);
    expect(unitToNs(2.72, 'us', null)).toBeCloseTo(2720, 9);
    expect(unitToNs(1762, 'cycles', 3.0)).toBeCloseTo(587.333, 3);
    expect(unitToNs(2000, 'cycles', 2.93)).toBeCloseTo(682.59, 2);
    expect(() => unitToNs(1, 'cycles', null)).toThrow(/clock rate/);
  });

  it('guest-rtt ↔ host adds or subtracts the transition; a value below it has no host figure', () => {
    expect(convertBasis(2720, 'guest-rtt', 'host', 683)).toBe(2037);
    expect(convertBasis(2037, 'host', 'guest-rtt', 683)).toBe(2720);
    expect(convertBasis(500, 'host', 'host', 683)).toBe(500);
    expect(convertBasis(587, 'guest-rtt', 'host', 683)).toBeNull();
    expect(DEFAULT_TRANSITION.ns).toBe(683); // 2000 cycles / 2.93 GHz
  });

  it('CSV accepts µs, percent tolerances and a per-row clock; `# key: value` lines set the model', () => {
    const m = parseModelText(
      ['# name: bench', '# source: my bench, 2025', '# clock-ghz: 2.5', '# transition-ns: 400', CSV_HEAD + ',ghz,extrapolated',
        'pio-kernel,1500,cycles,guest-rtt,15%,,,', 'pio-vmm,5000,cycles,guest-rtt,,,2.0,yes', 'mmio-vmm,7.1,µs,host,,"a, quoted source",,'].join('\n'),
      'bench.csv',
    );
    expect(m).toMatchObject({ name: 'bench', source: 'my bench, 2025', transition: { ns: 400 } });
    expect(m.rows.map((r) => [r.mechanism, r.tolerance, r.clockGhz, r.extrapolated, r.source])).toEqual([
      ['pio-kernel', 0.15, 2.5, false, 'my bench, 2025'],
      ['pio-vmm', 0.25, 2.0, true, 'my bench, 2025'],
      ['mmio-vmm', 0.25, null, false, 'a, quoted source'],
    ]);
    expect(m.rows.map((r) => rowNs(r, 'host', 400))).toEqual([200, 2100, 7100]);
  });

  it('the lab model in guest TSC cycles (CSV) and in ns (JSON) agree after conversion at the run’s clock', () => {
    const ns = loadModel(fixture('models', 'lab-kvm-pvm-guest.json'));
    const cyc = loadModel(fixture('models', 'lab-kvm-pvm-guest-cycles.csv'));
    expect(cyc.rows.every((r) => r.unit === 'cycles' && r.clockGhz === 2.445424)).toBe(true);
    expect(cyc.rows.map((r) => r.mechanism)).toEqual(ns.rows.map((r) => r.mechanism));
    for (const [i, r] of cyc.rows.entries()) {
      // The truth file rounds its ns figures to 0.1 ns; the cycle counts are integers.
      expect(Math.abs(unitToNs(r.value, r.unit, r.clockGhz) - ns.rows[i]!.value)).toBeLessThan(0.5);
    }
  });
});

describe('the lab model file is the truth file’s guest measurements', () => {
  it('each row = that phase’s guest_tsc_ns median − the baseline_nop median', () => {
    const truth = JSON.parse(readFileSync(fixture('lab', 'truth-tracefs-user.json'), 'utf8')) as {
      phases: { name: string; guest_tsc_ns: { median: number } }[];
    };
    const med = (name: string) => truth.phases.find((p) => p.name === name)!.guest_tsc_ns.median;
    const base = med('baseline_nop');
    const expected: Record<string, string> = {
      'hypercall-kernel': 'hypercall_vmmcall',
      'pio-kernel': 'pio_out_ioeventfd',
      'pio-vmm': 'pio_out_user',
      'mmio-fast': 'mmio_write_ioeventfd_len0',
      'mmio-kernel': 'mmio_write_ioeventfd',
      'mmio-vmm': 'mmio_write_user',
      cpuid: 'cpuid',
    };
    const m = loadModel(fixture('models', 'lab-kvm-pvm-guest.json'));
    expect(Object.fromEntries(m.rows.map((r) => [r.mechanism, r.value]))).toEqual(
      Object.fromEntries(Object.entries(expected).map(([k, ph]) => [k, Math.round((med(ph) - base) * 10) / 10])),
    );
    expect(m.rows.every((r) => r.basis === 'guest-rtt' && r.unit === 'ns' && r.source.includes(expected[r.mechanism]!))).toBe(true);
  });
});

describe('built-in models', () => {
  it('cite their source on every row and mark what the authors extrapolated', () => {
    expect(BUILTIN_MODELS.map((m) => m.name)).toEqual(['haskins-2009', 'oskolkov-2022', 'pci-testdev-2013']);
    expect(builtinModel(DEFAULT_MODEL)?.name).toBe('haskins-2009');
    for (const m of BUILTIN_MODELS) for (const r of m.rows) expect(r.source).toBe(m.source);
    const h = builtinModel('haskins-2009')!;
    expect(h.rows.filter((r) => r.extrapolated).map((r) => r.mechanism)).toEqual(['hypercall-kernel', 'pio-vmm']);
    expect(Object.fromEntries(h.rows.map((r) => [r.mechanism, r.value]))).toEqual({
      'hypercall-kernel': 2.37,
      'pio-kernel': 2.72,
      'pio-vmm': 6.53,
      'mmio-kernel': 5.0,
      'mmio-vmm': 9.09,
    });
    const t = builtinModel('pci-testdev-2013')!;
    expect(t.rows.every((r) => r.unit === 'cycles' && r.clockAssumed)).toBe(true);
    expect(t.rows.map((r) => r.value)).toEqual([1762, 5287, 3609, 3685, 8796]);
    expect(builtinModel('oskolkov-2022')!.rows.find((r) => r.mechanism === 'pio-vmm')?.note).toMatch(/5\.5 µs for outb\+inb/);
  });

  it('survive a JSON round trip (what `model show --json` prints is a loadable model file)', () => {
    for (const m of BUILTIN_MODELS) {
      const back = parseModelJson(serializeModelJson(m), `${m.name}.json`);
      expect(back.rows.map(({ line: _l, ...r }) => r)).toEqual(m.rows.map(({ line: _l, ...r }) => r));
    }
  });
});
