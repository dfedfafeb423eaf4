/**
 * `exitlens model fit`: estimate the components of the transition-counting cost model from a trace.
 *
 * The model (A. Lutomirski 2022 counts mode transitions per I/O; Haskins 2009 prices the decode and the
 * userspace hop — ../../../shared/docs/background.md): a round trip costs
 *
 *   hardware exit + entry            (invisible to a host trace: the --transition-ns parameter)
 * + kernel handling                  every round trip                         → component `kernel`
 * + instruction decode / emulation   MMIO that KVM emulates (kvm_mmio)        → component `decode`
 * + userspace hop                    handed to the VMM (kvm_userspace_exit): two more mode transitions and the
 *                                    VMM's work                               → component `userspace`
 *
 * Evidence per round trip, from its class (the classifier read kvm_mmio / kvm_fast_mmio / kvm_pio /
 * kvm_hypercall / kvm_userspace_exit inside it):
 *
 *   class              kernel decode userspace
 *   hypercall-kernel     1      0      0
 *   pio-kernel           1      0      0
 *   mmio-fast            1      0      0        (kvm_fast_mmio: no decode)
 *   mmio-kernel          1      1      0
 *   hypercall-vmm        1      0      1
 *   pio-vmm              1      0      1
 *   mmio-vmm             1      1      1
 *
 * *-unknown classes and non-communication exits carry no such evidence and are left out.
 *
 * Estimation: ordinary least squares of each round trip's kvm_exit → kvm_entry duration on these indicators
 * (host basis). The design has at most 7 distinct rows, so sufficient statistics per class (count, mean, sum of
 * squared deviations — Welford) give the exact OLS solution and exact residuals whatever the trace length.
 * Standard errors are heteroskedasticity-consistent (White's HC1 sandwich): round trips to the VMM vary far more
 * than in-kernel ones, which the classical OLS formula would ignore. 95 % intervals use Student's t with n − rank
 * degrees of freedom. Components the trace cannot separate (e.g. no MMIO at all, or every MMIO went to the VMM)
 * are found with the sweep generalized inverse and an estimability test, and reported as not identified rather
 * than guessed.
 */
import type { Basis } from '../model/analysis.js';
import { MECHANISMS, type ClassName } from '../model/classes.js';
import { UsageError } from '../model/errors.js';
import type { ClassifiedUnit } from '../stats/summarize.js';
import type { ComponentName, CostModel, CostModelRow, FittedComponent, Transition } from './types.js';

export const COMPONENT_NAMES: readonly ComponentName[] = ['kernel', 'decode', 'userspace'];
export const COMPONENT_LABELS: Record<ComponentName, string> = {
  kernel: 'kernel handling',
  decode: 'instruction decode (MMIO)',
  userspace: 'userspace hop (to the VMM)',
};

/** Indicator rows of the design, per class with evidence. */
export const DESIGN: Partial<Record<ClassName, readonly [number, number, number]>> = {
  'hypercall-kernel': [1, 0, 0],
  'pio-kernel': [1, 0, 0],
  'mmio-fast': [1, 0, 0],
  'mmio-kernel': [1, 1, 0],
  'hypercall-vmm': [1, 0, 1],
  'pio-vmm': [1, 0, 1],
  'mmio-vmm': [1, 1, 1],
};

/** Fitted rows get at least ±10 % tolerance: the spread of one micro-benchmark on one host (in the lab truth file
 *  the in-kernel phases have their p90 within 1–3 % of the median, the VMM phases within 2–11 %). Wider when the
 *  row's own 95 % interval is wider. */
export const FIT_TOLERANCE_FLOOR = 0.1;

/** Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom (standard table); 1.96 beyond. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
export function t975(df: number): number {
  return df >= 1 && df <= T975.length ? T975[df - 1]! : 1.96;
}

interface ClassStats {
  n: number;
  mean: number;
  m2: number;
}

/** Collects the sufficient statistics; feed it from `analyzeFiles(…, {onUnit})`. */
export class FitCollector {
  readonly byClass = new Map<ClassName, ClassStats>();
  skipped = 0;

  readonly onUnit = (u: ClassifiedUnit): void => {
    if (u.durNs === null || DESIGN[u.cls] === undefined) {
      this.skipped++;
      return;
    }
    let s = this.byClass.get(u.cls);
    if (s === undefined) {
      s = { n: 0, mean: 0, m2: 0 };
      this.byClass.set(u.cls, s);
    }
    s.n++;
    const d = u.durNs - s.mean;
    s.mean += d / s.n;
    s.m2 += d * (u.durNs - s.mean);
  };
}

export interface FitMechanismRow {
  mechanism: ClassName;
  /** Round trips of this class in the fit (0: predicted from the components only). */
  n: number;
  observedMeanNs: number | null;
  fittedNs: number | null;
  ci95Ns: [number, number] | null;
}

export interface FitResult {
  basis: Basis;
  /** Round trips used, and the rank of the design (number of separable parameters). */
  n: number;
  rank: number;
  components: FittedComponent[];
  mechanisms: FitMechanismRow[];
  /** Residual standard deviation, ns. */
  residualSdNs: number;
  transition: Transition;
  notes: string[];
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * Solve the fit. `relabelUnknown`: the trace held no kvm_userspace_exit, so its "-kernel" round trips are really
 * "-unknown" (who handled them is not known) and are left out.
 */
export function fitComponents(c: FitCollector, relabelUnknown: boolean, transition: Transition): FitResult {
  const notes: string[] = [];
  const classes = [...c.byClass.entries()].filter(([cls]) => {
    if (relabelUnknown && cls.endsWith('-kernel')) return false;
    return true;
  });
  if (relabelUnknown && c.byClass.size > classes.length) {
    notes.push('No kvm_userspace_exit in the trace: in-kernel and VMM round trips cannot be told apart; only mmio-fast was used.');
  }
  const n = classes.reduce((s, [, st]) => s + st.n, 0);
  if (n === 0) {
    throw new UsageError(
      'nothing to fit: the trace has no timed round trips of hypercall/pio/mmio with the evidence that says who ' +
        'handled them (record kvm:kvm_exit, kvm:kvm_entry, kvm:kvm_pio, kvm:kvm_mmio, kvm:kvm_fast_mmio, ' +
        'kvm:kvm_hypercall and kvm:kvm_userspace_exit)',
    );
  }
  // Normal equations from the per-class statistics.
  const A = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  const b = [0, 0, 0];
  for (const [cls, st] of classes) {
    const x = DESIGN[cls]!;
    for (let i = 0; i < 3; i++) {
      b[i]! += x[i]! * st.n * st.mean;
      for (let j = 0; j < 3; j++) A[i]![j]! += x[i]! * x[j]! * st.n;
    }
  }
  const { G, rank } = sweepInverse(A);
  const beta = mul(G, b);
  // Residuals: Σ_i (y_i − ŷ_c)² = M2_c + n_c (mean_c − ŷ_c)².
  const meat = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  let rss = 0;
  for (const [cls, st] of classes) {
    const x = DESIGN[cls]!;
    const yhat = dot(x, beta);
    const e2 = st.m2 + st.n * (st.mean - yhat) ** 2;
    rss += e2;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) meat[i]![j]! += x[i]! * x[j]! * e2;
  }
  const df = n - rank;
  const hc1 = df > 0 ? n / df : Number.NaN;
  const V = mul3(mul3(G, meat), G).map((row) => row.map((v) => v * hc1));
  const t = t975(df);
  const estimable = (lambda: readonly number[]): boolean => {
    // λ is estimable iff λᵀ G A = λᵀ (it lies in the row space of the design).
    const l = mul(transpose(mul3(G, A)), [...lambda]);
    const scale = Math.max(1, ...lambda.map(Math.abs));
    return l.every((v, i) => Math.abs(v - lambda[i]!) < 1e-9 * scale);
  };
  const estimate = (lambda: readonly number[]): { ns: number; ci: [number, number] | null } | null => {
    if (!estimable(lambda)) return null;
    const ns = dot(lambda, beta);
    const varL = dot(lambda, mul(V, [...lambda]));
    const half = Number.isFinite(varL) && varL >= 0 ? t * Math.sqrt(varL) : Number.NaN;
    return { ns, ci: Number.isFinite(half) ? [r1(ns - half), r1(ns + half)] : null };
  };

  const evidence = [0, 0, 0];
  for (const [cls, st] of classes) DESIGN[cls]!.forEach((x, i) => (evidence[i]! += x * st.n));
  const components: FittedComponent[] = COMPONENT_NAMES.map((name, i) => {
    const lambda = [0, 0, 0];
    lambda[i] = 1;
    const e = estimate(lambda);
    let note = '';
    if (e === null) {
      note =
        evidence[i] === 0
          ? 'no round trip in the trace carries it'
          : evidence[i] === n
            ? 'every round trip carries it: not separable from kernel handling'
            : 'not separable with the mechanisms in this trace';
    }
    return { name, ns: e === null ? null : r1(e.ns), ci95Ns: e?.ci ?? null, evidence: evidence[i]!, note };
  });
  if (df <= 0) notes.push('As many parameters as round trips: no degrees of freedom left for confidence intervals.');
  for (const comp of components) {
    if (comp.ns !== null && comp.ci95Ns !== null && comp.ci95Ns[1] < 0) {
      notes.push(
        `${COMPONENT_LABELS[comp.name]} came out negative (${comp.ns} ns, whole interval below 0): this trace does not ` +
          'follow the component model (a mechanism with more steps was faster than one with fewer), so the ' +
          'components are not physical costs here; look at the per-mechanism means.',
      );
    }
  }

  const observed = new Map(classes);
  const mechanisms: FitMechanismRow[] = [];
  for (const cls of MECHANISMS) {
    const x = DESIGN[cls];
    if (x === undefined) continue;
    const st = observed.get(cls);
    const e = estimate(x);
    if (st === undefined && e === null) continue;
    mechanisms.push({
      mechanism: cls,
      n: st?.n ?? 0,
      observedMeanNs: st === undefined ? null : r1(st.mean),
      fittedNs: e === null ? null : r1(e.ns),
      ci95Ns: e?.ci ?? null,
    });
  }
  return {
    basis: 'host',
    n,
    rank,
    components,
    mechanisms,
    residualSdNs: r1(df > 0 ? Math.sqrt(rss / df) : 0),
    transition,
    notes,
  };
}

/** A model file from a fit: one host-basis row per mechanism the components predict. */
export function modelFromFit(fit: FitResult, name: string, source: string): CostModel {
  const rows: CostModelRow[] = [];
  for (const m of fit.mechanisms) {
    if (m.fittedNs === null || !(m.fittedNs > 0)) continue;
    const half = m.ci95Ns === null ? Number.POSITIVE_INFINITY : (m.ci95Ns[1] - m.ci95Ns[0]) / 2;
    const rel = half / m.fittedNs;
    const row: CostModelRow = {
      mechanism: m.mechanism,
      value: m.fittedNs,
      unit: 'ns',
      clockGhz: null,
      clockAssumed: false,
      basis: 'host',
      // Round to 0.01 so the file reads well; the floor's reason is at FIT_TOLERANCE_FLOOR.
      tolerance: Math.ceil(Math.max(FIT_TOLERANCE_FLOOR, Number.isFinite(rel) ? rel : 1) * 100) / 100,
      source,
      extrapolated: m.n === 0,
      note: m.n === 0 ? 'not in the trace: predicted from the fitted components' : `${m.n} round trips, observed mean ${m.observedMeanNs} ns`,
      line: null,
      n: m.n,
    };
    if (m.ci95Ns !== null) row.ci95Ns = m.ci95Ns;
    rows.push(row);
  }
  return {
    name,
    title: `fitted from ${source} (host basis, kvm_exit → kvm_entry)`,
    source,
    file: null,
    rows,
    transition: null,
    components: fit.components,
    notes: [
      `Least squares over ${fit.n} round trips; rank ${fit.rank}; residual sd ${fit.residualSdNs} ns.`,
      `The hardware exit+entry is not in these values (host basis); comparisons with guest-rtt models add ${fit.transition.ns} ns (${fit.transition.source}).`,
      ...fit.notes,
    ],
  };
}

// ------------------------------------------------------------------------------------------ small linear algebra

/**
 * A generalized inverse of a symmetric positive semi-definite matrix by the sweep operator (Goodnight 1979):
 * pivots whose remaining diagonal is ≤ 1e-9 of the original (the column is a linear combination of the columns
 * already swept) are skipped, and their rows/columns of the result stay zero.
 */
export function sweepInverse(A0: number[][]): { G: number[][]; rank: number } {
  const k = A0.length;
  const A = A0.map((r) => [...r]);
  const swept: boolean[] = new Array<boolean>(k).fill(false);
  let rank = 0;
  for (let p = 0; p < k; p++) {
    const d = A[p]![p]!;
    if (!(d > 1e-9 * Math.max(1, A0[p]![p]!))) continue;
    swept[p] = true;
    rank++;
    for (let i = 0; i < k; i++) {
      if (i === p) continue;
      for (let j = 0; j < k; j++) {
        if (j === p) continue;
        A[i]![j]! -= (A[i]![p]! * A[p]![j]!) / d;
      }
    }
    for (let i = 0; i < k; i++) {
      if (i === p) continue;
      A[i]![p] = A[i]![p]! / d;
      A[p]![i] = A[p]![i]! / d;
    }
    A[p]![p] = -1 / d;
  }
  // After sweeping the set S, A[S,S] = −(A0[S,S])⁻¹.
  const G = A0.map(() => new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) if (swept[i] && swept[j]) G[i]![j] = -A[i]![j]!;
  return { G, rank };
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function mul(M: number[][], v: number[]): number[] {
  return M.map((row) => dot(row, v));
}

function mul3(X: number[][], Y: number[][]): number[][] {
  return X.map((row) => Y[0]!.map((_, j) => row.reduce((s, x, k) => s + x * Y[k]![j]!, 0)));
}

function transpose(M: number[][]): number[][] {
  return M[0]!.map((_, j) => M.map((row) => row[j]!));
}
