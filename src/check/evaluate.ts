/**
 * Evaluating an expectation file against an analysis: one result per assertion, each with the observed value, the
 * expected value or range, and the line of the assertion in the expectation file. Computes nothing about the
 * trace itself; it reads the `Analysis` (src/model/analysis.ts) that `analyze` produced.
 *
 * Rules: a Range is inclusive; an exact number matches integers exactly and non-integers to a relative 1e-9 (the
 * JSON round trip of a float such as a share is exact, but a hand-typed 0.1 + 0.2 is not). A row that is not in
 * the trace has count 0 (so `"count": 0` asserts absence); its latency is absent and fails any latency assertion.
 */
import type { Analysis, LatencyStats, StatsRow } from '../model/analysis.js';
import { formatDuration, type TimeUnit } from '../model/units.js';
import type {
  DeviceExpect,
  ExitReasonExpect,
  Expectation,
  LatencyExpect,
  MechanismExpect,
  Range,
  RowExpect,
  VcpuExpect,
} from './schema.js';
import { INPUT_COUNT_FIELDS, LATENCY_FIELDS, ROUND_TRIP_FIELDS, ROW_FIELDS } from './schema.js';

export interface AssertionResult {
  /** Readable id: `mechanisms[pio-vmm].phases.vmm.p99Ns`. */
  id: string;
  /** Path of the asserted value in the expectation file. */
  path: (string | number)[];
  line: number | null;
  pass: boolean;
  /** Observed and expected, rendered for people ("20000 ns (20.0µs)", "≤ 15000 ns (15.0µs)"). */
  observed: string;
  expected: string;
}

/** Relative tolerance for exact non-integer numbers (see header). */
const FLOAT_EQ = 1e-9;

type Kind = 'count' | 'duration' | 'fraction';

function kindOf(field: string): Kind {
  if (field.endsWith('Ns')) return 'duration';
  if (['share', 'timeShare', 'ratio', 'mape', 'spearmanRho'].includes(field)) return 'fraction';
  return 'count';
}

export function inRange(v: number, r: Range): boolean {
  if (typeof r === 'number') {
    if (Number.isInteger(r) && Number.isInteger(v)) return v === r;
    return Math.abs(v - r) <= FLOAT_EQ * Math.max(1, Math.abs(r));
  }
  return (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max);
}

function fmtValue(v: number, kind: Kind, unit: TimeUnit): string {
  if (kind === 'duration') {
    if (unit === 'ticks') return `${v} ticks`;
    const raw = Number.isInteger(v) ? String(v) : v.toFixed(1);
    return Math.abs(v) >= 1000 ? `${raw} ns (${formatDuration(v, unit)})` : `${raw} ns`;
  }
  if (kind === 'fraction') return String(Number(v.toPrecision(6)));
  return String(v);
}

export function fmtRange(r: Range, kind: Kind, unit: TimeUnit): string {
  if (typeof r === 'number') return fmtValue(r, kind, unit);
  if (r.min !== undefined && r.max !== undefined) {
    return r.min === r.max ? fmtValue(r.min, kind, unit) : `${fmtValue(r.min, kind, unit)} … ${fmtValue(r.max, kind, unit)}`;
  }
  if (r.min !== undefined) return `≥ ${fmtValue(r.min, kind, unit)}`;
  return `≤ ${fmtValue(r.max ?? Number.NaN, kind, unit)}`;
}

class Evaluator {
  readonly results: AssertionResult[] = [];
  constructor(
    private readonly unit: TimeUnit,
    private readonly lineOf: (p: readonly (string | number)[]) => number | null,
  ) {}

  push(id: string, path: (string | number)[], pass: boolean, observed: string, expected: string): void {
    this.results.push({ id, path, line: this.lineOf(path), pass, observed, expected });
  }

  /** A numeric assertion. `observed` null = not measurable; `why` says why. */
  num(id: string, path: (string | number)[], field: string, observed: number | null, r: Range, why = 'not measured'): void {
    const kind = kindOf(field);
    const exp = fmtRange(r, kind, this.unit);
    if (observed === null || !Number.isFinite(observed)) this.push(id, path, false, `none (${why})`, exp);
    else this.push(id, path, inRange(observed, r), fmtValue(observed, kind, this.unit), exp);
  }

  str(id: string, path: (string | number)[], observed: string, expected: string | readonly string[]): void {
    const list = typeof expected === 'string' ? [expected] : expected;
    this.push(id, path, list.includes(observed), JSON.stringify(observed), list.map((s) => JSON.stringify(s)).join(' or '));
  }

  latency(id: string, path: (string | number)[], stats: LatencyStats | null | undefined, e: LatencyExpect, why: string): void {
    for (const f of LATENCY_FIELDS) {
      const r = e[f];
      if (r === undefined) continue;
      const v = stats === null || stats === undefined ? (f === 'count' ? 0 : null) : stats[f];
      this.num(`${id}.${f}`, [...path, f], f, v, r, why);
    }
  }

  /** Stats-row assertions; `row` null = the row is not in the trace. */
  row(id: string, path: (string | number)[], row: StatsRow | null, e: RowExpect, maps: Record<string, Record<string, number> | undefined>): void {
    const absent = 'no such row in the trace';
    for (const f of ROW_FIELDS) {
      const r = e[f];
      if (r === undefined) continue;
      let v: number | null;
      if (row === null) v = f === 'count' || f === 'share' ? 0 : null;
      else v = row[f];
      this.num(`${id}.${f}`, [...path, f], f, v, r, row === null ? absent : 'the trace gives no latency for this row');
    }
    if (e.phases !== undefined) {
      for (const ph of ['kernel', 'vmm'] as const) {
        const pe = e.phases[ph];
        if (pe === undefined) continue;
        const stats = row?.phases?.[ph] ?? null;
        this.latency(`${id}.phases.${ph}`, [...path, 'phases', ph], stats, pe, row === null ? absent : `no ${ph} phase measured`);
      }
    }
    for (const [name, expected] of Object.entries(maps)) {
      const em = (e as Record<string, unknown>)[name] as Record<string, Range> | undefined;
      if (em === undefined) continue;
      for (const [k, r] of Object.entries(em)) this.num(`${id}.${name}.${k}`, [...path, name, k], 'count', expected?.[k] ?? 0, r);
    }
  }

  /** Pick the one row matching; report ambiguity as a failed assertion. */
  pick<T extends StatsRow>(id: string, path: (string | number)[], rows: readonly T[], match: (r: T) => boolean, label: (r: T) => string): T | null | 'ambiguous' {
    const found = rows.filter(match);
    if (found.length <= 1) return found[0] ?? null;
    this.push(id, path, false, `${found.length} rows match (${found.map(label).join('; ')})`, 'exactly one row: add a key field');
    return 'ambiguous';
  }
}

function mechanismId(e: MechanismExpect): string {
  return `mechanisms[${e.mechanism}]`;
}
function reasonId(e: ExitReasonExpect): string {
  return `exitReasons[${e.isa !== undefined ? `${e.isa} ` : ''}${e.reason}]`;
}
function vcpuId(e: VcpuExpect): string {
  const k: string[] = [];
  if (e.thread !== undefined) k.push(e.thread);
  if (e.tid !== undefined) k.push(`tid ${e.tid}`);
  if (e.vcpu !== undefined) k.push(`vcpu ${e.vcpu}`);
  return `vcpus[${k.join(', ')}]`;
}
function deviceId(e: DeviceExpect): string {
  return `devices[${e.space} ${e.addressHex.toLowerCase()}${e.direction !== undefined ? ` ${e.direction}` : ''}]`;
}

/** Evaluate every assertion of an expectation against an analysis. */
export function evaluate(exp: Expectation, a: Analysis, lineOf: (p: readonly (string | number)[]) => number | null): AssertionResult[] {
  const ev = new Evaluator(a.input.timeUnit, lineOf);

  if (exp.mode !== undefined) ev.str('mode', ['mode'], a.mode, exp.mode);

  const inp = exp.input;
  if (inp !== undefined) {
    if (inp.format !== undefined) ev.str('input.format', ['input', 'format'], a.input.format, inp.format);
    if (inp.isa !== undefined) ev.str('input.isa', ['input', 'isa'], a.input.isa, inp.isa);
    for (const f of INPUT_COUNT_FIELDS) {
      const r = inp[f];
      if (r !== undefined) ev.num(`input.${f}`, ['input', f], f === 'timestampResolutionNs' ? 'resolutionNs' : f, a.input[f], r);
    }
    const d = inp.diagnostics;
    if (d !== undefined) {
      const base = ['input', 'diagnostics'];
      const sev = a.input.diagnostics.bySeverity;
      const byCode = new Map(a.input.diagnostics.byCode.map((c) => [c.code as string, c.count]));
      const sugar: [keyof typeof d, number][] = [
        ['maxErrors', sev.error],
        ['maxWarnings', sev.warning],
        ['maxDataLoss', sev.dataLoss],
      ];
      for (const [k, observed] of sugar) {
        const max = d[k];
        if (typeof max === 'number') ev.num(`input.diagnostics.${k}`, [...base, k], 'count', observed, { max });
      }
      if (d.lostEvents !== undefined) ev.num('input.diagnostics.lostEvents', [...base, 'lostEvents'], 'count', byCode.get('lost_events') ?? 0, d.lostEvents);
      for (const [k, r] of Object.entries(d.bySeverity ?? {})) {
        ev.num(`input.diagnostics.bySeverity.${k}`, [...base, 'bySeverity', k], 'count', sev[k as keyof typeof sev], r);
      }
      for (const [k, r] of Object.entries(d.byCode ?? {})) {
        ev.num(`input.diagnostics.byCode.${k}`, [...base, 'byCode', k], 'count', byCode.get(k) ?? 0, r);
      }
    }
  }

  if (exp.roundTrips !== undefined) {
    for (const f of ROUND_TRIP_FIELDS) {
      const r = exp.roundTrips[f];
      if (r !== undefined) ev.num(`roundTrips.${f}`, ['roundTrips', f], f, a.roundTrips[f], r);
    }
  }

  (exp.mechanisms ?? []).forEach((e, i) => {
    const id = mechanismId(e);
    const path = ['mechanisms', i];
    const row = a.mechanisms.find((m) => m.mechanism === e.mechanism) ?? null;
    ev.row(id, path, row, e, { evidence: row?.evidence });
  });

  (exp.exitReasons ?? []).forEach((e, i) => {
    const id = reasonId(e);
    const path = ['exitReasons', i];
    const row = ev.pick(id, path, a.exitReasons, (r) => r.reason === e.reason && (e.isa === undefined || r.isa === e.isa), (r) => `${r.isa} ${r.reason}`);
    if (row !== 'ambiguous') ev.row(id, path, row, e, { classes: row?.classes });
  });

  (exp.vcpus ?? []).forEach((e, i) => {
    const id = vcpuId(e);
    const path = ['vcpus', i];
    const row = ev.pick(
      id,
      path,
      a.vcpus,
      (r) => (e.thread === undefined || r.thread === e.thread) && (e.tid === undefined || r.tid === e.tid) && (e.vcpu === undefined || r.vcpu === e.vcpu),
      (r) => r.thread,
    );
    if (row !== 'ambiguous') ev.row(id, path, row, e, { classes: row?.classes });
  });

  (exp.devices ?? []).forEach((e, i) => {
    const id = deviceId(e);
    const path = ['devices', i];
    const addr = Number.parseInt(e.addressHex, 16);
    const row = ev.pick(
      id,
      path,
      a.devices,
      (r) => r.space === e.space && r.address === addr && (e.direction === undefined || r.direction === e.direction),
      (r) => `${r.space} ${r.addressHex} ${r.direction}`,
    );
    if (row !== 'ambiguous') ev.row(id, path, row, e, { classes: row?.classes });
  });

  const me = exp.model;
  if (me !== undefined) {
    const m = a.model;
    if (m === undefined) {
      ev.push('model', ['model'], false, 'no model comparison in the analysis', 'a model comparison (set "options": {"model": …})');
    } else {
      (me.rows ?? []).forEach((e, i) => {
        const id = `model.rows[${e.mechanism}]`;
        const path = ['model', 'rows', i];
        const row = m.rows.find((r) => r.mechanism === e.mechanism);
        if (row === undefined) {
          ev.push(id, path, false, 'no such row in the model comparison', `a row for ${e.mechanism}`);
          return;
        }
        if (e.ratio !== undefined) ev.num(`${id}.ratio`, [...path, 'ratio'], 'ratio', row.ratio, e.ratio, `verdict ${row.verdict}`);
        if (e.samples !== undefined) ev.num(`${id}.samples`, [...path, 'samples'], 'samples', row.samples, e.samples);
        if (e.observedMedianNs !== undefined) {
          ev.num(`${id}.observedMedianNs`, [...path, 'observedMedianNs'], 'observedMedianNs', row.observedMedianNs, e.observedMedianNs);
        }
        if (e.verdict !== undefined) ev.str(`${id}.verdict`, [...path, 'verdict'], row.verdict, e.verdict);
      });
      const ag = me.agreement;
      if (ag !== undefined) {
        for (const f of ['spearmanRho', 'mape', 'compared'] as const) {
          const r = ag[f];
          if (r !== undefined) ev.num(`model.agreement.${f}`, ['model', 'agreement', f], f, m.agreement[f], r, 'too few judged mechanisms');
        }
      }
    }
  }
  return ev.results;
}
