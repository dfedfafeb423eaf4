/**
 * The data the HTML report's page script draws (embedded as JSON in the page): every series prepared in Node by
 * `./series.ts` from the `Analysis`, so the page only maps them onto ECharts options and the preparation is unit
 * tested without a browser. Durations are in the trace's time unit (ns, or ticks without --tsc-ghz).
 */
import type { Analysis, ModelComparison } from '../../model/analysis.js';
import type { TimeUnit } from '../../model/units.js';

/** One display bin of a histogram: [drawn low, high, count, true low] (a zero-width-on-log first bin is drawn from
 *  half its upper edge; the true low is kept for the tooltip). */
export type DisplayBin = [number, number, number, number];

export interface HistPanel {
  /** Mechanism or exit reason. */
  name: string;
  /** Class colour (exit reasons: the colour of their most frequent class). */
  color: string;
  count: number;
  p50Ns: number | null;
  p99Ns: number | null;
  bins: DisplayBin[];
}

export interface CdfSeries {
  name: string;
  color: string;
  /** Round trips with a duration. */
  count: number;
  /** [x, fraction of round trips shorter than x], x at the bins' upper edges, increasing. */
  points: [number, number][];
}

/** Round-trip mode: how each mechanism's time splits between KVM and the VMM (shares of its total time). */
export interface PhaseBar {
  name: string;
  color: string;
  count: number;
  /** Round trips that reached the VMM. */
  toVmm: number;
  kernelShare: number;
  vmmShare: number;
  meanNs: number | null;
  kernelMeanNs: number | null;
  vmmMeanNs: number | null;
  kernelP50Ns: number | null;
  vmmP50Ns: number | null;
}

/** Access mode: the VMM phase is the only timed part. */
export interface VmmPhaseBar {
  name: string;
  color: string;
  toVmm: number;
  p50Ns: number;
  p90Ns: number;
  p99Ns: number;
  meanNs: number;
}

export interface TimelineView {
  /** Seconds since the first event (ticks when the unit is ticks): bin starts, and the bin width. */
  xs: number[];
  binWidth: number;
  /** true: counts are divided by the bin width in seconds (exits/s); false (ticks): counts per bin. */
  perSecond: boolean;
  series: { name: string; color: string; values: number[] }[];
  untimed: number;
}

export interface HeatmapView {
  xs: number[];
  binWidth: number;
  perSecond: boolean;
  threads: string[];
  /** [x index, thread index, rate]; zero cells left out. */
  cells: [number, number, number][];
  /** Colour scale top: the 95th percentile of the non-zero cells (hotter cells saturate), at least the minimum. */
  scaleMax: number;
  max: number;
}

export interface ReportData {
  title: string;
  unit: TimeUnit;
  mode: Analysis['mode'];
  /** Smallest timestamp step, in the time unit (1 when unknown). */
  quantum: number;
  cdf: CdfSeries[];
  mechanismHistograms: HistPanel[];
  reasonHistograms: HistPanel[];
  /** Exit reasons in the trace, when more than the panels shown. */
  reasonsTotal: number;
  phases: PhaseBar[];
  vmmPhases: VmmPhaseBar[];
  timeline: TimelineView | null;
  heatmap: HeatmapView | null;
  model: ModelComparison | null;
  colors: Record<string, string>;
}
