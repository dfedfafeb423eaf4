/**
 * `exitlens diff`: compare two analyses per mechanism and per exit reason — change in count, rate, median and
 * p99 — and decide with a test whether latency changed (./stats.ts). A row is a regression only when the change
 * is significant (Mann–Whitney U, Holm-adjusted p < alpha), points to slower, and the median grew by more than
 * the threshold: noise is never a regression, and neither is a significant but negligible shift.
 *
 * Median change in percent is measured against max(median before, one timestamp quantum): a median below the
 * trace's resolution is only known to be under one quantum, so 0 ns → 1 µs on a µs trace reads as +100 %, not ∞.
 * Rates are per second of the analyzed window (the trace span, cut to --since/--until when those were applied).
 */
import type { Analysis, Histogram, StatsRow } from '../model/analysis.js';
import { UsageError } from '../model/errors.js';
import { BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED, binned, holm, mannWhitney, medianDifferenceCi95 } from './stats.js';

export const DIFF_SCHEMA = 'exitlens/diff@1';

/** Significance level after Holm's correction (the conventional 5 %). */
export const DEFAULT_ALPHA = 0.05;
/**
 * Fewest samples per side for a test: the normal approximation of U is commonly taken as adequate from about
 * 10 per group (Siegel & Castellan 1988, §6.4); below that the row is reported, not judged.
 */
export const MIN_SAMPLES = 10;

export interface DiffSide {
  count: number;
  /** Per second of the analyzed window; null when the window is unknown. */
  ratePerSec: number | null;
  meanNs: number | null;
  p50Ns: number | null;
  p99Ns: number | null;
}

export type DiffVerdict = 'slower' | 'faster' | 'no-change' | 'too-few-samples' | 'no-latency' | 'only-before' | 'only-after';

export interface DiffTest {
  name: 'mann-whitney-u';
  u: number;
  z: number;
  p: number;
  /** Holm-adjusted over every tested row of this diff. */
  pAdjusted: number;
  /** P(after > before) + ½ P(equal); 0.5 means no shift. */
  probabilityAfterGreater: number;
}

export interface DiffRow {
  /** `pio-vmm` or `vmx IO_INSTRUCTION`. */
  key: string;
  before: DiffSide | null;
  after: DiffSide | null;
  countChangePct: number | null;
  rateChangePct: number | null;
  p50ChangePct: number | null;
  p99ChangePct: number | null;
  /** 95 % bootstrap CI of median(after) − median(before), ns, from the histograms. */
  medianDiffCi95Ns: [number, number] | null;
  test: DiffTest | null;
  verdict: DiffVerdict;
  /** Significant, slower, and the median change exceeds the threshold (false without a threshold). */
  regression: boolean;
}

export interface DiffInput {
  files: string[];
  source: 'trace' | 'saved';
  mode: Analysis['mode'];
  timeUnit: Analysis['input']['timeUnit'];
  windowSec: number | null;
  classified: number;
}

export interface DiffResult {
  schema: typeof DIFF_SCHEMA;
  before: DiffInput;
  after: DiffInput;
  settings: {
    test: 'mann-whitney-u';
    correction: 'holm';
    alpha: number;
    minSamples: number;
    /** --fail-on-regression PERCENT, or null. */
    thresholdPct: number | null;
    bootstrap: { replicates: number; seed: number };
  };
  mechanisms: DiffRow[];
  exitReasons: DiffRow[];
  /** Keys of the rows that are regressions ("mechanism pio-vmm", "exit reason vmx IO_INSTRUCTION"). */
  regressions: string[];
}

export interface DiffOptions {
  alpha?: number;
  thresholdPct?: number | null;
  minSamples?: number;
}

/** Seconds of trace time the analysis covers (as printed timestamps, cut to its --since/--until window). */
export function windowSeconds(a: Analysis): number | null {
  if (a.input.timeUnit !== 'ns') return null;
  const first = a.input.firstTimestamp !== null ? Number(a.input.firstTimestamp) : Number.NaN;
  const last = a.input.lastTimestamp !== null ? Number(a.input.lastTimestamp) : Number.NaN;
  if (!Number.isFinite(first) || !Number.isFinite(last)) return a.input.spanNs !== null && a.input.spanNs > 0 ? a.input.spanNs / 1e9 : null;
  const since = a.filters.since !== undefined ? Math.max(first, Number(a.filters.since)) : first;
  const until = a.filters.until !== undefined ? Math.min(last, Number(a.filters.until)) : last;
  const w = until - since;
  return w > 0 ? w : null;
}

function pct(before: number | null, after: number | null, floor = 0): number | null {
  if (before === null || after === null) return null;
  const base = Math.max(before, floor);
  if (base <= 0) return after === 0 ? 0 : null;
  return ((after - before) / base) * 100;
}

function sideOf(r: StatsRow, windowSec: number | null): DiffSide {
  return {
    count: r.count,
    ratePerSec: windowSec !== null ? r.count / windowSec : null,
    meanNs: r.meanNs,
    p50Ns: r.p50Ns,
    p99Ns: r.p99Ns,
  };
}

interface Pair {
  key: string;
  label: string;
  before: (StatsRow & { histogram: Histogram }) | null;
  after: (StatsRow & { histogram: Histogram }) | null;
}

function pairRows<T extends StatsRow & { histogram: Histogram }>(b: readonly T[], a: readonly T[], keyOf: (r: T) => string, label: string): Pair[] {
  const map = new Map<string, Pair>();
  for (const r of b) map.set(keyOf(r), { key: keyOf(r), label, before: r, after: null });
  for (const r of a) {
    const p = map.get(keyOf(r));
    if (p !== undefined) p.after = r;
    else map.set(keyOf(r), { key: keyOf(r), label, before: null, after: r });
  }
  return [...map.values()].sort(
    (x, y) => Math.max(y.before?.count ?? 0, y.after?.count ?? 0) - Math.max(x.before?.count ?? 0, x.after?.count ?? 0) || (x.key < y.key ? -1 : 1),
  );
}

function inputOf(a: Analysis, source: 'trace' | 'saved', files: string[]): DiffInput {
  return { files, source, mode: a.mode, timeUnit: a.input.timeUnit, windowSec: windowSeconds(a), classified: a.roundTrips.classified };
}

export function diffAnalyses(
  before: { analysis: Analysis; source: 'trace' | 'saved'; files: string[] },
  after: { analysis: Analysis; source: 'trace' | 'saved'; files: string[] },
  opts: DiffOptions = {},
): DiffResult {
  const A = before.analysis;
  const B = after.analysis;
  if (A.input.timeUnit !== B.input.timeUnit) {
    throw new UsageError(
      `cannot compare durations in ${A.input.timeUnit} (${before.files.join(', ')}) with durations in ${B.input.timeUnit} ` +
        `(${after.files.join(', ')}); pass --tsc-ghz so both are in ns`,
    );
  }
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  const minSamples = opts.minSamples ?? MIN_SAMPLES;
  const threshold = opts.thresholdPct ?? null;
  const qA = A.input.timestampResolutionNs ?? 1;
  const qB = B.input.timestampResolutionNs ?? 1;
  const floor = Math.max(qA, qB);
  const wA = windowSeconds(A);
  const wB = windowSeconds(B);

  const pairs = [
    ...pairRows(A.mechanisms, B.mechanisms, (r) => r.mechanism, 'mechanism'),
    ...pairRows(A.exitReasons, B.exitReasons, (r) => `${r.isa} ${r.reason}`, 'exit reason'),
  ];
  const rows: { row: DiffRow; label: string }[] = [];
  const tested: { row: DiffRow; p: number }[] = [];
  for (const pr of pairs) {
    const b = pr.before;
    const a = pr.after;
    const sb = b !== null ? sideOf(b, wA) : null;
    const sa = a !== null ? sideOf(a, wB) : null;
    const row: DiffRow = {
      key: pr.key,
      before: sb,
      after: sa,
      countChangePct: pct(sb?.count ?? 0, sa?.count ?? 0),
      rateChangePct: sb?.ratePerSec != null && sa?.ratePerSec != null ? pct(sb.ratePerSec, sa.ratePerSec) : null,
      p50ChangePct: pct(sb?.p50Ns ?? null, sa?.p50Ns ?? null, floor),
      p99ChangePct: pct(sb?.p99Ns ?? null, sa?.p99Ns ?? null, floor),
      medianDiffCi95Ns: null,
      test: null,
      verdict: 'no-change',
      regression: false,
    };
    if (b === null) row.verdict = 'only-after';
    else if (a === null) row.verdict = 'only-before';
    else {
      const hb = binned(b.histogram, qA);
      const ha = binned(a.histogram, qB);
      if (hb.n === 0 || ha.n === 0) row.verdict = 'no-latency';
      else if (hb.n < minSamples || ha.n < minSamples) row.verdict = 'too-few-samples';
      else {
        const mw = mannWhitney(hb, ha);
        row.test = { name: 'mann-whitney-u', u: mw.u, z: mw.z, p: mw.p, pAdjusted: mw.p, probabilityAfterGreater: mw.probabilityAfterGreater };
        row.medianDiffCi95Ns = medianDifferenceCi95(hb, ha);
        tested.push({ row, p: mw.p });
      }
    }
    rows.push({ row, label: pr.label });
  }
  const adjusted = holm(tested.map((t) => t.p));
  tested.forEach((t, i) => {
    const test = t.row.test!;
    test.pAdjusted = adjusted[i]!;
    if (test.pAdjusted < alpha) t.row.verdict = test.probabilityAfterGreater > 0.5 ? 'slower' : 'faster';
    t.row.regression = threshold !== null && t.row.verdict === 'slower' && (t.row.p50ChangePct ?? 0) > threshold;
  });
  const regressions: string[] = [];
  const mechanisms: DiffRow[] = [];
  const exitReasons: DiffRow[] = [];
  for (const { row: r, label } of rows) {
    if (label === 'mechanism') mechanisms.push(r);
    else exitReasons.push(r);
    if (r.regression) regressions.push(`${label} ${r.key}`);
  }
  return {
    schema: DIFF_SCHEMA,
    before: inputOf(A, before.source, before.files),
    after: inputOf(B, after.source, after.files),
    settings: {
      test: 'mann-whitney-u',
      correction: 'holm',
      alpha,
      minSamples,
      thresholdPct: threshold,
      bootstrap: { replicates: BOOTSTRAP_REPLICATES, seed: BOOTSTRAP_SEED },
    },
    mechanisms,
    exitReasons,
    regressions,
  };
}
