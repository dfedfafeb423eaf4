/**
 * `exitlens check --update`: write what the trace shows into the expectation file, snapshot style (as
 * `jest -u` / `vitest -u` rewrite snapshots), so that accepting a new baseline is a reviewable diff.
 *
 * What is written: the mode; input format, ISA, event count, and the warning/data-loss/error diagnostic counts (by
 * severity and by code); all round-trip counts;
 * per mechanism, exit reason, vCPU and device the exact `count`, and for rows with latency the median and p99 as
 * `{min, max}` bounds (also for the kernel/VMM phases); with a model comparison, each row's verdict and ratio
 * bounds, ρ as a lower bound and MAPE as an upper bound. Counts are exact: a committed trace gives the same
 * counts every time. Latency bounds are observed × (1 ± tolerance), widened by one timestamp quantum, because a
 * percentile of µs-quantized data moves in whole quanta (a 0 ns median would otherwise get the bounds 0 … 0).
 *
 * Settings (`$schema`, `name`, `description`, `trace`, `options`, `tolerance`) are kept; the assertion sections
 * are replaced whole. YAML files are edited through the `yaml` Document API, so comments on kept keys survive.
 * JSON is written with 2-space indentation, short objects and arrays on one line (reviewable diffs).
 */
import type { Analysis, LatencyStats, StatsRow } from '../model/analysis.js';
import { isScalar, visit, type Node } from 'yaml';
import type { LoadedExpectation } from './load.js';
import { ASSERTION_KEYS, DEFAULT_TOLERANCE, SETTING_KEYS, type Expectation, type LatencyExpect, type Range } from './schema.js';

// DEFAULT_TOLERANCE lives in ./schema.ts (yaml-free, so the CLI can show it without loading this module).
export { DEFAULT_TOLERANCE };

/** Digits kept for generated fraction bounds (ρ, MAPE, ratios): 3 decimals are finer than any tolerance used. */
const FRACTION_DECIMALS = 3;

/** x rounded to 1e-6 first, so that 55000 × 1.1 = 60500.000000000007 does not round up to 60501. */
const clean = (x: number): number => Math.round(x * 1e6) / 1e6;

function latencyBound(v: number, tol: number, quantum: number): Range {
  return { min: Math.max(0, Math.floor(clean(v * (1 - tol))) - quantum), max: Math.ceil(clean(v * (1 + tol))) + quantum };
}

function roundDown(x: number): number {
  const f = 10 ** FRACTION_DECIMALS;
  return Math.floor(clean(x * f)) / f;
}
function roundUp(x: number): number {
  const f = 10 ** FRACTION_DECIMALS;
  return Math.ceil(clean(x * f)) / f;
}

function latencyOf(s: { p50Ns: number | null; p99Ns: number | null }, tol: number, q: number): LatencyExpect {
  const out: LatencyExpect = {};
  if (s.p50Ns !== null) out.p50Ns = latencyBound(s.p50Ns, tol, q);
  if (s.p99Ns !== null) out.p99Ns = latencyBound(s.p99Ns, tol, q);
  return out;
}

function phasesOf(row: StatsRow, tol: number, q: number): Record<string, unknown> | undefined {
  const ph = row.phases;
  if (ph === undefined) return undefined;
  const out: Record<string, LatencyExpect> = {};
  for (const k of ['kernel', 'vmm'] as const) {
    const s: LatencyStats | null = ph[k];
    if (s !== null && s.count > 0) out[k] = { count: s.count, ...latencyOf(s, tol, q) };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function rowOf(row: StatsRow, tol: number, q: number): Record<string, unknown> {
  const out: Record<string, unknown> = { count: row.count, ...latencyOf(row, tol, q) };
  const ph = phasesOf(row, tol, q);
  if (ph !== undefined) out.phases = ph;
  return out;
}

/** The assertion sections that describe this analysis. */
export function observedAssertions(a: Analysis, tolerance: number): Partial<Expectation> {
  const q = a.input.timestampResolutionNs ?? 1;
  const t = tolerance;
  // Info-level diagnostics (prose lines, events exitlens does not use) change no number; snapshotting them would
  // make every parser improvement fail unrelated expectation files.
  const byCode: Record<string, number> = {};
  for (const c of a.input.diagnostics.byCode) if (c.severity !== 'info') byCode[c.code] = c.count;
  const { warning, dataLoss, error } = a.input.diagnostics.bySeverity;
  const rt: Record<string, number> = {};
  for (const [k, v] of Object.entries(a.roundTrips)) if (k !== 'vcpuTimeNs') rt[k] = v;
  const out: Record<string, unknown> = {
    mode: a.mode,
    input: {
      format: a.input.format,
      isa: a.input.isa,
      events: a.input.events,
      diagnostics: { bySeverity: { warning, dataLoss, error }, byCode },
    },
    roundTrips: rt,
    mechanisms: a.mechanisms.map((m) => ({ mechanism: m.mechanism, ...rowOf(m, t, q) })),
    exitReasons: a.exitReasons.map((r) => ({ isa: r.isa, reason: r.reason, ...rowOf(r, t, q) })),
    vcpus: a.vcpus.map((v) => ({ thread: v.thread, ...rowOf(v, t, q) })),
    devices: a.devices.map((d) => ({ space: d.space, addressHex: d.addressHex, direction: d.direction, ...rowOf(d, t, q) })),
  };
  for (const k of ['exitReasons', 'vcpus', 'devices'] as const) if ((out[k] as unknown[]).length === 0) delete out[k];
  const m = a.model;
  if (m !== undefined) {
    const rows = m.rows.map((r) => {
      const o: Record<string, unknown> = { mechanism: r.mechanism, verdict: r.verdict };
      if (r.ratio !== null) o.ratio = { min: roundDown(r.ratio * (1 - t)), max: roundUp(r.ratio * (1 + t)) };
      return o;
    });
    const agreement: Record<string, unknown> = { compared: m.agreement.compared };
    if (m.agreement.spearmanRho !== null) agreement.spearmanRho = { min: roundDown(m.agreement.spearmanRho) };
    if (m.agreement.mape !== null) agreement.mape = { max: roundUp(m.agreement.mape * (1 + t)) };
    out.model = { rows, agreement };
  }
  return out as Partial<Expectation>;
}

/** One-line JSON with a space after `:` and `,` (outside strings: leaves go through JSON.stringify). */
function flat(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(flat).join(', ')}]`;
  const e = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  return `{${e.map(([k, x]) => `${JSON.stringify(k)}: ${flat(x)}`).join(', ')}}`;
}

/** JSON with 2-space indentation; objects and arrays that fit in `width` columns stay on one line. */
export function stringifyCompact(v: unknown, width = 120, indent = ''): string {
  const one = flat(v);
  if (v === null || typeof v !== 'object' || indent.length + one.length <= width) return one;
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    return `[\n${v.map((x) => inner + stringifyCompact(x, width, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  const body = entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${stringifyCompact(x, width, inner)}`);
  return `{\n${body.join(',\n')}\n${indent}}`;
}

/** YAML: collections of at most this many scalars go on one line (`{min: 8000, max: 14000}`). */
const YAML_FLOW_ITEMS = 4;

function flowShortCollections(node: unknown): void {
  visit(node as Node, {
    Map(_k, m) {
      if (m.items.length <= YAML_FLOW_ITEMS && m.items.every((p) => isScalar(p.value))) m.flow = true;
    },
    Seq(_k, s) {
      if (s.items.length <= YAML_FLOW_ITEMS && s.items.every((x) => isScalar(x))) s.flow = true;
    },
  });
}

/** The new file text: settings kept, assertion sections replaced by the observed values. */
export function updatedText(loaded: LoadedExpectation, a: Analysis, toleranceOverride?: number): string {
  const exp = loaded.expectation;
  const tol = toleranceOverride ?? exp.tolerance ?? DEFAULT_TOLERANCE;
  const obs = observedAssertions(a, tol) as Record<string, unknown>;
  if (loaded.syntax === 'yaml') {
    const doc = loaded.doc;
    for (const k of ASSERTION_KEYS) {
      if (obs[k] === undefined) doc.delete(k);
      else {
        const node = doc.createNode(obs[k]);
        flowShortCollections(node);
        doc.set(k, node);
      }
    }
    if (toleranceOverride !== undefined) doc.set('tolerance', toleranceOverride);
    return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  }
  const out: Record<string, unknown> = {};
  const src = exp as unknown as Record<string, unknown>;
  for (const k of SETTING_KEYS) if (src[k] !== undefined) out[k] = src[k];
  if (toleranceOverride !== undefined) out.tolerance = toleranceOverride;
  for (const k of ASSERTION_KEYS) if (obs[k] !== undefined) out[k] = obs[k];
  return `${stringifyCompact(out)}\n`;
}
