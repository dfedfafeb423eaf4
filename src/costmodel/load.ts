/**
 * Model files: CSV (read with csv-parse) or JSON, plus the built-in models by name. Every error names the file
 * and line (FileFormatError → exit code 2 in the CLI).
 *
 * CSV — one row per mechanism, a header line, `#` comments; `# key: value` comment lines set model fields
 * (name, title, source, clock-ghz, transition-ns, transition-source, note):
 *
 *     # name: my-host
 *     # source: pci-testdev on my workstation, 2025-01-10
 *     # clock-ghz: 2.4
 *     mechanism,value,unit,basis,tolerance,source,extrapolated,ghz,note
 *     pio-kernel,1762,cycles,guest-rtt,0.2,,,,
 *     pio-vmm,5.1,us,guest-rtt,0.2,,,,
 *
 *   required columns: mechanism, value, unit (ns | us | µs | cycles), basis (guest-rtt | host);
 *   optional: tolerance (0.2 or 20%, default 0.25), source, extrapolated (true/false/yes/no/1/0), ghz (clock
 *   rate for cycles; else the model's clock-ghz), note. Unknown columns are errors (a typo must not silently
 *   drop a value).
 *
 * JSON — `{"schema": "exitlens/model@1", "name", "title", "source", "clockGhz", "transitionNs",
 * "transitionSource", "notes": [], "rows": [{mechanism, value, unit, basis, tolerance, source, extrapolated,
 * ghz, clockAssumed, note, n, ci95Ns}], "components": [...]}` — what `exitlens model fit -o x.json` writes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, extname } from 'node:path';
import type { Basis } from '../model/analysis.js';
import { ALL_CLASSES, isClassName, type ClassName } from '../model/classes.js';
import { FileFormatError, UsageError } from '../model/errors.js';
import { BUILTIN_MODELS, DEFAULT_TOLERANCE, builtinModel } from './builtin.js';
import { JsonSyntaxError, parseLocatedJson, type JsonValue } from './located-json.js';
import type { ComponentName, CostModel, CostModelRow, FittedComponent, ModelUnit } from './types.js';

export const MODEL_SCHEMA = 'exitlens/model@1';

const ROW_FIELDS = [
  'mechanism',
  'value',
  'unit',
  'basis',
  'tolerance',
  'source',
  'extrapolated',
  'ghz',
  'clockAssumed',
  'note',
  'n',
  'ci95Ns',
] as const;
type RowField = (typeof ROW_FIELDS)[number];
const CSV_COLUMNS: readonly RowField[] = ['mechanism', 'value', 'unit', 'basis', 'tolerance', 'source', 'extrapolated', 'ghz', 'note'];
const REQUIRED: readonly RowField[] = ['mechanism', 'value', 'unit', 'basis'];

/** A raw row: field → value as read (CSV strings, JSON values), and each field's line. */
interface RawRow {
  fields: Partial<Record<RowField, JsonValue>>;
  line: number;
  fieldLine: (f: RowField) => number;
}

interface ModelDefaults {
  source: string;
  clockGhz: number | null;
}

type CsvSync = typeof import('csv-parse/sync');
let csvModule: CsvSync | null = null;
/** csv-parse, loaded on the first CSV model (its CommonJS build, the same code): built-in models and JSON files do
 *  not need it, and every `analyze` run loads this module (CLI start-up, issue #5). */
function csvSync(): CsvSync {
  csvModule ??= createRequire(import.meta.url)('csv-parse/sync') as CsvSync;
  return csvModule;
}

/** Resolve `--model NAME|FILE`: a built-in name, else a file path. */
export function loadModel(spec: string): CostModel {
  const b = builtinModel(spec);
  if (b !== undefined) return b;
  if (!existsSync(spec)) {
    throw new UsageError(
      `unknown model "${spec}": not a built-in (${BUILTIN_MODELS.map((m) => m.name).join(', ')}) and no such file`,
    );
  }
  return parseModelText(readFileSync(spec, 'utf8'), spec);
}

/** Parse a model file's text; CSV or JSON by extension, else by the first non-blank character. */
export function parseModelText(text: string, file: string): CostModel {
  const ext = extname(file).toLowerCase();
  const json = ext === '.json' || (ext !== '.csv' && text.trimStart().startsWith('{'));
  return json ? parseModelJson(text, file) : parseModelCsv(text, file);
}

function defaultName(file: string): string {
  return basename(file, extname(file)) || file;
}

// ---------------------------------------------------------------------------------------------------- CSV

const DIRECTIVE = /^#\s*(name|title|source|clock-ghz|transition-ns|transition-source|note)\s*:\s*(.*?)\s*$/i;

export function parseModelCsv(text: string, file: string): CostModel {
  const meta = new Map<string, { value: string; line: number }>();
  const notes: string[] = [];
  text.split('\n').forEach((l, idx) => {
    const m = DIRECTIVE.exec(l.trim());
    if (m === null) return;
    const key = m[1]!.toLowerCase();
    if (key === 'note') notes.push(m[2]!);
    else meta.set(key, { value: m[2]!, line: idx + 1 });
  });
  const num = (key: string): number | null => {
    const d = meta.get(key);
    if (d === undefined || d.value === '') return null;
    const v = Number(d.value);
    if (!Number.isFinite(v) || v <= 0) throw new FileFormatError(file, d.line, `${key} must be a positive number; got "${d.value}"`);
    return v;
  };
  const clockGhz = num('clock-ghz');
  const transitionNs = num('transition-ns');
  const source = meta.get('source')?.value ?? file;

  let records: { record: Record<string, string>; info: { lines: number }; raw: string }[];
  let header: string[] = [];
  try {
    records = csvSync().parse(text, {
      comment: '#',
      columns: (h: string[]) => {
        header = h.map((c) => c.trim());
        return header;
      },
      info: true,
      raw: true,
      skip_empty_lines: true,
      trim: true,
    }) as typeof records;
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new FileFormatError(file, typeof err.lines === 'number' ? err.lines : null, `CSV: ${err.message}`);
  }
  const headerLine = firstContentLine(text);
  if (header.length === 0) throw new FileFormatError(file, headerLine, 'no header line (mechanism,value,unit,basis,…)');
  for (const c of header) {
    if (!(CSV_COLUMNS as readonly string[]).includes(c)) {
      throw new FileFormatError(file, headerLine, `unknown column "${c}" (columns: ${CSV_COLUMNS.join(', ')})`);
    }
  }
  for (const c of REQUIRED) if (!header.includes(c)) throw new FileFormatError(file, headerLine, `missing column "${c}"`);

  const raws: RawRow[] = records.map(({ record, info, raw }) => {
    // info.lines is the line the record ends on; `raw` holds the record (a quoted field may span lines) preceded
    // by the comment and blank lines skipped before it.
    const own = raw.replace(/\r?\n$/, '').split('\n');
    while (own.length > 1 && (own[0]!.trim() === '' || own[0]!.trim().startsWith('#'))) own.shift();
    const line = info.lines - own.length + 1;
    const fields: RawRow['fields'] = {};
    for (const [k, v] of Object.entries(record)) if (v !== '') fields[k as RowField] = v;
    return { fields, line, fieldLine: () => line };
  });
  return buildModel(file, raws, {
    name: meta.get('name')?.value || defaultName(file),
    title: meta.get('title')?.value ?? '',
    source,
    clockGhz,
    transition: transitionNs === null ? null : { ns: transitionNs, source: meta.get('transition-source')?.value ?? `${file}` },
    notes,
    components: undefined,
  });
}

function firstContentLine(text: string): number {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t !== '' && !t.startsWith('#')) return i + 1;
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------------- JSON

const MODEL_KEYS = ['schema', 'name', 'title', 'source', 'clockGhz', 'transitionNs', 'transitionSource', 'notes', 'rows', 'components'];

export function parseModelJson(text: string, file: string): CostModel {
  let doc;
  try {
    doc = parseLocatedJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new FileFormatError(file, e.line, `JSON: ${e.detail} (column ${e.column})`);
    throw e;
  }
  const root = doc.value;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    throw new FileFormatError(file, 1, 'a model file is a JSON object with "rows" (see README "Cost model")');
  }
  const at = (k: string): number => doc.keyLine(root, k) ?? doc.lineOf(root) ?? 1;
  for (const k of Object.keys(root)) {
    if (!MODEL_KEYS.includes(k)) throw new FileFormatError(file, at(k), `unknown key "${k}" (keys: ${MODEL_KEYS.join(', ')})`);
  }
  if (root.schema !== undefined && root.schema !== MODEL_SCHEMA) {
    throw new FileFormatError(file, at('schema'), `schema must be "${MODEL_SCHEMA}"; got ${JSON.stringify(root.schema)}`);
  }
  const optString = (k: string): string | null => {
    const v = root[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') throw new FileFormatError(file, at(k), `"${k}" must be a string`);
    return v;
  };
  const optPositive = (k: string): number | null => {
    const v = root[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !(v > 0)) throw new FileFormatError(file, at(k), `"${k}" must be a positive number`);
    return v;
  };
  const rows = root.rows;
  if (!Array.isArray(rows)) throw new FileFormatError(file, at('rows'), '"rows" must be an array of {mechanism, value, unit, basis, …}');
  const raws: RawRow[] = rows.map((r) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new FileFormatError(file, doc.lineOf(rows) ?? 1, 'every entry of "rows" must be an object');
    }
    const line = doc.lineOf(r) ?? 1;
    for (const k of Object.keys(r)) {
      if (!(ROW_FIELDS as readonly string[]).includes(k)) {
        throw new FileFormatError(file, doc.keyLine(r, k) ?? line, `unknown row field "${k}" (fields: ${ROW_FIELDS.join(', ')})`);
      }
    }
    return { fields: r as RawRow['fields'], line, fieldLine: (f) => doc.keyLine(r, f) ?? line };
  });
  const notes = root.notes;
  if (notes !== undefined && (!Array.isArray(notes) || notes.some((n) => typeof n !== 'string'))) {
    throw new FileFormatError(file, at('notes'), '"notes" must be an array of strings');
  }
  const transitionNs = optPositive('transitionNs');
  const components = root.components === undefined ? undefined : parseComponents(root.components, file, at('components'));
  return buildModel(file, raws, {
    name: optString('name') ?? defaultName(file),
    title: optString('title') ?? '',
    source: optString('source') ?? file,
    clockGhz: optPositive('clockGhz'),
    transition: transitionNs === null ? null : { ns: transitionNs, source: optString('transitionSource') ?? file },
    notes: (notes as string[] | undefined) ?? [],
    components,
  });
}

const COMPONENTS: readonly ComponentName[] = ['kernel', 'decode', 'userspace'];

function parseComponents(v: JsonValue, file: string, line: number): FittedComponent[] {
  const bad = (): never => {
    throw new FileFormatError(file, line, '"components" must be [{name: kernel|decode|userspace, ns, ci95Ns, evidence, note}]');
  };
  if (!Array.isArray(v)) return bad();
  return v.map((c) => {
    if (c === null || typeof c !== 'object' || Array.isArray(c)) return bad();
    const name = c.name;
    if (typeof name !== 'string' || !(COMPONENTS as readonly string[]).includes(name)) return bad();
    const ns = c.ns === null || typeof c.ns === 'number' ? c.ns : bad();
    const ci = c.ci95Ns;
    const ci95Ns =
      ci === null || ci === undefined
        ? null
        : Array.isArray(ci) && ci.length === 2 && typeof ci[0] === 'number' && typeof ci[1] === 'number'
          ? ([ci[0], ci[1]] as [number, number])
          : bad();
    return {
      name: name as ComponentName,
      ns: ns ?? null,
      ci95Ns,
      evidence: typeof c.evidence === 'number' ? c.evidence : 0,
      note: typeof c.note === 'string' ? c.note : '',
    };
  });
}

// ---------------------------------------------------------------------------------------------------- rows

const UNITS: Record<string, ModelUnit> = { ns: 'ns', us: 'us', µs: 'us', μs: 'us', cycles: 'cycles' };
const BASES: readonly Basis[] = ['guest-rtt', 'host'];

function buildModel(
  file: string,
  raws: RawRow[],
  m: Omit<CostModel, 'rows' | 'file'> & ModelDefaults & { components: FittedComponent[] | undefined },
): CostModel {
  if (raws.length === 0) throw new FileFormatError(file, null, 'the model has no rows');
  const seen = new Map<string, number>();
  const rows = raws.map((r) => {
    const row = buildRow(file, r, m);
    const prev = seen.get(row.mechanism);
    if (prev !== undefined) throw new FileFormatError(file, r.line, `mechanism "${row.mechanism}" already has a row (line ${prev})`);
    seen.set(row.mechanism, r.line);
    return row;
  });
  const out: CostModel = { name: m.name, title: m.title, source: m.source, file, rows, transition: m.transition, notes: m.notes };
  if (m.components !== undefined) out.components = m.components;
  return out;
}

function buildRow(file: string, r: RawRow, d: ModelDefaults): CostModelRow {
  const err = (f: RowField, msg: string): never => {
    throw new FileFormatError(file, r.fieldLine(f), msg);
  };
  for (const f of REQUIRED) if (r.fields[f] === undefined || r.fields[f] === null) err(f, `row without "${f}"`);
  const str = (f: RowField): string | null => {
    const v = r.fields[f];
    if (v === undefined || v === null) return null;
    if (typeof v === 'string') return v.trim();
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return err(f, `"${f}" must be a single value`);
  };
  const number = (f: RowField, what: string, allowPercent = false): number | null => {
    const s = str(f);
    if (s === null || s === '') return null;
    const pctForm = allowPercent && s.endsWith('%');
    const v = Number(pctForm ? s.slice(0, -1) : s);
    if (!Number.isFinite(v)) return err(f, `${f} must be ${what}; got "${s}"`);
    return pctForm ? v / 100 : v;
  };
  const bool = (f: RowField): boolean => {
    const s = str(f)?.toLowerCase() ?? '';
    if (['', 'false', 'no', '0'].includes(s)) return false;
    if (['true', 'yes', '1'].includes(s)) return true;
    return err(f, `${f} must be true or false; got "${s}"`);
  };

  const mech = str('mechanism')!;
  if (!isClassName(mech)) err('mechanism', `unknown mechanism "${mech}" (one of: ${ALL_CLASSES.join(', ')})`);
  const value = number('value', 'a positive number')!;
  if (!(value > 0)) err('value', `value must be a positive number; got ${value}`);
  const unitRaw = str('unit')!;
  const unit = UNITS[unitRaw.toLowerCase()] ?? UNITS[unitRaw];
  if (unit === undefined) err('unit', `unit must be ns, us or cycles; got "${unitRaw}"`);
  const basis = str('basis')!.toLowerCase();
  if (!(BASES as readonly string[]).includes(basis)) err('basis', `basis must be guest-rtt or host; got "${basis}"`);
  const tol = number('tolerance', 'a fraction such as 0.2 (or 20%)', true) ?? DEFAULT_TOLERANCE;
  if (!(tol >= 0) || tol > 10) err('tolerance', `tolerance must be a fraction between 0 and 10 (0.2 = ±20 %); got ${tol}`);
  const ghzRow = number('ghz', 'a clock rate in GHz');
  if (ghzRow !== null && !(ghzRow > 0)) err('ghz', `ghz must be positive; got ${ghzRow}`);
  const clockGhz = unit === 'cycles' ? (ghzRow ?? d.clockGhz) : null;
  if (unit === 'cycles' && clockGhz === null) {
    err('unit', `unit cycles needs a clock rate: a "ghz" column/field, or the model's clock-ghz (CSV "# clock-ghz: 2.4", JSON "clockGhz")`);
  }
  const row: CostModelRow = {
    mechanism: mech as ClassName,
    value,
    unit: unit!,
    clockGhz,
    clockAssumed: bool('clockAssumed'),
    basis: basis as Basis,
    tolerance: tol,
    source: str('source') || d.source,
    extrapolated: bool('extrapolated'),
    note: str('note') ?? '',
    line: r.line,
  };
  const n = number('n', 'a count');
  if (n !== null) row.n = n;
  const ci = r.fields.ci95Ns;
  if (ci !== undefined && ci !== null) {
    if (!Array.isArray(ci) || ci.length !== 2 || typeof ci[0] !== 'number' || typeof ci[1] !== 'number') {
      err('ci95Ns', 'ci95Ns must be [low, high] in ns');
    }
    row.ci95Ns = [(ci as number[])[0]!, (ci as number[])[1]!];
  }
  return row;
}

// ---------------------------------------------------------------------------------------------------- write

/** A model as JSON (`exitlens/model@1`), readable by parseModelJson. */
export function serializeModelJson(m: CostModel): string {
  const doc = {
    schema: MODEL_SCHEMA,
    name: m.name,
    title: m.title,
    source: m.source,
    ...(m.transition !== null ? { transitionNs: m.transition.ns, transitionSource: m.transition.source } : {}),
    notes: m.notes,
    rows: m.rows.map((r) => ({
      mechanism: r.mechanism,
      value: r.value,
      unit: r.unit,
      basis: r.basis,
      tolerance: r.tolerance,
      source: r.source,
      extrapolated: r.extrapolated,
      ...(r.clockGhz !== null ? { ghz: r.clockGhz } : {}),
      ...(r.clockAssumed ? { clockAssumed: true } : {}),
      note: r.note,
      ...(r.n !== undefined ? { n: r.n } : {}),
      ...(r.ci95Ns !== undefined ? { ci95Ns: r.ci95Ns } : {}),
    })),
    ...(m.components !== undefined ? { components: m.components } : {}),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** A model as CSV (rows and `# key: value` metadata; fitted components go in comments). */
export function serializeModelCsv(m: CostModel): string {
  const q = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const L: string[] = [`# name: ${m.name}`];
  if (m.title) L.push(`# title: ${m.title}`);
  L.push(`# source: ${m.source}`);
  if (m.transition !== null) L.push(`# transition-ns: ${m.transition.ns}`, `# transition-source: ${m.transition.source}`);
  for (const n of m.notes) L.push(`# note: ${n}`);
  for (const c of m.components ?? []) {
    L.push(`#   component ${c.name}: ${c.ns === null ? 'not identified' : `${c.ns} ns`}${c.ci95Ns ? ` [${c.ci95Ns[0]}, ${c.ci95Ns[1]}]` : ''}`);
  }
  L.push(CSV_COLUMNS.join(','));
  for (const r of m.rows) {
    L.push(
      [r.mechanism, String(r.value), r.unit, r.basis, String(r.tolerance), q(r.source), String(r.extrapolated), r.clockGhz === null ? '' : String(r.clockGhz), q(r.note)].join(','),
    );
  }
  return `${L.join('\n')}\n`;
}
