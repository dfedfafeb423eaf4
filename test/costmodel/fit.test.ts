/**
 * `model fit`: least squares over round trips recovers component costs from a trace built from them, says what
 * a trace cannot separate, and writes a model that `analyze --model` reads back.
 */
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../src/analyze.js';
import { DEFAULT_TRANSITION } from '../../src/costmodel/builtin.js';
import { FitCollector, fitComponents, modelFromFit, sweepInverse, t975 } from '../../src/costmodel/fit.js';
import { parseModelCsv, parseModelJson, serializeModelCsv, serializeModelJson } from '../../src/costmodel/load.js';
import { compareWithModel } from '../../src/costmodel/compare.js';
import { componentTrace, expectedNs, type Components, type FitClass } from './component-trace.js';

const TRUE: Components = { kernel: 1200, decode: 850, userspace: 9300 };
const ALL: FitClass[] = ['hypercall-kernel', 'pio-kernel', 'mmio-fast', 'mmio-kernel', 'pio-vmm', 'mmio-vmm'];

function fitText(text: string) {
  const c = new FitCollector();
  const run = analyzeText(text, { onUnit: c.onUnit });
  return { fit: fitComponents(c, run.relabelUnknown, DEFAULT_TRANSITION), run };
}

describe('model fit on a trace built from known components', () => {
  const text = componentTrace(TRUE, ALL, 150);
  const { fit, run } = fitText(text);

  it('reads the inline trace as the classes it was built from', () => {
    const counts = Object.fromEntries(run.analysis.mechanisms.map((m) => [m.mechanism, m.count]));
    expect(counts).toEqual(Object.fromEntries(ALL.map((c) => [c, 150])));
    expect(fit.n).toBe(900);
    expect(fit.rank).toBe(3);
  });

  it('recovers kernel, decode and userspace within their 95 % intervals (and within 10 ns)', () => {
    for (const comp of fit.components) {
      const truth = TRUE[comp.name];
      expect(comp.ci95Ns).not.toBeNull();
      const [lo, hi] = comp.ci95Ns!;
      expect(lo).toBeLessThanOrEqual(truth);
      expect(hi).toBeGreaterThanOrEqual(truth);
      expect(Math.abs(comp.ns! - truth)).toBeLessThan(10);
      // The interval is informative: narrower than the noise amplitude (±40 ns).
      expect(hi - lo).toBeLessThan(40);
    }
    expect(fit.components.map((c) => c.evidence)).toEqual([900, 300, 300]);
  });

  it('predicts every mechanism, hypercall-vmm (absent) from the components', () => {
    const hv = fit.mechanisms.find((m) => m.mechanism === 'hypercall-vmm')!;
    expect(hv.n).toBe(0);
    expect(Math.abs(hv.fittedNs! - (TRUE.kernel + TRUE.userspace))).toBeLessThan(15);
    for (const m of fit.mechanisms.filter((x) => x.n > 0)) {
      expect(Math.abs(m.fittedNs! - expectedNs(m.mechanism as FitClass, TRUE))).toBeLessThan(15);
    }
  });

  it('writes a model (JSON and CSV) that analyze --model reads back and finds in agreement with the trace', () => {
    const model = modelFromFit(fit, 'synthetic-host', 'exitlens model fit inline');
    const back = parseModelJson(serializeModelJson(model), 'fitted.json');
    const csv = parseModelCsv(serializeModelCsv(model), 'fitted.csv');
    expect(back.rows.map((r) => [r.mechanism, r.value, r.basis])).toEqual(model.rows.map((r) => [r.mechanism, r.value, 'host']));
    expect(csv.rows.map((r) => r.value)).toEqual(model.rows.map((r) => r.value));
    expect(back.components?.map((c) => c.name)).toEqual(['kernel', 'decode', 'userspace']);
    expect(back.rows.find((r) => r.mechanism === 'hypercall-vmm')?.extrapolated).toBe(true);
    const cmp = compareWithModel(run.analysis, run.summarizer.classAccumulators(run.relabelUnknown), back);
    const judged = cmp.rows.filter((r) => r.samples > 0);
    expect(judged.map((r) => r.verdict)).toEqual(judged.map(() => 'within'));
    expect(cmp.agreement.compared).toBe(6);
    // Ties in the model (three classes cost "kernel" alone) keep rho just under 1.
    expect(cmp.agreement.spearmanRho).toBeGreaterThan(0.9);
    expect(cmp.agreement.mape).toBeLessThan(0.02);
  });
});

describe('what a trace cannot separate', () => {
  it('no MMIO: decode has no evidence, MMIO rows are not predicted', () => {
    const { fit } = fitText(componentTrace(TRUE, ['pio-kernel', 'pio-vmm'], 40));
    const decode = fit.components.find((c) => c.name === 'decode')!;
    expect(decode.ns).toBeNull();
    expect(decode.note).toMatch(/no round trip/);
    expect(fit.components.find((c) => c.name === 'userspace')!.ci95Ns![0]).toBeLessThanOrEqual(TRUE.userspace);
    expect(fit.mechanisms.map((m) => m.mechanism)).not.toContain('mmio-kernel');
    expect(fit.mechanisms.map((m) => m.mechanism)).toContain('hypercall-vmm');
  });

  it('every MMIO went to the VMM: decode and the hop are not separable, their sum is', () => {
    const { fit } = fitText(componentTrace(TRUE, ['pio-kernel', 'mmio-vmm'], 40));
    expect(fit.rank).toBe(2);
    expect(fit.components.find((c) => c.name === 'decode')!.ns).toBeNull();
    expect(fit.components.find((c) => c.name === 'userspace')!.note).toMatch(/not separable/);
    const mv = fit.mechanisms.find((m) => m.mechanism === 'mmio-vmm')!;
    expect(Math.abs(mv.fittedNs! - (TRUE.kernel + TRUE.decode + TRUE.userspace))).toBeLessThan(15);
    expect(fit.mechanisms.map((m) => m.mechanism)).not.toContain('pio-vmm');
  });

  it('a trace without kvm_userspace_exit cannot tell kernel from VMM: nothing to fit', () => {
    const text = componentTrace(TRUE, ['pio-kernel', 'mmio-kernel'], 10);
    expect(() => fitText(text)).toThrow(/nothing to fit/);
  });
});

describe('linear algebra', () => {
  it('the sweep generalized inverse inverts a full-rank matrix and skips a dependent column', () => {
    const A = [
      [4, 2, 0],
      [2, 3, 1],
      [0, 1, 2],
    ];
    const { G, rank } = sweepInverse(A);
    expect(rank).toBe(3);
    const I = A.map((row, i) => A.map((_, j) => row.reduce((s, a, k) => s + a * G[k]![j]!, 0)).map((v, j) => v - (i === j ? 1 : 0)));
    for (const r of I) for (const v of r) expect(Math.abs(v)).toBeLessThan(1e-12);
    const dep = sweepInverse([
      [2, 1, 1],
      [1, 1, 0],
      [1, 0, 1],
    ]);
    expect(dep.rank).toBe(2);
  });

  it('t quantiles: table for small df, normal beyond', () => {
    expect(t975(1)).toBe(12.706);
    expect(t975(30)).toBe(2.042);
    expect(t975(5000)).toBe(1.96);
  });
});
