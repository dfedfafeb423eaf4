/**
 * Rendering a `DiffResult` (./compare.ts): the terminal table (≤ 100 columns, like `analyze`), and JSON
 * (schema `exitlens/diff@1`). Computes nothing.
 */
import { formatDuration, type TimeUnit } from '../model/units.js';
import { PLAIN, cutLeft, type Style } from '../report/text.js';
import type { DiffInput, DiffResult, DiffRow } from './compare.js';

function signedPct(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  const s = x > 0 ? '+' : x < 0 ? '−' : '±';
  const a = Math.abs(x);
  return `${s}${a >= 100 ? a.toFixed(0) : a.toFixed(1)}%`;
}

function signedDur(x: number, unit: TimeUnit): string {
  return `${x > 0 ? '+' : x < 0 ? '−' : '±'}${formatDuration(Math.abs(x), unit)}`;
}

function pValue(p: number): string {
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

function pad(s: string, w: number, right = false): string {
  const cut = s.length > w ? `${s.slice(0, w - 1)}…` : s;
  return right ? cut.padStart(w) : cut.padEnd(w);
}

function describeInput(label: string, d: DiffInput, unit: TimeUnit): string {
  const what = d.source === 'saved' ? 'saved analysis' : 'trace';
  const win = d.windowSec !== null ? ` · ${formatDuration(d.windowSec * 1e9, unit)}` : '';
  const n = d.mode === 'accesses' ? `${d.classified} accesses (no kvm_exit/kvm_entry: no latency)` : `${d.classified} round trips`;
  const tail = ` (${what} · ${n}${win})`;
  // Cut long paths from the left to fit 100 columns, but never into the last file's name.
  const files = d.files.join(', ');
  const base = (d.files[d.files.length - 1] ?? '').split('/').pop() ?? '';
  return `${label} ${cutLeft(files, Math.max([...base].length + 2, 100 - [...label].length - 1 - [...tail].length))}${tail}`;
}

function verdictText(r: DiffRow, st: Style): string {
  if (r.regression) return st.red('REGRESSION');
  if (r.verdict === 'slower') return st.yellow('slower');
  if (r.verdict === 'faster') return st.green('faster');
  return r.verdict;
}

function table(title: string, head: string, rows: readonly DiffRow[], unit: TimeUnit, top: number, st: Style): string[] {
  if (rows.length === 0) return [];
  const d = (v: number | null) => formatDuration(v, unit);
  const L = [st.cyan(title)];
  L.push(
    st.bold(
      [pad(head, 22), pad('Count', 11, true), pad('ΔRate', 7, true), pad('p50 before→after', 17, true), pad('Δp50', 7, true), pad('Δp99', 7, true), pad('p(adj)', 6, true), ' Verdict'].join(' '),
    ),
  );
  const shown = rows.filter((r, i) => i < top || r.regression || r.verdict === 'slower' || r.verdict === 'faster');
  for (const r of shown) {
    const count = `${r.before?.count ?? 0}→${r.after?.count ?? 0}`;
    const p50 = r.before?.p50Ns != null || r.after?.p50Ns != null ? `${d(r.before?.p50Ns ?? null)}→${d(r.after?.p50Ns ?? null)}` : '-';
    L.push(
      [
        pad(r.key, 22),
        pad(count, 11, true),
        pad(signedPct(r.rateChangePct), 7, true),
        pad(p50, 17, true),
        pad(signedPct(r.p50ChangePct), 7, true),
        pad(signedPct(r.p99ChangePct), 7, true),
        pad(r.test !== null ? pValue(r.test.pAdjusted) : '-', 6, true),
        ` ${verdictText(r, st)}`,
      ]
        .join(' ')
        .trimEnd(),
    );
  }
  if (shown.length < rows.length) L.push(st.dim(`… ${rows.length - shown.length} more rows without a significant change (--top, or --json)`));
  return L;
}

export function renderDiffText(r: DiffResult, opts: { top?: number; style?: Style } = {}): string {
  const st = opts.style ?? PLAIN;
  const top = opts.top ?? 15;
  const unit = r.before.timeUnit;
  const s = r.settings;
  const L: string[] = [];
  L.push(st.bold('exitlens diff'));
  L.push(describeInput('before:', r.before, unit));
  L.push(describeInput('after: ', r.after, unit));
  const tests = [...r.mechanisms, ...r.exitReasons].filter((x) => x.test !== null).length;
  L.push(
    `Latency test: Mann–Whitney U, Holm-adjusted over ${tests} rows, alpha ${s.alpha}, ≥${s.minSamples} samples a side` +
      (s.thresholdPct !== null ? `;\nregression = significantly slower with the median up more than ${s.thresholdPct}%` : ''),
  );
  L.push('');
  L.push(...table('Mechanisms', 'Class', r.mechanisms, unit, top, st));
  if (r.exitReasons.length > 0) L.push('');
  L.push(...table('Exit reasons', 'Reason', r.exitReasons, unit, top, st));
  const sig = [...r.mechanisms.map((x) => ['mechanism', x] as const), ...r.exitReasons.map((x) => ['exit reason', x] as const)].filter(
    ([, x]) => x.verdict === 'slower' || x.verdict === 'faster',
  );
  L.push('');
  if (sig.length === 0) L.push('No significant latency change.');
  else {
    L.push(st.cyan('Significant latency changes: median difference, its 95 % bootstrap CI, P(after > before)'));
    for (const [, x] of sig) {
      const ci = x.medianDiffCi95Ns;
      const diff = x.before?.p50Ns != null && x.after?.p50Ns != null ? signedDur(x.after.p50Ns - x.before.p50Ns, unit) : '-';
      L.push(
        `  ${pad(x.key, 22)} ${pad(x.verdict, 6)} ${diff}` +
          (ci !== null ? ` (CI ${signedDur(ci[0], unit)} … ${signedDur(ci[1], unit)})` : '') +
          `, P ${x.test!.probabilityAfterGreater.toFixed(3)}, p(adj) ${pValue(x.test!.pAdjusted)}` +
          (x.regression ? st.red(' REGRESSION') : ''),
      );
    }
  }
  if (s.thresholdPct !== null) {
    L.push(
      r.regressions.length === 0
        ? `No regression beyond ${s.thresholdPct}%.`
        : st.red(`${r.regressions.length} regression${r.regressions.length === 1 ? '' : 's'} beyond ${s.thresholdPct}%: ${r.regressions.join(', ')}`),
    );
  }
  return `${L.join('\n')}\n`;
}

export function renderDiffJson(r: DiffResult): string {
  return `${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
