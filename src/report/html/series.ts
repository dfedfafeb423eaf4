/**
 * Chart series for the HTML report, prepared from an `Analysis` (and its optional `timeline` and `model`).
 * Pure functions, no DOM: the page script only maps these onto ECharts options.
 *
 * - CDF: the analysis keeps each distribution as log-linear bins [low, high, count] (exact below 64 timestamp
 *   quanta, 32 bins per octave above; see stats/accumulator.ts). The fraction of samples below a bin's upper edge
 *   is exact, so the CDF is plotted at the upper edges: F(high_i) = Σ_{j≤i} count_j / n. No zero lands on the log
 *   axis (a [0, 1 µs) bin is plotted at 1 µs).
 * - Histograms: re-binned for display on a log axis, `binsPerOctave` bars per octave (at most 8, fewer for wide
 *   distributions so a panel holds about `DISPLAY_TARGET_BARS` bars), with edges on whole timestamp quanta so that
 *   exact values (µs-quantized traces) are never split between two bars; a display bin is at least one quantum
 *   wide. Each source bin goes wholly to the display bin holding its low edge.
 * - Timeline/heatmap: the analyze pass's `timeline` counts, as rates per second of trace time. The last bin is
 *   covered only up to the last unit's timestamp, so its rate is divided by that covered width (at least
 *   `MIN_LAST_BIN_COVER` of a bin, to bound the noise of a nearly empty tail) instead of showing a false drop.
 */
import type { Analysis, Histogram, MechanismRow, StatsRow, Timeline } from '../../model/analysis.js';
import { ALL_CLASSES } from '../../model/classes.js';
import type {
  CdfSeries,
  DisplayBin,
  HeatmapView,
  HistPanel,
  PhaseBar,
  ReportData,
  TimelineView,
  VmmPhaseBar,
} from './types.js';

/** At most 8 bars per octave (≈9 % wide): fine enough to show modes, coarse enough that 10⁵ samples give smooth bars. */
export const DISPLAY_BINS_PER_OCTAVE = 8;
/** About 64 bars per panel: a 360 px wide panel keeps bars ≥ 4 px, so wide (µs…s) distributions get fewer per octave. */
export const DISPLAY_TARGET_BARS = 64;
/** The last timeline bin's rate uses its covered width, but never less than a tenth of a bin. */
export const MIN_LAST_BIN_COVER = 0.1;
/** Exit-reason histogram panels shown (most frequent first); the sortable table lists them all. */
export const MAX_REASON_PANELS = 12;
/** Colour-scale top of the heatmap: this quantile of the non-zero cells, so one hot cell does not wash out the rest. */
export const HEATMAP_SCALE_QUANTILE = 0.95;

/**
 * One colour per class, the same in every plot; families share a hue (hypercall purple, PIO blue, MMIO green,
 * from ColorBrewer's PRGn/RdBu/BrBG diverging schemes), the other exits get distinct neutral/warm colours.
 */
export const CLASS_COLORS: Record<string, string> = {
  'hypercall-kernel': '#762a83',
  'hypercall-vmm': '#c2a5cf',
  'hypercall-unknown': '#9970ab',
  'pio-kernel': '#2166ac',
  'pio-vmm': '#67a9cf',
  'pio-unknown': '#4393c3',
  'mmio-fast': '#00441b',
  'mmio-kernel': '#1b7837',
  'mmio-vmm': '#7fbf7b',
  'mmio-unknown': '#35978f',
  msr: '#e08214',
  cpuid: '#fdb863',
  hlt: '#878787',
  interrupt: '#d6604d',
  timer: '#b2182b',
  apic: '#bf812d',
  'page-fault': '#8c510a',
  exception: '#c51b7d',
  pause: '#4d4d4d',
  other: '#1a1a1a',
};

export function classColor(c: string): string {
  return CLASS_COLORS[c] ?? '#999999';
}

/** CDF points at the bins' upper edges; empty without samples. */
export function cdfPoints(h: Histogram): [number, number][] {
  let n = 0;
  for (const b of h) n += b[2];
  if (n === 0) return [];
  const out: [number, number][] = [];
  const first = h[0]!;
  if (first[0] > 0) out.push([first[0], 0]);
  let cum = 0;
  for (const [, high, c] of h) {
    if (c === 0) continue;
    cum += c;
    out.push([high, cum / n]);
  }
  return out;
}

/** Bars per octave for a distribution: 8, or fewer so that its whole range takes about DISPLAY_TARGET_BARS bars. */
export function binsPerOctave(h: Histogram, quantum: number): number {
  const q = Math.max(1, quantum);
  const last = h[h.length - 1];
  const first = h.find((b) => b[2] > 0);
  if (last === undefined || first === undefined) return DISPLAY_BINS_PER_OCTAVE;
  const octaves = Math.log2(Math.max(2 * q, last[1]) / Math.max(q, first[0]));
  return Math.max(1, Math.min(DISPLAY_BINS_PER_OCTAVE, Math.floor(DISPLAY_TARGET_BARS / Math.max(1, octaves))));
}

/** Re-bin for a log axis (see the header). `quantum`: timestamp step in the histogram's unit (≥ 1). */
export function displayBins(h: Histogram, quantum: number, perOctave = binsPerOctave(h, quantum)): DisplayBin[] {
  const q = Math.max(1, quantum);
  const factor = 2 ** (1 / perOctave);
  const out: DisplayBin[] = [];
  // Display edges: [0, q), then from q upwards, each edge the next multiple of q at least `factor` times the last.
  let lo = 0;
  let hi = q;
  const next = (e: number) => Math.max(e + q, Math.ceil((e * factor) / q) * q);
  let cur: DisplayBin | null = null;
  for (const [blo, , c] of h) {
    if (c === 0) continue;
    while (blo >= hi) {
      lo = hi;
      hi = next(hi);
      cur = null;
    }
    if (cur === null) {
      cur = [lo === 0 ? hi / 2 : lo, hi, 0, lo];
      out.push(cur);
    }
    cur[2] += c;
  }
  return out;
}

function histPanel(name: string, color: string, row: StatsRow & { histogram: Histogram }, quantum: number): HistPanel {
  return { name, color, count: row.count, p50Ns: row.p50Ns, p99Ns: row.p99Ns, bins: displayBins(row.histogram, quantum) };
}

function hasLatency(r: { histogram: Histogram }): boolean {
  return r.histogram.some((b) => b[2] > 0);
}

function phaseBars(mechs: MechanismRow[]): PhaseBar[] {
  if (!mechs.some((m) => (m.phases?.vmm?.count ?? 0) > 0)) return [];
  const out: PhaseBar[] = [];
  for (const m of mechs) {
    if (m.totalNs === null || m.totalNs <= 0) continue;
    const vmmTotal = m.phases?.vmm?.totalNs ?? 0;
    const n = m.count;
    out.push({
      name: m.mechanism,
      color: classColor(m.mechanism),
      count: n,
      toVmm: m.phases?.vmm?.count ?? 0,
      // A round trip's kernel and VMM phases add up to its duration, and trips that never reach the VMM are all
      // kernel time, so the kernel share of the mechanism's time is everything that is not VMM time.
      kernelShare: (m.totalNs - vmmTotal) / m.totalNs,
      vmmShare: vmmTotal / m.totalNs,
      meanNs: m.meanNs,
      kernelMeanNs: m.phases?.kernel?.meanNs ?? null,
      vmmMeanNs: m.phases?.vmm?.meanNs ?? null,
      kernelP50Ns: m.phases?.kernel?.p50Ns ?? null,
      vmmP50Ns: m.phases?.vmm?.p50Ns ?? null,
    });
  }
  return out;
}

function vmmPhaseBars(mechs: MechanismRow[]): VmmPhaseBar[] {
  const out: VmmPhaseBar[] = [];
  for (const m of mechs) {
    const v = m.phases?.vmm;
    if (v === null || v === undefined || v.count === 0) continue;
    out.push({ name: m.mechanism, color: classColor(m.mechanism), toVmm: v.count, p50Ns: v.p50Ns, p90Ns: v.p90Ns, p99Ns: v.p99Ns, meanNs: v.meanNs });
  }
  return out;
}

/** Bin starts on the x axis: seconds since the first event (ticks for a tick clock), and rates per second. */
function axis(t: Timeline, unit: Analysis['input']['timeUnit'], n: number) {
  const perSecond = unit === 'ns';
  const scale = perSecond ? 1e-9 : 1;
  const xs: number[] = [];
  // Rounded to the ns (9 decimals of a second): exact, and no 0.30000000000000004 in the page.
  for (let i = 0; i < n; i++) xs.push(Number(((t.startNs + i * t.binNs) * scale).toFixed(perSecond ? 9 : 0)));
  // Width of each bin in the rate's denominator: the whole bin, except the last, covered up to the last unit.
  const lastStart = t.startNs + (n - 1) * t.binNs;
  const lastCover = Math.min(t.binNs, Math.max(MIN_LAST_BIN_COVER * t.binNs, t.endNs - lastStart + 1));
  const divs = xs.map((_, i) => (i === n - 1 ? lastCover : t.binNs) * (perSecond ? 1e-9 : 1 / t.binNs));
  return { xs, binWidth: t.binNs * scale, perSecond, divs };
}

export function timelineView(t: Timeline, unit: Analysis['input']['timeUnit']): TimelineView {
  const n = t.classes[0]?.counts.length ?? 0;
  const ax = axis(t, unit, n);
  return {
    xs: ax.xs,
    binWidth: ax.binWidth,
    perSecond: ax.perSecond,
    series: t.classes.map((c) => ({ name: c.mechanism, color: classColor(c.mechanism), values: c.counts.map((v, i) => v / ax.divs[i]!) })),
    untimed: t.untimed,
  };
}

export function heatmapView(t: Timeline, unit: Analysis['input']['timeUnit']): HeatmapView | null {
  if (t.threads.length === 0) return null;
  const n = t.threads[0]!.counts.length;
  const ax = axis(t, unit, n);
  const cells: [number, number, number][] = [];
  t.threads.forEach((th, y) => {
    th.counts.forEach((c, x) => {
      if (c > 0) cells.push([x, y, c / ax.divs[x]!]);
    });
  });
  const vals = cells.map((c) => c[2]).sort((a, b) => a - b);
  const max = vals[vals.length - 1] ?? 0;
  const qi = Math.min(vals.length - 1, Math.floor(HEATMAP_SCALE_QUANTILE * vals.length));
  const scaleMax = vals.length === 0 ? 0 : Math.max(vals[0]!, vals[qi]!);
  return { xs: ax.xs, binWidth: ax.binWidth, perSecond: ax.perSecond, threads: t.threads.map((x) => x.thread), cells, scaleMax, max };
}

/** Every series the page draws. */
export function reportData(a: Analysis): ReportData {
  const quantum = a.input.timestampResolutionNs ?? 1;
  const mechs = a.mechanisms.filter(hasLatency);
  const reasons = a.exitReasons.filter(hasLatency);
  const reasonName = (r: Analysis['exitReasons'][number]) => (r.isa === a.input.isa ? r.reason : `${r.reason} (${r.isa})`);
  const topClass = (m: Record<string, number>) => Object.entries(m).sort((x, y) => y[1] - x[1])[0]?.[0] ?? '';
  const colors: Record<string, string> = {};
  for (const c of ALL_CLASSES) colors[c] = classColor(c);
  return {
    title: `exitlens — ${a.input.files.join(', ')}`,
    unit: a.input.timeUnit,
    mode: a.mode,
    quantum,
    cdf: mechs.map<CdfSeries>((m) => ({
      name: m.mechanism,
      color: classColor(m.mechanism),
      count: m.histogram.reduce((s, b) => s + b[2], 0),
      points: cdfPoints(m.histogram),
    })),
    mechanismHistograms: mechs.map((m) => histPanel(m.mechanism, classColor(m.mechanism), m, quantum)),
    reasonHistograms: reasons
      .slice(0, MAX_REASON_PANELS)
      .map((r) => histPanel(reasonName(r), classColor(topClass(r.classes)), r, quantum)),
    reasonsTotal: reasons.length,
    phases: a.mode === 'round-trips' ? phaseBars(a.mechanisms) : [],
    vmmPhases: a.mode === 'accesses' ? vmmPhaseBars(a.mechanisms) : [],
    timeline: a.timeline !== undefined ? timelineView(a.timeline, a.input.timeUnit) : null,
    heatmap: a.timeline !== undefined ? heatmapView(a.timeline, a.input.timeUnit) : null,
    model: a.model ?? null,
    colors,
  };
}
