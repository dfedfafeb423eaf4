/**
 * Compare a trace with a cost model (`analyze --model`): per mechanism, the observed median and mean with 95 %
 * bootstrap intervals, the model's value converted to the trace's basis, observed/model, and a verdict; how well
 * the host reproduces the model overall (Spearman's rho of the ordering, MAPE — the two accuracy figures the
 * Chrome DevTools Lantern model reports); and what-ifs: the time the slow mechanisms cost over their faster
 * alternative.
 *
 * Verdict of a row with enough samples: the median's 95 % interval (widened by one timestamp quantum on each
 * side: a duration printed from two quantized timestamps is off by up to one quantum) is set against the model's
 * band value × (1 ± tolerance). Overlap → `within`; wholly below → `faster`; wholly above → `slower`. Rows with
 * fewer than `minSamples` timed round trips are reported, not judged (`too-few-samples`); traces without
 * round-trip latency (access mode, raw ticks) give `no-latency`; observed mechanisms the model lacks give
 * `not-in-model`.
 */
import { sampleRankCorrelation } from 'simple-statistics';
import type { Analysis, Basis, ModelComparison, ModelComparisonRow, Verdict, WhatIfRow } from '../model/analysis.js';
import type { ClassName } from '../model/classes.js';
import { formatDuration } from '../model/units.js';
import type { StatAccumulator } from '../stats/accumulator.js';
import { bootstrapCi } from './bootstrap.js';
import { DEFAULT_TRANSITION } from './builtin.js';
import { rowNs, unitToNs } from './convert.js';
import type { CostModel, CostModelRow, Transition } from './types.js';

/** Below 10 timed round trips a row is not judged: a distribution-free 95 % interval for a median needs n ≥ 6,
 *  and at n = 10 it is still the 2nd to 9th order statistic — most of the range. */
export const MIN_SAMPLES = 10;

/** Spearman's rho needs at least 3 mechanisms: with 2 it is ±1 by construction. */
export const MIN_FOR_RHO = 3;

/** The faster alternatives a user can switch to, and how. */
export const ALTERNATIVES: readonly { from: ClassName; to: ClassName; how: string }[] = [
  { from: 'pio-vmm', to: 'pio-kernel', how: 'register the port as an ioeventfd (KVM_IOEVENTFD)' },
  { from: 'mmio-vmm', to: 'mmio-fast', how: 'a wildcard (len 0) MMIO ioeventfd: the EPT-misconfig fast path' },
  { from: 'mmio-kernel', to: 'mmio-fast', how: 'a wildcard (len 0) ioeventfd instead of emulation/datamatch' },
];

export interface CompareOptions {
  /** Overrides the model's and the default transition cost. */
  transitionNs?: number;
  minSamples?: number;
}

export function transitionFor(model: CostModel, opts: CompareOptions): Transition {
  if (opts.transitionNs !== undefined) return { ns: opts.transitionNs, source: '--transition-ns' };
  return model.transition ?? DEFAULT_TRANSITION;
}

const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const r1 = (x: number): number => Math.round(x * 10) / 10;

export function compareWithModel(
  analysis: Analysis,
  accumulators: Map<ClassName, StatAccumulator>,
  model: CostModel,
  opts: CompareOptions = {},
): ModelComparison {
  const minSamples = opts.minSamples ?? MIN_SAMPLES;
  const transition = transitionFor(model, opts);
  const traceBasis: Basis = 'host';
  const notes: string[] = [];
  const latencyUsable = analysis.mode === 'round-trips' && analysis.input.timeUnit === 'ns';
  if (analysis.mode === 'accesses') {
    notes.push('No kvm_exit/kvm_entry in this trace: no round-trip latency to compare; model values and what-ifs only.');
  } else if (analysis.input.timeUnit !== 'ns') {
    notes.push('Durations are raw ticks (no --tsc-ghz): they cannot be compared with a model in ns.');
  }
  const quantum = analysis.input.timestampResolutionNs ?? 1;
  const byMech = new Map(analysis.mechanisms.map((m) => [m.mechanism, m]));
  const modelRows = new Map<ClassName, CostModelRow>(model.rows.map((r) => [r.mechanism, r]));

  const order: ClassName[] = [...model.rows.map((r) => r.mechanism)];
  for (const m of analysis.mechanisms) if (m.communication && !modelRows.has(m.mechanism)) order.push(m.mechanism);

  const rows: (ModelComparisonRow)[] = [];
  const modelHost = new Map<ClassName, number>();
  for (const mech of order) {
    const mr = modelRows.get(mech);
    const obs = byMech.get(mech);
    const acc = latencyUsable ? accumulators.get(mech) : undefined;
    const samples = acc?.n ?? 0;
    const st = acc !== undefined && samples > 0 ? acc.stats() : null;
    const ci = acc !== undefined && samples > 1 ? bootstrapCi(acc, mech) : null;
    let modelNs: number | null = null;
    let note = '';
    if (mr !== undefined) {
      const v = rowNs(mr, traceBasis, transition.ns);
      if (v === null) note = `model value ${r1(unitToNs(mr.value, mr.unit, mr.clockGhz))} ns is below the transition cost`;
      else {
        modelNs = Math.round(v);
        modelHost.set(mech, modelNs);
      }
      if (mr.clockAssumed) note = note ? `${note}; clock rate assumed` : `clock rate ${mr.clockGhz} GHz assumed by the model`;
    }
    const median = st?.p50Ns ?? null;
    const mean = st?.meanNs ?? null;
    const medianCi: [number, number] | null =
      ci === null ? (median === null ? null : [median, median]) : [ci.median[0], ci.median[1]];
    const widened: [number, number] | null = medianCi === null ? null : [Math.max(0, medianCi[0] - quantum), medianCi[1] + quantum];
    let verdict: Verdict;
    if (!latencyUsable || (samples === 0 && (obs?.count ?? 0) > 0)) verdict = 'no-latency';
    else if (mr === undefined || modelNs === null) verdict = 'not-in-model';
    else if (samples < minSamples) verdict = 'too-few-samples';
    else {
      const lo = modelNs * (1 - mr.tolerance);
      const hi = modelNs * (1 + mr.tolerance);
      verdict = widened![1] < lo ? 'faster' : widened![0] > hi ? 'slower' : 'within';
    }
    const row: ModelComparisonRow = {
      mechanism: mech,
      samples,
      observedMedianNs: median,
      observedMeanNs: mean === null ? null : r1(mean),
      medianCi95Ns: widened === null ? null : [r1(widened[0]), r1(widened[1])],
      meanCi95Ns: ci === null ? (mean === null ? null : [r1(mean), r1(mean)]) : [r1(ci.mean[0]), r1(ci.mean[1])],
      modelValue: mr?.value ?? null,
      modelUnit: mr?.unit ?? null,
      modelBasis: mr?.basis ?? null,
      modelNs,
      tolerance: mr?.tolerance ?? null,
      ratio: median !== null && modelNs !== null ? r6(median / modelNs) : null,
      verdict,
      source: mr?.source ?? null,
      extrapolated: mr?.extrapolated ?? false,
      count: obs?.count ?? 0,
      meanRatio: mean !== null && modelNs !== null ? r6(mean / modelNs) : null,
      vmmPhaseMedianNs: obs?.phases?.vmm?.p50Ns ?? null,
      modelClockGhz: mr?.clockGhz ?? null,
    };
    if (note) row.note = note;
    rows.push(row);
  }

  // Whole-model agreement over the judged rows.
  const judged = rows.filter((r) => r.verdict === 'within' || r.verdict === 'faster' || r.verdict === 'slower');
  let rho: number | null = null;
  if (judged.length >= MIN_FOR_RHO) {
    const v = sampleRankCorrelation(
      judged.map((r) => r.observedMedianNs!),
      judged.map((r) => r.modelNs!),
    );
    rho = Number.isFinite(v) ? r6(v) : null;
  }
  const mape =
    judged.length > 0
      ? r6(judged.reduce((s, r) => s + Math.abs(r.observedMedianNs! - r.modelNs!) / r.modelNs!, 0) / judged.length)
      : null;

  // What-if: count × (observed − alternative) as a share of the vCPU time.
  let vcpuTimeNs = analysis.roundTrips.vcpuTimeNs;
  if (!(vcpuTimeNs > 0) && analysis.input.spanNs !== null && analysis.input.timeUnit === 'ns') {
    const threads = Math.max(1, analysis.vcpus.length);
    vcpuTimeNs = analysis.input.spanNs * threads;
    notes.push(`vCPU time taken as the trace span × ${threads} vCPU thread${threads > 1 ? 's' : ''} (no per-thread spans).`);
  }
  const whatIf: WhatIfRow[] = [];
  const byRow = new Map(rows.map((r) => [r.mechanism, r]));
  for (const alt of ALTERNATIVES) {
    const f = byRow.get(alt.from);
    const count = byMech.get(alt.from)?.count ?? 0;
    if (f === undefined || count === 0) continue;
    const fromObserved = f.samples > 0 && f.observedMedianNs !== null;
    const observedNs = fromObserved ? f.observedMedianNs : modelHost.get(alt.from) ?? null;
    const a = byRow.get(alt.to);
    const altObserved = a !== undefined && a.samples >= minSamples && a.observedMedianNs !== null;
    const alternativeNs = altObserved ? a.observedMedianNs : modelHost.get(alt.to) ?? null;
    if (observedNs === null || alternativeNs === null) continue;
    const saved = count * (observedNs - alternativeNs);
    if (!(saved > 0)) {
      if (altObserved && fromObserved) {
        notes.push(
          `${alt.to} (median ${formatDuration(alternativeNs)}) was not faster than ${alt.from} ` +
            `(median ${formatDuration(observedNs)}) in this trace: no saving.`,
        );
      }
      continue;
    }
    whatIf.push({
      from: alt.from,
      to: alt.to,
      count,
      observedNs: r1(observedNs),
      alternativeNs: r1(alternativeNs),
      savedNs: Math.round(saved),
      shareOfVcpuTime: vcpuTimeNs > 0 ? r6(saved / vcpuTimeNs) : 0,
      alternativeFrom: altObserved ? 'observed' : 'model',
      observedFrom: fromObserved ? 'observed' : 'model',
      how: alt.how,
    });
  }
  whatIf.sort((x, y) => y.savedNs - x.savedNs || (x.from < y.from ? -1 : 1));
  if (analysis.mechanisms.some((m) => m.communication && m.mechanism.endsWith('-unknown'))) {
    notes.push('*-unknown mechanisms (the trace cannot tell who handled them) are not compared with the model.');
  }

  return {
    model: { name: model.name, title: model.title, source: model.source, file: model.file },
    traceBasis,
    transitionNs: transition.ns,
    transitionSource: transition.source,
    minSamples,
    rows,
    agreement: { spearmanRho: rho, mape, compared: judged.length },
    whatIf,
    vcpuTimeNs,
    timestampResolutionNs: analysis.input.timestampResolutionNs,
    notes,
  };
}
