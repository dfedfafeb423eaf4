/**
 * Terminal report: fixed-width tables readable at 100 columns, in the spirit of `perf kvm stat report`. Renders an
 * `Analysis`; computes nothing. Durations carry their unit (ns/µs/ms/s chosen per magnitude).
 */
import type { Analysis, DeviceRow, StatsRow } from '../model/analysis.js';
import { formatDuration, type TimeUnit } from '../model/units.js';
import { renderModelSection } from './model.js';

export interface TextOptions {
  /** Rows shown per table for exit reasons / devices / vCPUs (all with `Infinity`). */
  top?: number;
  /** Wrap strings for colour (identity when colour is off). */
  style?: Style;
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

export const PLAIN: Style = {
  bold: (s) => s,
  dim: (s) => s,
  red: (s) => s,
  yellow: (s) => s,
  green: (s) => s,
  cyan: (s) => s,
};

export function pct(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  const v = x * 100;
  return v >= 10 ? `${v.toFixed(1)}%` : `${v.toFixed(2)}%`;
}

function pad(s: string, w: number, right = false): string {
  if (s.length >= w) return s;
  return right ? s.padStart(w) : s.padEnd(w);
}

function cut(s: string, w: number): string {
  return s.length <= w ? s : `${s.slice(0, w - 1)}…`;
}

/** Keeps the end of a path (the file name is what tells inputs apart) when the title would pass the width. */
export function cutLeft(s: string, w: number): string {
  const chars = [...s];
  return chars.length <= w ? s : `…${chars.slice(chars.length - (w - 1)).join('')}`;
}

interface Col<T> {
  head: string;
  width: number;
  right?: boolean;
  get: (r: T) => string;
}

function table<T>(rows: readonly T[], cols: readonly Col<T>[], st: Style): string[] {
  const out: string[] = [];
  out.push(st.bold(cols.map((c) => pad(c.head, c.width, c.right)).join(' ').trimEnd()));
  for (const r of rows) out.push(cols.map((c) => pad(cut(c.get(r), c.width), c.width, c.right)).join(' ').trimEnd());
  return out;
}

function latencyCols<T extends StatsRow>(unit: TimeUnit): Col<T>[] {
  const d = (v: number | null) => formatDuration(v, unit);
  return [
    { head: 'Count', width: 8, right: true, get: (r) => String(r.count) },
    { head: 'Share', width: 6, right: true, get: (r) => pct(r.share) },
    { head: 'Time%', width: 6, right: true, get: (r) => pct(r.timeShare) },
    { head: 'Mean', width: 7, right: true, get: (r) => d(r.meanNs) },
    { head: 'p50', width: 7, right: true, get: (r) => d(r.p50Ns) },
    { head: 'p90', width: 7, right: true, get: (r) => d(r.p90Ns) },
    { head: 'p99', width: 7, right: true, get: (r) => d(r.p99Ns) },
    { head: 'p99.9', width: 7, right: true, get: (r) => d(r.p999Ns) },
    { head: 'Max', width: 7, right: true, get: (r) => d(r.maxNs) },
  ];
}

function topClasses(m: Record<string, number>, n = 2): string {
  const e = Object.entries(m);
  const s = e
    .slice(0, n)
    .map(([k, v]) => (e.length === 1 ? k : `${k} ${v}`))
    .join(', ');
  return e.length > n ? `${s}, …` : s;
}

export function deviceLabel(d: DeviceRow): string {
  return `${d.space} ${d.addressHex} ${d.direction === 'write' ? 'W' : 'R'}`;
}

export function renderText(a: Analysis, opts: TextOptions = {}): string {
  const st = opts.style ?? PLAIN;
  const top = opts.top ?? 15;
  const unit = a.input.timeUnit;
  const d = (v: number | null) => formatDuration(v, unit);
  const L: string[] = [];
  const inp = a.input;
  const res =
    unit === 'ticks' ? 'raw ticks' : inp.timestampResolutionNs === null ? 'no timestamps' : `${d(inp.timestampResolutionNs)} timestamps`;
  const head = `exitlens ${a.tool.version} — `;
  L.push(st.bold(head + cutLeft(inp.files.join(', '), 100 - [...head].length)));
  L.push(
    `${inp.format} · ${inp.lines} lines · ${inp.events} events · ${res} · ISA ${inp.isa}` +
      (inp.spanNs !== null ? ` · span ${d(inp.spanNs)}` : ''),
  );
  const rt = a.roundTrips;
  if (a.mode === 'round-trips') {
    L.push(
      `Round trips: ${rt.exits} exits → ${rt.complete} complete` +
        (rt.untimed ? `, ${rt.untimed} untimed` : '') +
        `, ${rt.orphanExits} orphan exits, ${rt.orphanEntries} orphan entries, ${rt.negative} negative, ` +
        `${rt.discardedLost} lost-discarded` +
        (rt.filtered ? `, ${rt.filtered} filtered out` : '') +
        (rt.strayAccesses ? `, ${rt.strayAccesses} stray accesses` : ''),
    );
  } else {
    L.push(
      `Accesses: ${rt.accesses} (no kvm_exit/kvm_entry in this trace — counts and VMM phase only)` +
        (rt.filtered ? `, ${rt.filtered} filtered out` : ''),
    );
  }
  L.push('');

  if (a.mode === 'accesses') {
    L.push(st.cyan('Mechanisms (accesses; the VMM phase is kvm_userspace_exit → the thread\'s next KVM event)'));
    L.push(
      ...table(
        a.mechanisms,
        [
          { head: 'Class', width: 17, get: (r) => r.mechanism },
          { head: 'Count', width: 8, right: true, get: (r) => String(r.count) },
          { head: 'Share', width: 6, right: true, get: (r) => pct(r.share) },
          { head: 'To VMM', width: 8, right: true, get: (r) => String(r.phases?.vmm?.count ?? 0) },
          { head: 'VMM mean', width: 9, right: true, get: (r) => d(r.phases?.vmm?.meanNs ?? null) },
          { head: 'VMM p50', width: 9, right: true, get: (r) => d(r.phases?.vmm?.p50Ns ?? null) },
          { head: 'VMM p90', width: 9, right: true, get: (r) => d(r.phases?.vmm?.p90Ns ?? null) },
          { head: 'VMM p99', width: 9, right: true, get: (r) => d(r.phases?.vmm?.p99Ns ?? null) },
          { head: 'VMM max', width: 9, right: true, get: (r) => d(r.phases?.vmm?.maxNs ?? null) },
        ],
        st,
      ),
    );
  } else {
    L.push(st.cyan('Mechanisms (round trips, kvm_exit → kvm_entry)'));
    L.push(
      ...table(
        a.mechanisms,
        [{ head: 'Class', width: 17, get: (r) => r.mechanism }, ...latencyCols<(typeof a.mechanisms)[number]>(unit)],
        st,
      ),
    );
  }

  const phased = a.mode === 'round-trips' ? a.mechanisms.filter((m) => m.phases !== undefined) : [];
  if (phased.length > 0) {
    L.push('');
    L.push(st.cyan('Kernel / VMM phases (kvm_exit → kvm_userspace_exit → kvm_entry)'));
    L.push(
      ...table(
        phased,
        [
          { head: 'Class', width: 17, get: (r) => r.mechanism },
          { head: 'To VMM', width: 8, right: true, get: (r) => String(r.phases?.vmm?.count ?? 0) },
          { head: 'Kern p50', width: 9, right: true, get: (r) => d(r.phases?.kernel?.p50Ns ?? null) },
          { head: 'Kern p99', width: 9, right: true, get: (r) => d(r.phases?.kernel?.p99Ns ?? null) },
          { head: 'VMM p50', width: 9, right: true, get: (r) => d(r.phases?.vmm?.p50Ns ?? null) },
          { head: 'VMM p99', width: 9, right: true, get: (r) => d(r.phases?.vmm?.p99Ns ?? null) },
          { head: 'VMM mean', width: 9, right: true, get: (r) => d(r.phases?.vmm?.meanNs ?? null) },
          { head: 'VMM max', width: 9, right: true, get: (r) => d(r.phases?.vmm?.maxNs ?? null) },
        ],
        st,
      ),
    );
  }

  if (a.model !== undefined) {
    L.push('');
    L.push(...renderModelSection(a.model, unit, st));
  }

  if (a.exitReasons.length > 0) {
    L.push('');
    L.push(st.cyan(`Exit reasons (${a.exitReasons.length}${a.exitReasons.length > top ? `, top ${top}` : ''})`));
    L.push(
      ...table(
        a.exitReasons.slice(0, top),
        [
          { head: 'Reason', width: 20, get: (r) => (r.isa === a.input.isa ? r.reason : `${r.reason} (${r.isa})`) },
          ...latencyCols<(typeof a.exitReasons)[number]>(unit).filter((c) => c.head !== 'p90' && c.head !== 'p99.9'),
          { head: 'Classes', width: 20, get: (r) => topClasses(r.classes, 1) },
        ],
        st,
      ),
    );
  }

  if (a.vcpus.length > 0) {
    L.push('');
    L.push(st.cyan(`vCPU threads (${a.vcpus.length}${a.vcpus.length > top ? `, top ${top}` : ''})`));
    L.push(
      ...table(
        a.vcpus.slice(0, top),
        [
          { head: 'Thread', width: 28, get: (r) => r.thread },
          ...latencyCols<(typeof a.vcpus)[number]>(unit).filter((c) =>
            (a.mode === 'accesses' ? ['Count', 'Share'] : ['Count', 'Share', 'Mean', 'p50', 'p99', 'Max']).includes(c.head),
          ),
          { head: 'Top classes', width: 22, get: (r) => topClasses(r.classes) },
        ],
        st,
      ),
    );
  }

  if (a.devices.length > 0) {
    L.push('');
    L.push(st.cyan(`Devices (${a.devices.length}${a.devices.length > top ? `, top ${top}` : ''})`));
    L.push(
      ...table(
        a.devices.slice(0, top),
        [
          { head: 'Access', width: 19, get: (r) => deviceLabel(r) },
          { head: 'Device', width: 18, get: (r) => r.name || '-' },
          { head: 'Size', width: 4, right: true, get: (r) => Object.keys(r.sizes).join('/') },
          ...latencyCols<DeviceRow>(unit).filter((c) => (a.mode === 'accesses' ? ['Count'] : ['Count', 'p50', 'p99']).includes(c.head)),
          { head: 'Class', width: 20, get: (r) => topClasses(r.classes, 1) },
        ],
        st,
      ),
    );
  }

  L.push('');
  const sev = inp.diagnostics.bySeverity;
  L.push(
    st.cyan('Diagnostics') +
      `: ${sev.error} error, ${sev.dataLoss} data loss, ${sev.warning} warning, ${sev.info} info`,
  );
  L.push(
    `  lines: ${inp.lines} = ${inp.events} events + ${inp.nonEventLines} headers/blank/continued + ` +
      `${inp.unrecognizedLines} unrecognized`,
  );
  for (const dg of inp.diagnostics.byCode) {
    const color = dg.severity === 'error' ? st.red : dg.severity === 'dataLoss' || dg.severity === 'warning' ? st.yellow : st.dim;
    const head = `  ${pad(dg.severity, 8)} ${pad(dg.code, 22)} ×${dg.count}  `;
    // The message is cut to keep the report within 100 columns (the full text is in --json and the README).
    L.push(`  ${color(pad(dg.severity, 8))} ${pad(dg.code, 22)} ×${dg.count}  ${st.dim(cut(dg.message, 100 - head.length))}`);
    for (const s of dg.samples.slice(0, dg.severity === 'info' ? 1 : 3)) {
      L.push(st.dim(cut(`      ${s.file}:${s.line}${s.text ? `  ${s.text.trim()}` : ''}`, 100)));
    }
  }
  if (a.notes.length > 0) {
    L.push('');
    L.push(st.cyan('Notes'));
    for (const n of a.notes) L.push(...wrap(n, 96).map((l, i) => (i === 0 ? `  • ${l}` : `    ${l}`)));
  }
  return `${L.join('\n')}\n`;
}

export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line.length + w.length + 1 > width && line !== '') {
      out.push(line);
      line = w;
    } else line = line === '' ? w : `${line} ${w}`;
  }
  if (line !== '') out.push(line);
  return out;
}
