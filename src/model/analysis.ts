/**
 * The analysis result: what `analyze --json` prints (schema `exitlens/analysis@1`, documented in the README) and
 * what every renderer, `check`, `diff` and the HTML report consume. Renderers never compute; they read this.
 *
 * All durations are integers in `input.timeUnit` (ns unless the trace used a counter clock and no --tsc-ghz was
 * given). Latency fields are null where the trace does not allow a measurement (access mode, no samples).
 */
import type { ClassName } from './classes.js';
import type { DiagnosticSummary, Severity } from './diagnostics.js';
import type { Isa } from './events.js';
import type { TimeUnit } from './units.js';

export const ANALYSIS_SCHEMA = 'exitlens/analysis@1';

export interface LatencyStats {
  /** Samples with a duration. */
  count: number;
  totalNs: number;
  meanNs: number;
  stddevNs: number;
  minNs: number;
  p50Ns: number;
  p90Ns: number;
  p99Ns: number;
  p999Ns: number;
  maxNs: number;
}

/** A stats row: counts, shares and latency. Latency fields are null when no sample had a duration. */
export interface StatsRow {
  /** Round trips (or accesses) in this row. */
  count: number;
  /** Share of all classified round trips (0..1). */
  share: number;
  /** Share of the total round-trip time (0..1); null without latencies. */
  timeShare: number | null;
  totalNs: number | null;
  meanNs: number | null;
  stddevNs: number | null;
  minNs: number | null;
  p50Ns: number | null;
  p90Ns: number | null;
  p99Ns: number | null;
  p999Ns: number | null;
  maxNs: number | null;
  /** Kernel phase (exit → kvm_userspace_exit) and VMM phase (kvm_userspace_exit → entry), where they exist. */
  phases?: { kernel: LatencyStats | null; vmm: LatencyStats | null };
}

/** A distribution as log-linear bins [lowNs, highNs, count] (low ≤ v < high): exact below 64 timestamp quanta,
 *  then 32 bins per octave. Mergeable; enough for plots, CDFs and rank tests on saved analyses. */
export type Histogram = [number, number, number][];

export interface MechanismRow extends StatsRow {
  mechanism: ClassName;
  histogram: Histogram;
  /** True for the seven communication mechanisms and their -unknown variants. */
  communication: boolean;
  /** Evidence signatures that led to this class, with counts (e.g. "IO_INSTRUCTION+kvm_pio+KVM_EXIT_IO"). */
  evidence: Record<string, number>;
}

export interface ExitReasonRow extends StatsRow {
  histogram: Histogram;
  isa: Isa;
  /** Canonical name: the kernel's VMX (uppercase) or SVM (lowercase) table name, arm64 exception class. */
  reason: string;
  /** Class counts of the round trips with this reason. */
  classes: Record<string, number>;
}

export interface VcpuRow extends StatsRow {
  /** Stable key: `[instance:]comm-tid` plus `/vcpu N` when known. */
  thread: string;
  comm: string;
  tid: number;
  vcpu: number;
  instance: string;
  classes: Record<string, number>;
}

export interface DeviceRow extends StatsRow {
  space: 'pio' | 'mmio';
  address: number;
  /** `0x3f8` */
  addressHex: string;
  /** Well-known PC device at this address, '' when none. */
  name: string;
  direction: 'read' | 'write';
  /** Access size in bytes → count. */
  sizes: Record<string, number>;
  classes: Record<string, number>;
}

export interface RoundTripCounts {
  /** kvm_exit events seen (after filters). */
  exits: number;
  entries: number;
  /** Exit → entry pairs with a valid duration. */
  complete: number;
  orphanExits: number;
  orphanEntries: number;
  negative: number;
  discardedLost: number;
  /** Round trips without a timestamp on one side (columns cut); classified, no latency. */
  untimed: number;
  /** Access events on threads with exits but outside any round trip. */
  strayAccesses: number;
  /** Access mode: accesses grouped without kvm_exit/kvm_entry. */
  accesses: number;
  /** Round trips (or accesses) excluded by --vcpu/--pid/--since/--until. */
  filtered: number;
  /** Round trips (or accesses) that were classified and summarized. */
  classified: number;
  /** Sum over vCPU threads of their first→last event span (the vCPU time the trace covers), ns; 0 if unknown. */
  vcpuTimeNs: number;
}

export interface InputSummary {
  files: string[];
  format: string;
  /** Lines read, and how each was accounted for. */
  lines: number;
  events: number;
  nonEventLines: number;
  unrecognizedLines: number;
  bytes: number;
  /** Event name → count (every event, KVM or not). */
  eventCounts: Record<string, number>;
  /** Smallest timestamp step the text can express, ns (1000 for µs text, 1 for ns); null for ticks/unknown. */
  timestampResolutionNs: number | null;
  timeUnit: TimeUnit;
  tscGhz: number | null;
  isa: Isa;
  /** First and last timestamp, seconds as printed (string, exact), and the span in the time unit. */
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  spanNs: number | null;
  diagnostics: {
    bySeverity: Record<Severity, number>;
    byCode: DiagnosticSummary[];
  };
}

export interface Analysis {
  schema: typeof ANALYSIS_SCHEMA;
  tool: { name: 'exitlens'; version: string };
  /** `round-trips`: kvm_exit/kvm_entry pairs; `accesses`: the trace had none, access events were grouped. */
  mode: 'round-trips' | 'accesses';
  input: InputSummary;
  roundTrips: RoundTripCounts;
  mechanisms: MechanismRow[];
  exitReasons: ExitReasonRow[];
  vcpus: VcpuRow[];
  devices: DeviceRow[];
  /** Plain-language notes on what the trace allows (e.g. latency needs kvm_exit/kvm_entry). */
  notes: string[];
  /** Filters applied (--vcpu, --pid, --since, --until). */
  filters: Record<string, string | number | number[]>;
  /** Comparison with a cost model (`analyze --model`); absent when no model was applied. */
  model?: ModelComparison;
  /** Exit counts over time per class and per vCPU thread (`analyze --json`/`--html`); absent from library runs. */
  timeline?: Timeline;
}

/**
 * Round trips (accesses) counted per time bin, from the time of their kvm_exit (access mode: their first event).
 * A fixed number of bins whose width doubles (neighbours merged) as the trace's span grows: memory stays bounded.
 */
export interface Timeline {
  /** Start of bin 0, in the time unit, after the input's earliest timestamp; every bin is `binNs` wide. */
  startNs: number;
  binNs: number;
  /** Timestamp of the last unit counted (same base): the last bin is covered only up to here. */
  endNs: number;
  /** Per class (same names as `mechanisms[]`), counts per bin; most frequent first. */
  classes: { mechanism: string; counts: number[] }[];
  /** Per vCPU thread (same labels as `vcpus[].thread`), counts per bin; threads beyond a limit are merged. */
  threads: { thread: string; vcpu: number; counts: number[] }[];
  /** Units without a timestamp (columns cut), in no bin. */
  untimed: number;
}

/** Basis of a latency figure: `guest-rtt` = measured in the guest around the whole round trip (hardware
 *  transitions included); `host` = kvm_exit → kvm_entry as a host trace sees it. */
export type Basis = 'guest-rtt' | 'host';

export type Verdict = 'within' | 'faster' | 'slower' | 'too-few-samples' | 'no-latency' | 'not-in-model';

export interface ModelComparisonRow {
  mechanism: string;
  /** Round trips with a duration. */
  samples: number;
  observedMedianNs: number | null;
  observedMeanNs: number | null;
  /** 95 % bootstrap confidence intervals. */
  medianCi95Ns: [number, number] | null;
  meanCi95Ns: [number, number] | null;
  /** The model's value as written (value, unit) and converted to ns on the trace's basis. */
  modelValue: number | null;
  modelUnit: string | null;
  modelBasis: Basis | null;
  modelNs: number | null;
  /** Relative tolerance of the model row (0.25 = ±25 %). */
  tolerance: number | null;
  /** observed median / model. */
  ratio: number | null;
  verdict: Verdict;
  /** Source of the model row, and whether its authors extrapolated it. */
  source: string | null;
  extrapolated: boolean;
  /** Round trips (or accesses) of this mechanism in the trace, timed or not. */
  count?: number;
  /** observed mean / model. */
  meanRatio?: number | null;
  /** Median VMM phase (kvm_userspace_exit → entry, or → next event in access mode), where the trace has one. */
  vmmPhaseMedianNs?: number | null;
  /** Clock rate used to convert a model value in cycles. */
  modelClockGhz?: number | null;
  /** Why a value is missing or assumed. */
  note?: string;
}

export interface WhatIfRow {
  from: string;
  to: string;
  count: number;
  observedNs: number;
  alternativeNs: number;
  /** count × (observed − alternative), ns. */
  savedNs: number;
  /** savedNs / total vCPU time in the trace (sum of thread spans), 0..1. */
  shareOfVcpuTime: number;
  /** Where the alternative's cost came from: `observed` in this trace, or `model`. */
  alternativeFrom: 'observed' | 'model';
  /** Where `observedNs` came from: `model` when the trace has no latency for `from` (access mode). */
  observedFrom?: 'observed' | 'model';
  /** How to switch to the alternative. */
  how?: string;
}

export interface ModelComparison {
  model: { name: string; title: string; source: string; file: string | null };
  /** The trace's basis (`host` for kvm_exit→kvm_entry traces). */
  traceBasis: Basis;
  /** Hardware exit+entry transition cost used to convert between bases, and where it came from. */
  transitionNs: number;
  transitionSource: string;
  /** Mechanisms with fewer samples are reported, not judged. */
  minSamples: number;
  rows: ModelComparisonRow[];
  agreement: {
    /** Spearman's rank correlation between observed medians and model values over judged mechanisms. */
    spearmanRho: number | null;
    /** Mean absolute percentage error of observed medians against the model. */
    mape: number | null;
    compared: number;
  };
  whatIf: WhatIfRow[];
  /** Denominator of the what-if shares (roundTrips.vcpuTimeNs, or span × vCPU threads when that is 0). */
  vcpuTimeNs?: number;
  /** Timestamp quantum the median intervals were widened by. */
  timestampResolutionNs?: number | null;
  /** Plain-language notes on what the comparison could and could not do. */
  notes?: string[];
}
