/**
 * The comparison in `analyze --model` on real traces: the lab capture (access mode, with its guest-measured
 * model and its ground truth), public excerpts with pio-vmm round trips, and the larger Intel captures from
 * ../shared (skipped when absent). Plus the verdict, agreement and what-if arithmetic on real samples.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFiles, type AnalysisRun } from '../../src/analyze.js';
import { bootstrapCi } from '../../src/costmodel/bootstrap.js';
import { compareWithModel, MIN_SAMPLES } from '../../src/costmodel/compare.js';
import { parseModelCsv } from '../../src/costmodel/load.js';
import type { ModelComparison } from '../../src/model/analysis.js';
import { renderText } from '../../src/report/text.js';
import { fixture, HAS_SHARED_LARGE, sharedLarge } from '../helpers.js';

const lab = fixture('lab', 'tracefs-user-kvm-pvm.txt.gz');
const labModel = fixture('models', 'lab-kvm-pvm-guest.json');
const rowOf = (c: ModelComparison, m: string) => c.rows.find((r) => r.mechanism === m)!;

function compareWith(run: AnalysisRun, csvRows: string[], name = 'test.csv'): ModelComparison {
  const model = parseModelCsv(['mechanism,value,unit,basis,tolerance', ...csvRows].join('\n'), name);
  return compareWithModel(run.analysis, run.summarizer.classAccumulators(run.relabelUnknown), model);
}

describe('lab capture (no kvm_exit/kvm_entry) against the guest-measured lab model', () => {
  it('is present and honest: no latency, model values on the host basis, the VMM phase it can see', async () => {
    const { analysis: a } = await analyzeFiles([lab], { model: labModel });
    const c = a.model!;
    expect(c.model.name).toBe('lab-kvm-pvm-guest');
    expect(c).toMatchObject({ traceBasis: 'host', transitionNs: 683, minSamples: MIN_SAMPLES });
    expect(c.transitionSource).toMatch(/SplitX/);
    expect(new Set(c.rows.map((r) => r.verdict))).toEqual(new Set(['no-latency']));
    expect(c.agreement).toEqual({ spearmanRho: null, mape: null, compared: 0 });
    const pv = rowOf(c, 'pio-vmm');
    expect(pv).toMatchObject({ count: 2025, samples: 0, observedMedianNs: null, modelValue: 32590.7, modelBasis: 'guest-rtt' });
    expect(pv.modelNs).toBe(Math.round(32590.7 - 683));
    // The trace times only the VMM phase (kvm_userspace_exit → next event): part of the userspace hop the guest paid.
    const hop = pv.modelNs! - rowOf(c, 'pio-kernel').modelNs!;
    expect(pv.vmmPhaseMedianNs).toBe(11000);
    expect(pv.vmmPhaseMedianNs!).toBeLessThan(hop);
    expect(c.notes?.join(' ')).toMatch(/No kvm_exit\/kvm_entry/);
  });

  it('the pio-vmm → ioeventfd what-if matches what the lab measured (phase wall-clock, within 5 %)', async () => {
    const { analysis: a } = await analyzeFiles([lab], { model: labModel });
    const w = a.model!.whatIf.find((x) => x.from === 'pio-vmm')!;
    expect(w).toMatchObject({ to: 'pio-kernel', count: 2025, observedFrom: 'model', alternativeFrom: 'model' });
    expect(w.savedNs).toBe(Math.round(2025 * (w.observedNs - w.alternativeNs)));
    const truth = JSON.parse(readFileSync(fixture('lab', 'truth-tracefs-user.json'), 'utf8')) as {
      phases: { name: string; phase_wall_per_op_ns: number }[];
    };
    const wall = (n: string) => truth.phases.find((p) => p.name === n)!.phase_wall_per_op_ns;
    const measured = 2025 * (wall('pio_out_user') - wall('pio_out_ioeventfd'));
    expect(Math.abs(w.savedNs - measured) / measured).toBeLessThan(0.05);
    // Denominator: no per-thread spans in access mode, so span × vCPU threads, and the note says so.
    expect(a.model!.vcpuTimeNs).toBe(a.input.spanNs);
    expect(w.shareOfVcpuTime).toBeCloseTo(w.savedNs / a.input.spanNs!, 6);
  });

  it('the default model (haskins-2009) is applied when asked for by name, with its extrapolated rows marked', async () => {
    const { analysis: a } = await analyzeFiles([lab], { model: 'haskins-2009' });
    expect(a.model!.model).toMatchObject({ name: 'haskins-2009', file: null });
    expect(rowOf(a.model!, 'pio-vmm')).toMatchObject({ extrapolated: true, modelValue: 6.53, modelUnit: 'us', modelNs: 6530 - 683 });
    const text = renderText(a);
    expect(text).toMatch(/Cost model haskins-2009/);
    expect(text).toMatch(/pio-vmm\s+2025\s+11\.0µs\s+5\.85µs\*\s+no latency/);
    expect(text.split('\n').every((l) => l.length <= 100)).toBe(true);
  });
});

describe('public excerpts with pio-vmm round trips', () => {
  it('003: two pio-vmm round trips are reported with a ratio but not judged', async () => {
    const { analysis: a } = await analyzeFiles([fixture('public', '003-github-kvm-example-aout-trace-pipe.txt')], { model: 'haskins-2009' });
    const r = rowOf(a.model!, 'pio-vmm');
    expect(r).toMatchObject({ samples: 2, observedMedianNs: 32000, verdict: 'too-few-samples', modelNs: 5847 });
    expect(r.ratio).toBeCloseTo(32000 / 5847, 5);
    // The interval holds the median and is widened by the 1 µs timestamp quantum.
    expect(r.medianCi95Ns![0]).toBeLessThanOrEqual(32000 - 1000);
    expect(r.medianCi95Ns![1]).toBeGreaterThanOrEqual(32000 + 1000);
    const w = a.model!.whatIf[0]!;
    expect(w).toMatchObject({ from: 'pio-vmm', to: 'pio-kernel', count: 2, observedNs: 32000, alternativeNs: 2037, alternativeFrom: 'model' });
    expect(w.savedNs).toBe(2 * (32000 - 2037));
    expect(w.shareOfVcpuTime).toBeCloseTo(w.savedNs / a.roundTrips.vcpuTimeNs, 6);
  });

  it('020: one pio-vmm round trip of 55 µs; --transition-ns 0 compares the guest figures as they are', async () => {
    const f = fixture('public', '020-kvm-list-2019-jailhouse-nested-loop-trace-cmd.txt');
    const { analysis: a } = await analyzeFiles([f], { model: 'pci-testdev-2013', transitionNs: 0 });
    const r = rowOf(a.model!, 'pio-vmm');
    expect(a.model).toMatchObject({ transitionNs: 0, transitionSource: '--transition-ns' });
    expect(r.modelNs).toBe(Math.round(5287 / 3.0));
    expect(r.note).toMatch(/assumed/);
    expect(r.ratio).toBeCloseTo(55000 / 1762, 5);
  });
});

describe('verdicts, agreement and determinism on a real trace', () => {
  it.skipIf(!HAS_SHARED_LARGE)('05 (Intel host, all events): within / faster / slower against models set from its own medians', async () => {
    const run = await analyzeFiles([sharedLarge('05-hip24-thesis-host-report-all-events.txt')]);
    const mk = run.analysis.mechanisms.find((m) => m.mechanism === 'mmio-kernel')!;
    expect(mk.count).toBe(15);
    const med = mk.p50Ns!;
    const v = (value: number) => rowOf(compareWith(run, [`mmio-kernel,${value},ns,host,0.25`]), 'mmio-kernel').verdict;
    expect(v(med)).toBe('within');
    expect(v(med * 10)).toBe('faster');
    expect(v(med / 10)).toBe('slower');
    // A guest-rtt row is lowered by the transition before judging: 3 µs + 683 ns on the guest basis = 3 µs on the host.
    const g = compareWith(run, [`mmio-kernel,${med + 683},ns,guest-rtt,0`]);
    expect(rowOf(g, 'mmio-kernel').modelNs).toBe(med);
    // mmio-vmm has 7 round trips: reported, not judged.
    expect(rowOf(compareWith(run, ['mmio-vmm,7,us,host,0.25']), 'mmio-vmm')).toMatchObject({ samples: 7, verdict: 'too-few-samples' });
  });

  it.skipIf(!HAS_SHARED_LARGE)('05: Spearman ρ is +1 for a model with the host’s ordering and −1 for the reverse; MAPE is exact', async () => {
    const run = await analyzeFiles([sharedLarge('05-hip24-thesis-host-report-all-events.txt')]);
    const med = Object.fromEntries(run.analysis.mechanisms.map((m) => [m.mechanism, m.p50Ns!]));
    // hlt ≫ mmio-fast > mmio-kernel on this host (medians 945 µs, 10 µs, 3 µs).
    expect(med.hlt! > med['mmio-fast']! && med['mmio-fast']! > med['mmio-kernel']!).toBe(true);
    const same = compareWith(run, ['mmio-kernel,1,us,host,0.25', 'mmio-fast,2,us,host,0.25', 'hlt,1000,us,host,0.25']);
    expect(same.agreement.compared).toBe(3);
    expect(same.agreement.spearmanRho).toBe(1);
    const expectedMape = (Math.abs(med['mmio-kernel']! - 1000) / 1000 + Math.abs(med['mmio-fast']! - 2000) / 2000 + Math.abs(med.hlt! - 1e6) / 1e6) / 3;
    expect(same.agreement.mape).toBeCloseTo(expectedMape, 5);
    const reversed = compareWith(run, ['mmio-kernel,1000,us,host,0.25', 'mmio-fast,2,us,host,0.25', 'hlt,1,us,host,0.25']);
    expect(reversed.agreement.spearmanRho).toBe(-1);
    // mmio-fast is slower than mmio-kernel here: no what-if pretends otherwise.
    expect(same.whatIf.find((w) => w.from === 'mmio-kernel')).toBeUndefined();
    expect(same.notes?.join(' ')).toMatch(/mmio-fast .* was not faster than mmio-kernel/);
  });

  it.skipIf(!HAS_SHARED_LARGE)('01 (94k exits): histogram-bootstrapped rows, identical JSON on every run', async () => {
    const f = sharedLarge('01-hip24-thesis-host-2vms-110k.report-derived.txt');
    const a = await analyzeFiles([f], { model: 'haskins-2009' });
    const b = await analyzeFiles([f], { model: 'haskins-2009' });
    expect(JSON.stringify(a.analysis.model)).toBe(JSON.stringify(b.analysis.model));
    const mu = rowOf(a.analysis.model!, 'mmio-unknown');
    expect(mu).toMatchObject({ samples: 9912, verdict: 'not-in-model' });
    const acc = a.summarizer.classAccumulators(a.relabelUnknown).get('mmio-unknown')!;
    expect(acc.exactSamples()).toBeNull(); // > 4096 samples: resampled from the histogram bins
    expect(bootstrapCi(acc, 'mmio-unknown')?.method).toBe('histogram');
    expect(mu.medianCi95Ns![0]).toBeLessThanOrEqual(mu.observedMedianNs!);
    expect(mu.medianCi95Ns![1]).toBeGreaterThanOrEqual(mu.observedMedianNs!);
    expect(mu.meanCi95Ns![0]).toBeLessThan(mu.observedMeanNs!);
    expect(mu.meanCi95Ns![1]).toBeGreaterThan(mu.observedMeanNs!);
    expect(a.analysis.model!.notes?.join(' ')).toMatch(/-unknown mechanisms/);
  });
});

describe('bootstrap', () => {
  it('exact rows: the 95 % interval of the mean covers the mean and shrinks like 1/√n', async () => {
    const run = await analyzeFiles([fixture('public', '003-github-kvm-example-aout-trace-pipe.txt')]);
    const acc = run.summarizer.classAccumulators(run.relabelUnknown).get('pio-vmm')!;
    const ci = bootstrapCi(acc, 'pio-vmm')!;
    expect(ci.method).toBe('exact');
    expect(ci.median[0]).toBeGreaterThanOrEqual(29000);
    expect(ci.median[1]).toBeLessThanOrEqual(35000);
    expect(bootstrapCi(acc, 'pio-vmm')).toEqual(ci); // seeded: the same interval every time
  });
});
