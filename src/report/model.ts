/**
 * Terminal rendering of the cost-model results: the "Model" section of the analyze report (from
 * `analysis.model`), `exitlens model list/show` (a `CostModel`) and `exitlens model fit` (a `FitResult`).
 * Renders only; every number comes from src/costmodel. Lines stay within 100 columns.
 */
import type { ModelComparison, ModelComparisonRow, Verdict } from '../model/analysis.js';
import { formatDuration, type TimeUnit } from '../model/units.js';
import { DEFAULT_MODEL } from '../costmodel/builtin.js';
import { rowNs, unitLabel, unitToNs } from '../costmodel/convert.js';
import { COMPONENT_LABELS, type FitResult } from '../costmodel/fit.js';
import type { CostModel, Transition } from '../costmodel/types.js';
import { PLAIN, cutLeft, pct, wrap, type Style } from './text.js';

const d = (v: number | null | undefined, unit: TimeUnit = 'ns'): string => formatDuration(v ?? null, unit);

function pad(s: string, w: number, right = false): string {
  return right ? s.padStart(w) : s.padEnd(w);
}

function cut(s: string, w: number): string {
  return s.length <= w ? s : `${s.slice(0, w - 1)}…`;
}

function row(cells: [string, number, boolean?][]): string {
  return cells
    .map(([s, w, right]) => pad(cut(s, w), w, right))
    .join(' ')
    .trimEnd();
}

export function ratioText(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return '-';
  return r >= 100 ? `${r.toFixed(0)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

function verdictText(r: ModelComparisonRow, minSamples: number): string {
  const v: Verdict = r.verdict;
  switch (v) {
    case 'within':
      return `within ±${Math.round((r.tolerance ?? 0) * 100)}%`;
    case 'faster':
      return 'faster';
    case 'slower':
      return 'slower';
    case 'too-few-samples':
      return r.samples === 0 && (r.count ?? 0) === 0 ? 'none in trace' : `too few (<${minSamples})`;
    case 'no-latency':
      return 'no latency';
    case 'not-in-model':
      return 'not in model';
    default: {
      const never: never = v;
      return String(never);
    }
  }
}

function colourVerdict(s: string, v: Verdict, st: Style): string {
  if (v === 'slower') return st.red(s);
  if (v === 'faster') return st.green(s);
  if (v === 'within') return st.green(s);
  return st.dim(s);
}

function transitionLine(c: ModelComparison): string {
  const conv = c.rows.some((r) => r.modelBasis !== null && r.modelBasis !== c.traceBasis);
  return (
    `Basis: trace ${c.traceBasis} (kvm_exit → kvm_entry)` +
    (conv
      ? `; guest-rtt model values minus a ${d(c.transitionNs)} hardware exit+entry (${c.transitionSource}).`
      : `; model on the same basis (no conversion; hardware exit+entry would be ${d(c.transitionNs)}).`)
  );
}

/** The "Model" section of the analyze report. */
export function renderModelSection(c: ModelComparison, unit: TimeUnit, st: Style = PLAIN): string[] {
  const L: string[] = [];
  L.push(st.cyan(`Cost model ${c.model.name}`) + ` — ${cut(c.model.title || c.model.source, 96 - 14 - c.model.name.length)}`);
  for (const w of wrap(transitionLine(c), 96)) L.push(`  ${w}`);
  const accessMode = c.rows.every((r) => r.verdict === 'no-latency' || r.verdict === 'not-in-model') && c.rows.some((r) => r.verdict === 'no-latency');
  const star = (r: ModelComparisonRow) => (r.extrapolated ? '*' : r.note?.includes('assumed') ? '†' : '');
  if (accessMode) {
    L.push(
      st.bold(row([['Class', 17], ['Accesses', 8, true], ['VMM phase p50', 13, true], ['Model (host)', 13, true], ['Verdict', 14]])),
    );
    for (const r of c.rows) {
      L.push(
        row([
          [r.mechanism, 17],
          [String(r.count ?? 0), 8, true],
          [d(r.vmmPhaseMedianNs ?? null, unit), 13, true],
          [`${d(r.modelNs)}${star(r)}`, 13, true],
          [verdictText(r, c.minSamples), 14],
        ]),
      );
    }
  } else {
    L.push(
      st.bold(
        row([
          ['Class', 17],
          ['N', 6, true],
          ['Median', 7, true],
          ['Median 95% CI', 19],
          ['Mean', 7, true],
          ['Model', 8, true],
          ['Ratio', 6, true],
          ['Verdict', 15],
        ]),
      ),
    );
    for (const r of c.rows) {
      const ci = r.medianCi95Ns === null ? '-' : `[${d(r.medianCi95Ns[0], unit)}, ${d(r.medianCi95Ns[1], unit)}]`;
      const line = row([
        [r.mechanism, 17],
        [String(r.samples), 6, true],
        [d(r.observedMedianNs, unit), 7, true],
        [ci, 19],
        [d(r.observedMeanNs, unit), 7, true],
        [`${d(r.modelNs)}${star(r)}`, 8, true],
        [ratioText(r.ratio), 6, true],
        ['', 0],
      ]);
      L.push(`${line} ${colourVerdict(verdictText(r, c.minSamples), r.verdict, st)}`);
    }
  }
  const ag = c.agreement;
  if (ag.compared > 0) {
    const rho =
      ag.spearmanRho === null
        ? `Spearman ρ needs ≥3 mechanisms`
        : `Spearman ρ ${ag.spearmanRho.toFixed(2)} (1 = same ordering as the model)`;
    L.push(`Agreement over ${ag.compared} judged mechanism${ag.compared > 1 ? 's' : ''}: ${rho}; MAPE ${pct(ag.mape)}`);
  } else {
    L.push(st.dim('Agreement: no mechanism had enough timed round trips to judge.'));
  }
  if (c.whatIf.length > 0) {
    L.push(`What-if: count × (observed − faster alternative), share of ${d(c.vcpuTimeNs ?? null)} vCPU time`);
    for (const w of c.whatIf) {
      const o = `${d(w.observedNs)}${w.observedFrom === 'model' ? ' model' : ''}`;
      const a = `${d(w.alternativeNs)}${w.alternativeFrom === 'model' ? ' model' : ''}`;
      L.push(
        `  ${pad(`${w.from} → ${w.to}`, 26)} ${w.count} × (${o} − ${a}) = ${st.bold(d(w.savedNs))} ` +
          `(${pct(w.shareOfVcpuTime)})`,
      );
      if (w.how) L.push(st.dim(`      ${w.how}`));
    }
  }
  const foot: string[] = [];
  if (c.rows.some((r) => r.extrapolated)) foot.push('* extrapolated by the source’s authors');
  if (c.rows.some((r) => star(r) === '†')) foot.push('† clock rate assumed by the model (not published)');
  if (foot.length > 0) L.push(st.dim(`  ${foot.join('; ')}`));
  for (const n of c.notes ?? []) for (const [i, w] of wrap(n, 94).entries()) L.push(st.dim(i === 0 ? `  • ${w}` : `    ${w}`));
  return L;
}

/** `exitlens model list`. */
export function renderModelList(models: readonly CostModel[], st: Style = PLAIN): string {
  const L: string[] = [st.bold(row([['Name', 18], ['Rows', 4, true], ['Basis', 9], ['Title', 64]]))];
  for (const m of models) {
    const bases = [...new Set(m.rows.map((r) => r.basis))].join(',');
    L.push(row([[m.name, 18], [String(m.rows.length), 4, true], [bases, 9], [m.title, 64]]));
    L.push(st.dim(`${' '.repeat(34)}${cut(m.source, 64)}`));
  }
  L.push('');
  L.push(`Default for analyze: ${DEFAULT_MODEL}. Show one with: exitlens model show NAME`);
  return `${L.join('\n')}\n`;
}

/** `exitlens model show NAME|FILE`. */
export function renderModelShow(m: CostModel, transition: Transition, st: Style = PLAIN): string {
  const L: string[] = [];
  L.push(st.bold(`${m.name}${m.file ? ` (${m.file})` : ' (built-in)'}`));
  if (m.title) for (const w of wrap(m.title, 98)) L.push(w);
  for (const [i, w] of wrap(`Source: ${m.source}`, 98).entries()) L.push(i === 0 ? w : `  ${w}`);
  L.push('');
  L.push(
    st.bold(
      row([
        ['Mechanism', 17],
        ['Value', 8, true],
        ['Unit', 18],
        ['Basis', 9],
        ['Guest-rtt', 9, true],
        ['Host', 8, true],
        ['Tol', 5, true],
        ['Note', 18],
      ]),
    ),
  );
  const foot: string[] = [];
  let marks = 0;
  for (const r of m.rows) {
    const nsOwn = unitToNs(r.value, r.unit, r.clockGhz);
    const guest = rowNs(r, 'guest-rtt', transition.ns);
    const host = rowNs(r, 'host', transition.ns);
    const flags = [r.extrapolated ? 'extrapolated by the authors' : '', r.clockAssumed ? 'clock assumed' : '']
      .filter(Boolean)
      .join('; ');
    const note = [flags, r.note].filter(Boolean).join('; ');
    const mark = note.length > 18 ? `[${++marks}]` : '';
    L.push(
      row([
        [r.mechanism, 17],
        [String(r.value), 8, true],
        [unitLabel(r.unit, r.clockGhz), 18],
        [r.basis, 9],
        [d(guest ?? (r.basis === 'guest-rtt' ? nsOwn : null)), 9, true],
        [host === null && r.basis === 'guest-rtt' ? '≤0 !' : d(host), 8, true],
        [`±${Math.round(r.tolerance * 100)}%`, 5, true],
        [mark || note, 18],
      ]),
    );
    if (mark) foot.push(`${mark} ${note}`);
    if (host === null && r.basis === 'guest-rtt') {
      foot.push(`${r.mechanism}: shorter than the ${d(transition.ns)} transition, so no host value; set --transition-ns`);
    }
    if (r.source !== m.source) foot.push(`${r.mechanism}: ${r.source}`);
  }
  for (const n of foot) for (const [j, w] of wrap(n, 94).entries()) L.push(st.dim(j === 0 ? `  ${w}` : `      ${w}`));
  L.push('');
  for (const [i, w] of wrap(
    `Transition (hardware VM exit + VM entry, invisible to a host trace): ${d(transition.ns)} — ${transition.source}. ` +
      'Host = guest-rtt − transition.',
    98,
  ).entries())
    L.push(i === 0 ? w : `  ${w}`);
  for (const c of m.components ?? []) {
    L.push(
      `  component ${pad(COMPONENT_LABELS[c.name], 27)} ${pad(d(c.ns), 8, true)}` +
        (c.ci95Ns ? `  [${d(c.ci95Ns[0])}, ${d(c.ci95Ns[1])}]` : '') +
        (c.note ? st.dim(`  ${c.note}`) : ''),
    );
  }
  for (const n of m.notes) for (const [i, w] of wrap(n, 94).entries()) L.push(i === 0 ? `• ${w}` : `  ${w}`);
  return `${L.join('\n')}\n`;
}

/** `exitlens model fit`. */
export function renderFit(fit: FitResult, files: string[], st: Style = PLAIN): string {
  const L: string[] = [];
  L.push(st.bold(`Component fit — ${cutLeft(files.join(', '), 100 - 16)}`));
  L.push(
    `Least squares over ${fit.n} round trips (host basis, kvm_exit → kvm_entry); rank ${fit.rank}; ` +
      `residual sd ${d(fit.residualSdNs)}`,
  );
  L.push('');
  L.push(st.bold(row([['Component', 28], ['Estimate', 9, true], ['95% CI', 21], ['Round trips', 11, true]])));
  L.push(
    row([
      ['hardware exit+entry', 28],
      [d(fit.transition.ns), 9, true],
      ['not in a host trace', 21],
      [fit.transition.source.startsWith('default') ? 'default' : fit.transition.source, 11, true],
    ]),
  );
  for (const c of fit.components) {
    L.push(
      row([
        [COMPONENT_LABELS[c.name], 28],
        [c.ns === null ? 'n/a' : d(c.ns), 9, true],
        [c.ci95Ns === null ? '-' : `[${d(c.ci95Ns[0])}, ${d(c.ci95Ns[1])}]`, 21],
        [String(c.evidence), 11, true],
      ]) + (c.note ? st.dim(`  ${cut(c.note, 26)}`) : ''),
    );
  }
  L.push('');
  L.push(st.bold(row([['Mechanism', 17], ['N', 7, true], ['Obs. mean', 9, true], ['Fitted', 8, true], ['95% CI', 21], [`Guest-rtt`, 9, true]])));
  for (const m of fit.mechanisms) {
    L.push(
      row([
        [m.mechanism, 17],
        [String(m.n), 7, true],
        [d(m.observedMeanNs), 9, true],
        [d(m.fittedNs), 8, true],
        [m.ci95Ns === null ? '-' : `[${d(m.ci95Ns[0])}, ${d(m.ci95Ns[1])}]`, 21],
        [m.fittedNs === null ? '-' : d(m.fittedNs + fit.transition.ns), 9, true],
      ]) + (m.n === 0 ? st.dim('  predicted') : ''),
    );
  }
  L.push(st.dim(`  Guest-rtt = fitted + ${d(fit.transition.ns)} hardware exit+entry (--transition-ns).`));
  for (const n of fit.notes) for (const [i, w] of wrap(n, 94).entries()) L.push(i === 0 ? `• ${w}` : `  ${w}`);
  return `${L.join('\n')}\n`;
}
