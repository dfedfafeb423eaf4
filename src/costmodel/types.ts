/**
 * Cost-model types. A cost model is a table: one row per mechanism (the class names `analyze` prints) with the
 * expected round-trip cost, its unit, its basis (`guest-rtt` or `host`, see ../../../shared/docs/background.md
 * "Host-side versus guest-side numbers"), a tolerance and its source. Models come from the built-in literature
 * tables (builtin.ts), from CSV/JSON files (load.ts), or from `exitlens model fit` (fit.ts).
 */
import type { Basis } from '../model/analysis.js';
import type { ClassName } from '../model/classes.js';

/** Units a model value may be written in. `cycles` needs a clock rate (row `ghz`, or the model's `clockGhz`). */
export type ModelUnit = 'ns' | 'us' | 'cycles';

export interface CostModelRow {
  mechanism: ClassName;
  /** The value as written, in `unit`. */
  value: number;
  unit: ModelUnit;
  /** Clock rate for `cycles` (GHz = cycles per ns); null for ns/us. */
  clockGhz: number | null;
  /** True when the clock rate is an assumption (the source did not publish it). */
  clockAssumed: boolean;
  basis: Basis;
  /** Relative tolerance (0.25 = ±25 %). */
  tolerance: number;
  source: string;
  /** The source's authors extrapolated this value (it was not measured directly). */
  extrapolated: boolean;
  note: string;
  /** Line in the model file (null for built-in models). */
  line: number | null;
  /** Fitted rows: round trips behind the value, and its 95 % confidence interval in ns. */
  n?: number;
  ci95Ns?: [number, number];
}

/** Components of the transition-counting model (Lutomirski 2022: cost = mode transitions + work). */
export type ComponentName = 'kernel' | 'decode' | 'userspace';

export interface FittedComponent {
  name: ComponentName;
  /** Estimate in ns; null when the trace holds no round trips that separate it. */
  ns: number | null;
  ci95Ns: [number, number] | null;
  /** Round trips that carry this component. */
  evidence: number;
  /** Why it is null, or what it absorbed. */
  note: string;
}

export interface CostModel {
  name: string;
  title: string;
  source: string;
  /** The file it was read from; null for built-ins. */
  file: string | null;
  rows: CostModelRow[];
  /** A transition cost that belongs to the model (overridden by --transition-ns). */
  transition: { ns: number; source: string } | null;
  /** Components, when the model was fitted (`exitlens model fit`). */
  components?: FittedComponent[];
  /** Free-form remarks shown by `model show`. */
  notes: string[];
}

/** The hardware exit+entry cost used to convert between bases, and where it came from. */
export interface Transition {
  ns: number;
  source: string;
}
