/**
 * The expectation file (`exitlens check`): its TypeScript shape and the JSON Schema (draft-07, validated with Ajv)
 * that every file, JSON or YAML, must satisfy before it is run.
 *
 * Names follow the analysis JSON (`exitlens/analysis@1`, src/model/analysis.ts): rows are picked by their key
 * fields (`mechanism`; `reason` + optional `isa`; `thread` / `tid` / `vcpu`; `space` + `addressHex` + optional
 * `direction`), every other field is an assertion on the field of the same name. An assertion value is a Range: a
 * number (exact) or `{min, max}` (inclusive, either may be left out). The smallest file is `{"trace": "t.txt"}`;
 * paths are relative to the expectation file.
 */
import type { RoundTripCounts, Verdict } from '../model/analysis.js';
import { ALL_CLASSES, type ClassName } from '../model/classes.js';
import { DIAGNOSTIC_CODES, SEVERITIES, type DiagnosticCode, type Severity } from '../model/diagnostics.js';
import type { Isa } from '../model/events.js';

/**
 * Default relative tolerance of generated latency bounds (±25 %). A committed trace gives the same numbers on every
 * run, so the bounds matter only when the trace is re-recorded or the statistics change: a quarter leaves room for
 * run-to-run variation of a re-recorded workload, while a change of path moves a median by a multiple (in
 * fixtures/public/020 the kernel phase of a VMM-handled port I/O is 3 µs of its 55 µs). Set per file
 * (`"tolerance"`) or per run (`--tolerance`).
 */
export const DEFAULT_TOLERANCE = 0.25;

export const EXPECTATION_SCHEMA_ID = 'https://exitlens.dev/schema/expectation@1.json';

export type Range = number | { min?: number; max?: number };

export const LATENCY_FIELDS = ['count', 'totalNs', 'meanNs', 'stddevNs', 'minNs', 'p50Ns', 'p90Ns', 'p99Ns', 'p999Ns', 'maxNs'] as const;
export type LatencyField = (typeof LATENCY_FIELDS)[number];
export const ROW_FIELDS = [...LATENCY_FIELDS, 'share', 'timeShare'] as const;
export type RowField = (typeof ROW_FIELDS)[number];

export type LatencyExpect = Partial<Record<LatencyField, Range>>;

export interface RowExpect extends Partial<Record<RowField, Range>> {
  phases?: { kernel?: LatencyExpect; vmm?: LatencyExpect };
}
export interface MechanismExpect extends RowExpect {
  mechanism: ClassName;
  /** Evidence signature → count. */
  evidence?: Record<string, Range>;
}
export interface ExitReasonExpect extends RowExpect {
  reason: string;
  isa?: Isa;
  classes?: Record<string, Range>;
}
export interface VcpuExpect extends RowExpect {
  thread?: string;
  tid?: number;
  vcpu?: number;
  classes?: Record<string, Range>;
}
export interface DeviceExpect extends RowExpect {
  space: 'pio' | 'mmio';
  addressHex: string;
  direction?: 'read' | 'write';
  classes?: Record<string, Range>;
}

export interface DiagnosticsExpect {
  /** Sugar: at most this many error-level diagnostics (`bySeverity.error`). */
  maxErrors?: number;
  maxWarnings?: number;
  maxDataLoss?: number;
  /** Events the tracer reported lost (the `lost_events` code's count). */
  lostEvents?: Range;
  bySeverity?: Partial<Record<Severity, Range>>;
  byCode?: Partial<Record<DiagnosticCode, Range>>;
}

export const INPUT_COUNT_FIELDS = ['lines', 'events', 'nonEventLines', 'unrecognizedLines', 'timestampResolutionNs'] as const;
export interface InputExpect extends Partial<Record<(typeof INPUT_COUNT_FIELDS)[number], Range>> {
  format?: string;
  isa?: Isa;
  diagnostics?: DiagnosticsExpect;
}

export const ROUND_TRIP_FIELDS = [
  'exits',
  'entries',
  'complete',
  'orphanExits',
  'orphanEntries',
  'negative',
  'discardedLost',
  'untimed',
  'strayAccesses',
  'accesses',
  'filtered',
  'classified',
  'vcpuTimeNs',
] as const satisfies readonly (keyof RoundTripCounts)[];

export interface ModelRowExpect {
  mechanism: string;
  /** observed median / model. */
  ratio?: Range;
  samples?: Range;
  observedMedianNs?: Range;
  /** One verdict, or any of a list. */
  verdict?: Verdict | Verdict[];
}
export interface ModelExpect {
  rows?: ModelRowExpect[];
  agreement?: { spearmanRho?: Range; mape?: Range; compared?: Range };
}

/** Options passed to the analysis of the trace (same meaning as the `analyze` flags). */
export interface FileOptions {
  format?: 'auto' | 'ftrace' | 'trace-cmd' | 'perf-script';
  vcpu?: number[];
  pid?: number[];
  since?: string | number;
  until?: string | number;
  isa?: 'vmx' | 'svm';
  tscGhz?: number;
  /** Cost model (`analyze --model`): a built-in name, or a file path relative to the expectation file. */
  model?: string;
}

export interface Expectation {
  $schema?: string;
  name?: string;
  description?: string;
  /** The trace (or a saved `analyze --json` analysis), relative to the expectation file; several = one trace. */
  trace: string | string[];
  options?: FileOptions;
  /** Relative tolerance `check --update` gives generated latency bounds (default DEFAULT_TOLERANCE). */
  tolerance?: number;
  mode?: 'round-trips' | 'accesses';
  input?: InputExpect;
  roundTrips?: Partial<Record<(typeof ROUND_TRIP_FIELDS)[number], Range>>;
  mechanisms?: MechanismExpect[];
  exitReasons?: ExitReasonExpect[];
  vcpus?: VcpuExpect[];
  devices?: DeviceExpect[];
  model?: ModelExpect;
}

/** Keys that are not assertions (kept as they are by `--update`). */
export const SETTING_KEYS = ['$schema', 'name', 'description', 'trace', 'options', 'tolerance'] as const;
/** Assertion sections, in the order `--update` writes them. */
export const ASSERTION_KEYS = ['mode', 'input', 'roundTrips', 'mechanisms', 'exitReasons', 'vcpus', 'devices', 'model'] as const;

// ---------------------------------------------------------------------------------------------------------------
// JSON Schema. `description` on the Range node is what a user sees when a value is neither a number nor {min, max}.

const RANGE = {
  description: 'a number (exact) or {"min": N, "max": N} (inclusive; either may be left out)',
  anyOf: [
    { type: 'number' },
    {
      type: 'object',
      properties: { min: { type: 'number' }, max: { type: 'number' } },
      additionalProperties: false,
      minProperties: 1,
    },
  ],
} as const;

const rangesOf = (keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, RANGE]));
const rangeMap = { type: 'object', additionalProperties: RANGE } as const;

const LATENCY = { type: 'object', properties: rangesOf(LATENCY_FIELDS), additionalProperties: false } as const;
const rowProps = {
  ...rangesOf(ROW_FIELDS),
  phases: { type: 'object', properties: { kernel: LATENCY, vmm: LATENCY }, additionalProperties: false },
};
const ISA = { enum: ['vmx', 'svm', 'arm64', 'unknown'] } as const;
const VERDICTS: Verdict[] = ['within', 'faster', 'slower', 'too-few-samples', 'no-latency', 'not-in-model'];

export const EXPECTATION_JSON_SCHEMA = {
  $id: EXPECTATION_SCHEMA_ID,
  title: 'exitlens expectation file',
  type: 'object',
  required: ['trace'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    trace: {
      description: 'a trace file path (or a saved analysis JSON) relative to this file, or a list of them read as one trace',
      anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }],
    },
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        format: { enum: ['auto', 'ftrace', 'trace-cmd', 'perf-script'] },
        vcpu: { type: 'array', items: { type: 'integer', minimum: 0 } },
        pid: { type: 'array', items: { type: 'integer', minimum: 0 } },
        since: { type: ['string', 'number'] },
        until: { type: ['string', 'number'] },
        isa: { enum: ['vmx', 'svm'] },
        tscGhz: { type: 'number', exclusiveMinimum: 0 },
        model: { type: 'string', minLength: 1 },
      },
    },
    tolerance: { type: 'number', minimum: 0, maximum: 10 },
    mode: { enum: ['round-trips', 'accesses'] },
    input: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...rangesOf(INPUT_COUNT_FIELDS),
        format: { type: 'string' },
        isa: ISA,
        diagnostics: {
          type: 'object',
          additionalProperties: false,
          properties: {
            maxErrors: { type: 'integer', minimum: 0 },
            maxWarnings: { type: 'integer', minimum: 0 },
            maxDataLoss: { type: 'integer', minimum: 0 },
            lostEvents: RANGE,
            bySeverity: { type: 'object', properties: rangesOf(SEVERITIES), additionalProperties: false },
            byCode: { type: 'object', properties: rangesOf(Object.keys(DIAGNOSTIC_CODES)), additionalProperties: false },
          },
        },
      },
    },
    roundTrips: { type: 'object', properties: rangesOf(ROUND_TRIP_FIELDS), additionalProperties: false },
    mechanisms: {
      type: 'array',
      items: {
        type: 'object',
        required: ['mechanism'],
        additionalProperties: false,
        properties: { mechanism: { enum: [...ALL_CLASSES] }, evidence: rangeMap, ...rowProps },
      },
    },
    exitReasons: {
      type: 'array',
      items: {
        type: 'object',
        required: ['reason'],
        additionalProperties: false,
        properties: { reason: { type: 'string', minLength: 1 }, isa: ISA, classes: rangeMap, ...rowProps },
      },
    },
    vcpus: {
      type: 'array',
      items: {
        type: 'object',
        description: 'a vCPU row picked by "thread", "tid" or "vcpu" (give at least one)',
        anyOf: [{ required: ['thread'] }, { required: ['tid'] }, { required: ['vcpu'] }],
        additionalProperties: false,
        properties: {
          thread: { type: 'string', minLength: 1 },
          tid: { type: 'integer', minimum: 0 },
          vcpu: { type: 'integer', minimum: -1 },
          classes: rangeMap,
          ...rowProps,
        },
      },
    },
    devices: {
      type: 'array',
      items: {
        type: 'object',
        required: ['space', 'addressHex'],
        additionalProperties: false,
        properties: {
          space: { enum: ['pio', 'mmio'] },
          addressHex: { type: 'string', pattern: '^0x[0-9a-fA-F]+$' },
          direction: { enum: ['read', 'write'] },
          classes: rangeMap,
          ...rowProps,
        },
      },
    },
    model: {
      type: 'object',
      additionalProperties: false,
      properties: {
        rows: {
          type: 'array',
          items: {
            type: 'object',
            required: ['mechanism'],
            additionalProperties: false,
            properties: {
              mechanism: { type: 'string', minLength: 1 },
              ratio: RANGE,
              samples: RANGE,
              observedMedianNs: RANGE,
              verdict: {
                description: `a verdict (${VERDICTS.join(', ')}) or a list of accepted verdicts`,
                anyOf: [{ enum: VERDICTS }, { type: 'array', items: { enum: VERDICTS }, minItems: 1 }],
              },
            },
          },
        },
        agreement: {
          type: 'object',
          additionalProperties: false,
          properties: { spearmanRho: RANGE, mape: RANGE, compared: RANGE },
        },
      },
    },
  },
} as const;
